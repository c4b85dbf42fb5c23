package io.pickspin.lab.des;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.lab.train.PromptCorpus;
import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The latency model reproduces the measurements it was fitted on, and the checks it was not fitted on. */
class LatencyCalibrationTest {
  static LatencyCalibration.Result fit;

  @BeforeAll
  static void fit() throws IOException {
    fit = LatencyCalibration.fit(PromptCorpus.sharedDir());
  }

  @Test
  void blockRooflineMatchesTheVidurProfiles() {
    assertEquals(3, fit.profiles().size(), "A100, H100 and A40 profiles");
    for (LatencyCalibration.ProfileFit p : fit.profiles()) {
      assertTrue(p.rows() > 1000, p.toString());
      assertTrue(p.medianAbsRelError() < 0.12, "median error on " + p);
      assertTrue(p.p90AbsRelError() < 0.25, "p90 error on " + p);
    }
    LatencyModel.GpuFit a100 = fit.model().gpu("a100"), h100 = fit.model().gpu("h100");
    assertTrue(h100.bytesPerMs() > a100.bytesPerMs() && h100.flopsPerMs() > a100.flopsPerMs(), "H100 outruns A100");
  }

  @Test
  void endToEndVllmMeasurementsWithinTolerance() {
    long fitted = fit.checks().stream().filter(c -> c.fitted() && c.metric().startsWith("mean_t")).count();
    assertTrue(fitted >= 8, "TTFT and TPOT of the LambdaLabs runs are in the fit set: " + fitted);
    for (LatencyCalibration.Check c : fit.checks()) {
      double tolerance = c.metric().equals("cold_start_s") ? 0.20 : c.fitted() ? 0.30 : 0.40;
      assertTrue(Math.abs(c.relativeError()) <= tolerance,
          String.format("%s %s %s: measured %.1f, model %.1f", c.source(), c.config(), c.metric(), c.measured(), c.predicted()));
    }
  }

  @Test
  void coldStartGrowsWithWeightsAndBatchingRaisesTimePerToken() {
    LatencyModel m = fit.model();
    assertTrue(fit.coldStartR2() > 0.9, "cold start is linear in the weights: R^2 " + fit.coldStartR2());
    LatencyModel.Deployment small = new LatencyModel.Deployment(ModelArchitecture.LLAMA_3_8B, "h100", 1);
    LatencyModel.Deployment large = new LatencyModel.Deployment(ModelArchitecture.QWEN_3_32B, "h100", 2);
    assertTrue(m.coldStartMs(large) > m.coldStartMs(small));
    assertTrue(m.decodeStepMs(small, 64, 2048) > m.decodeStepMs(small, 1, 2048), "a bigger batch reads more KV cache");
    assertTrue(m.idleTtftMs(small, 1, 8000) > 4 * m.idleTtftMs(small, 1, 1000), "prefill is compute-bound: TTFT grows with the prompt");
    assertTrue(m.maxBatch(large) >= 1 && m.maxBatch(large) <= LatencyCalibration.MAX_SEQS);
  }
}
