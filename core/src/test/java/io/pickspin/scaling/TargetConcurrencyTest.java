package io.pickspin.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 5: the scaler plans each replica at the load that keeps latency within (1 + sigma) of idle latency, derived
 * from the profile's batch curve, instead of at max batch.
 */
class TargetConcurrencyTest {
  private static final double SIGMA = 0.3;

  private static ModelSpec model(LatencyProfile p) {
    return new ModelSpec("m", Tier.MEDIUM, "m", 0.5, 1, 2.0, p, 0, 1000, List.of());
  }

  private static ScalingPolicy policy(double slack) {
    return new ScalingPolicy(TestModels.paperLike().withLatencySlack(slack));
  }

  /** Time per token of k sequences on the profile's line through (1, tpot) and (max batch, tpot at max batch). */
  private static double tpotAt(LatencyProfile p, int k) {
    return p.tpotMs() + (k - 1) * (p.tpotAtMaxBatchMs() - p.tpotMs()) / (p.maxBatch() - 1);
  }

  /**
   * The latency inflation the planning model predicts for n replicas: decode slowed by k = demand / n sequences, and
   * stretched by the prefill share rho = lambda x ttft / n.
   */
  private static double inflation(LatencyProfile p, double lambda, double demand, int n) {
    double rho = lambda * p.ttftMs() / 1000.0 / n;
    if (rho >= 1) return Double.POSITIVE_INFINITY;
    return (1 + demand / n * (p.tpotAtMaxBatchMs() - p.tpotMs()) / (p.maxBatch() - 1) / p.tpotMs()) / (1 - rho);
  }

  @Test
  void targetConcurrencyIsWhereTimePerTokenHasDegradedBySigma() {
    // decode-bound: KV reads make 128 sequences 3x slower per token than one
    LatencyProfile p = new LatencyProfile(50, 12, 128, 60_000, 36);
    int c = policy(SIGMA).targetConcurrency(model(p));
    assertTrue(c > 1 && c < p.maxBatch(), "between 1 and max batch: " + c);
    assertTrue(tpotAt(p, c) <= (1 + SIGMA) * p.tpotMs() + 1e-9, "c sequences stay within the slack");
    assertTrue(tpotAt(p, c + 2) > (1 + SIGMA) * p.tpotMs(), "a couple more would not");
    assertTrue(policy(2 * SIGMA).targetConcurrency(model(p)) > c, "more slack, more sequences per replica");
  }

  @Test
  void targetConcurrencyIsClampedToTheBatchLimitAndOne() {
    LatencyProfile flat = new LatencyProfile(50, 12, 16, 0, 12.01);
    assertEquals(16, policy(SIGMA).targetConcurrency(model(flat)), "a flat curve never plans beyond max batch");
    LatencyProfile steep = new LatencyProfile(50, 12, 16, 0, 500);
    assertEquals(1, policy(SIGMA).targetConcurrency(model(steep)), "a steep curve plans one sequence, not zero");
  }

  @Test
  void withoutBatchCurveOrSlackTheScalerPlansAtMaxBatchAsBefore() {
    LatencyProfile noCurve = new LatencyProfile(50, 12, 64, 0);
    assertFalse(noCurve.hasBatchCurve());
    assertEquals(64, policy(SIGMA).targetConcurrency(model(noCurve)));
    assertEquals(0, policy(SIGMA).prefillReplicas(model(noCurve), 10), 0);
    LatencyProfile curve = new LatencyProfile(50, 12, 64, 0, 30);
    assertEquals(64, policy(0).targetConcurrency(model(curve)));
    assertEquals(0, policy(0).prefillReplicas(model(curve), 10), 0);
  }

  @Test
  void plannedReplicasKeepTheModelledInflationWithinTheSlack() {
    // a prefill-heavy model (long prompts): 400 ms TTFT, 4 s per request, 3 req/s
    LatencyProfile p = new LatencyProfile(400, 12, 30, 60_000, 20);
    ModelSpec spec = model(p);
    ScalingPolicy policy = policy(SIGMA);
    double lambda = 3, latencyMs = 4000;
    Telemetry t = new Telemetry("m", 60_000, 60_000, 180, lambda, 180, latencyMs, 12, 0, 0, 1, 0, 60_000);
    ScalingPolicy.Evaluation e = policy.evaluate(spec, t, ModelMemory.initial(1), ScalingPolicy.Watch.startedAt(0), 60_000);
    int n = e.target();
    double demand = lambda * latencyMs / 1000;
    assertTrue(inflation(p, lambda, demand, n) <= 1 + SIGMA + 1e-9, "within the slack at " + n);
    assertTrue(inflation(p, lambda, demand, n - 1) > 1 + SIGMA, "one fewer replica would not be: " + n);
    assertEquals(ScaleReason.LOAD, e.decision().orElseThrow().reason());
    // the same load planned at max batch: Little's law alone, ceil(12 / 30) = 1, no change
    ScalingPolicy.Evaluation before =
        policy(0).evaluate(spec, t, ModelMemory.initial(1), ScalingPolicy.Watch.startedAt(0), 60_000);
    assertEquals((int) Math.ceil(demand / p.maxBatch()), before.target());
    assertTrue(before.decision().isEmpty());
    assertEquals(policy.targetConcurrency(spec), e.decision().get().inputs().perReplicaConcurrency());
  }

  @Test
  void prefillLoadAloneAddsReplicasInProportionToTheArrivalRate() {
    LatencyProfile p = new LatencyProfile(250, 12, 64, 0, 30);
    ModelSpec spec = model(p);
    ScalingPolicy policy = policy(SIGMA);
    double one = policy.prefillReplicas(spec, 1);
    assertTrue(one > 0.25, "more than the bare prefill share: the slack keeps prefill utilisation low");
    assertEquals(4 * one, policy.prefillReplicas(spec, 4), 1e-9);
    // prefill utilisation per replica at that plan is sigma / (1 + sigma): stretch of 1 / (1 - rho) = 1 + sigma
    assertEquals(1 + SIGMA, 1 / (1 - 1 * 0.25 / one), 1e-9);
  }

  @Test
  void scaleDownWaitsForTheSameLoadWithHeadroom() {
    LatencyProfile p = new LatencyProfile(400, 12, 30, 60_000, 20);
    ModelSpec spec = model(p);
    ScalingPolicy policy = policy(SIGMA);
    Telemetry t = new Telemetry("m", 600_000, 60_000, 180, 3, 180, 4000, 12, 0, 0, 20, 0, 600_000);
    ModelMemory at20 = new ModelMemory(20, 0, -1, 0, null);
    ScalingPolicy.Evaluation e = policy.evaluate(spec, t, at20, ScalingPolicy.Watch.startedAt(0), 600_000);
    ScalingPolicy.Evaluation up = policy.evaluate(spec, t, ModelMemory.initial(1), ScalingPolicy.Watch.startedAt(0), 600_000);
    assertTrue(e.target() >= up.target(), "the down-target keeps headroom over the up-target");
    assertTrue(e.target() < 20);
  }

  @Test
  void latencySlackIsReadFromConfigAndShippedOn() {
    ScalingSettings shipped =
        ScalingSettings.fromConfig(ConfigFactory.defaultReference().resolve().getConfig("pickspin.scaling"));
    assertTrue(shipped.latencySlack() > 0, "the product plans with a latency slack");
    ScalingSettings off = ScalingSettings.fromConfig(ConfigFactory.parseString("latency-slack = 0")
        .withFallback(ConfigFactory.defaultReference().resolve().getConfig("pickspin.scaling")));
    assertEquals(0, off.latencySlack());
    assertThrows(IllegalArgumentException.class, () -> TestModels.paperLike().withLatencySlack(-0.1));
  }

  @Test
  void catalogueReadsTheBatchCurveAndKeepsOldEntriesWorking() {
    Catalog c = Catalog.fromConfig(ConfigFactory.parseString("""
        models = [
          { id = a, tier = low, latency { ttft-ms = 50, tpot-ms = 12, max-batch = 64, tpot-at-max-batch-ms = 30 } },
          { id = b, tier = high, latency { ttft-ms = 90, tpot-ms = 20 } }
        ]""").getConfigList("models"));
    LatencyProfile a = c.get("a").latency();
    assertTrue(a.hasBatchCurve());
    assertEquals((30 - 12) / 63.0, a.tpotPerSequenceMs(), 1e-12);
    assertFalse(c.get("b").latency().hasBatchCurve());
    assertEquals(0, c.get("b").latency().tpotPerSequenceMs());
  }
}
