package io.pickspin.scaling;

import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Model specs and scaling settings for tests. */
public final class TestModels {
  private TestModels() {}

  /** A model whose replicas serve {@code maxBatch} requests at once, each taking {@code serviceMs} (all TTFT). */
  public static ModelSpec model(String id, Tier tier, double serviceMs, int maxBatch, int minReplicas, int maxReplicas) {
    return new ModelSpec(
        id, tier, id, 0.5, 1, 2.0, new LatencyProfile(serviceMs, 0, maxBatch, 300), minReplicas, maxReplicas, List.of());
  }

  /** Settings with the shipped 10 % scale-down headroom. */
  public static ScalingSettings settings(
      Duration window, Duration cooldown, Duration idleTimeout, int warmLow, int warmMedium, int warmHigh) {
    return settings(window, cooldown, idleTimeout, 0.1, warmLow, warmMedium, warmHigh);
  }

  public static ScalingSettings settings(
      Duration window,
      Duration cooldown,
      Duration idleTimeout,
      double headroom,
      int warmLow,
      int warmMedium,
      int warmHigh) {
    return new ScalingSettings(
        Duration.ZERO,
        window,
        cooldown,
        idleTimeout,
        headroom,
        Map.of(Tier.LOW, warmLow, Tier.MEDIUM, warmMedium, Tier.HIGH, warmHigh),
        128,
        Duration.ofSeconds(1),
        2,
        1,
        20,
        0); // no latency slack: plan at max batch, the arithmetic these tests were written for
  }

  /** The shipped defaults' shape: window 60 s, cooldown 120 s, tau 300 s, only LOW warm (1). */
  public static ScalingSettings paperLike() {
    return settings(Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(300), 1, 0, 0);
  }
}
