package io.pickspin.lab.rl;

import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.lab.train.PromptCorpus;
import io.pickspin.lab.des.LatencyCalibration;
import io.pickspin.lab.des.LatencyModel;
import io.pickspin.lab.des.ModelArchitecture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** The DES's calibrated latency model (fitted once per test JVM) and small two-model environments on it. */
final class DesFixture {
  private static LatencyModel latency;

  private DesFixture() {}

  static synchronized LatencyModel latency() {
    if (latency == null) {
      try {
        latency = LatencyCalibration.fit(PromptCorpus.sharedDir()).model();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return latency;
  }

  static final LatencyModel.Deployment SMALL = new LatencyModel.Deployment(ModelArchitecture.QWEN_3_8B, "h100", 1);
  static final LatencyModel.Deployment LARGE = new LatencyModel.Deployment(ModelArchitecture.QWEN_3_32B, "h100", 2);

  /** "fast" (Qwen3-8B, {@code fastBatch} slots) and "slow" (Qwen3-32B on two GPUs, {@code slowBatch} slots). */
  static Catalog catalog(int fastBatch, int slowBatch) {
    return new Catalog(List.of(
        new ModelSpec("fast", Tier.LOW, "fast", 0.5, 1, 1, new LatencyProfile(50, 12, fastBatch, 0), 0, 4, List.of()),
        new ModelSpec("slow", Tier.HIGH, "slow", 1.0, 2, 1, new LatencyProfile(85, 19, slowBatch, 0), 0, 4, List.of())));
  }

  static CalibratedServers.Model servers(int fastBatch, int slowBatch) {
    return new CalibratedServers.Model(latency(), List.of(SMALL, LARGE), new int[] {fastBatch, slowBatch});
  }
}
