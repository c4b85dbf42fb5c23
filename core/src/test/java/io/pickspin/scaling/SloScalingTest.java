package io.pickspin.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SLO-driven sizing: the latency slack a pool is planned at comes from the deadlines of the requests it served. */
class SloScalingTest {
  /** tpot 10 ms alone, 20 ms at 64 sequences: each sequence adds 10 / 63 ms. */
  static final ModelSpec CURVED =
      new ModelSpec("m", Tier.MEDIUM, "m", 0.8, 1, 2.0, new LatencyProfile(100, 10, 64, 30_000, 20), 0, 50, List.of());

  static ScalingSettings settings(double safety) {
    return new ScalingSettings(Duration.ZERO, Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(300),
        0.1, Map.of(), 128, Duration.ofSeconds(1), 2, 1, 20, 0.3,
        new ScalingSettings.Slo(0.95, safety, 0.1, 3.0, 20, 0), new ScalingSettings.ScaleDown(Duration.ofSeconds(120), 0.9),
        ScalingSettings.Consolidation.off(), ScalingSettings.Burst.always());
  }

  /** {@code n} completed requests that tolerated a slowdown of {@code factor} each. */
  static void deadlines(ArrivalStats s, long nowMs, int n, double factor) {
    for (int i = 0; i < n; i++) s.recordDeadline(nowMs, factor * 1000, 1000, 1000);
  }

  @Test
  void sigmaIsTheSafetyShareOfTheSlowdownTheTightestRequestsTolerate() {
    ScalingPolicy p = new ScalingPolicy(settings(0.5));
    ArrivalStats s = new ArrivalStats(Duration.ofSeconds(60));
    deadlines(s, 1000, 100, 3.0);
    // F = 3.0 (rounded down to its bin by at most 9 %): sigma = 0.5 x (F - 1) in [0.87, 1.0]
    double sigma = p.sigma(CURVED, s.deadlines(1000));
    assertTrue(sigma > 0.87 && sigma <= 1.0, "sigma " + sigma);

    // 6 % of the requests tolerate only 1.2x: they set the 5 % quantile, and sigma drops to its floor
    ArrivalStats tight = new ArrivalStats(Duration.ofSeconds(60));
    deadlines(tight, 1000, 94, 5.0);
    deadlines(tight, 1000, 6, 1.2);
    assertEquals(0.1, p.sigma(CURVED, tight.deadlines(1000)), 1e-9);
    // 3 % at 1.2x are within the SLO's 5 %: the pool is planned for the other 97 %, at 5x
    ArrivalStats few = new ArrivalStats(Duration.ofSeconds(60));
    deadlines(few, 1000, 97, 5.0);
    deadlines(few, 1000, 3, 1.2);
    double loose = p.sigma(CURVED, few.deadlines(1000));
    assertTrue(loose > 1.8 && loose <= 2.0, "sigma " + loose);
  }

  @Test
  void theMeasuredOnTimeShareCorrectsTheSlack() {
    ScalingSettings base = settings(0.5);
    ScalingPolicy plain = new ScalingPolicy(base);
    ScalingPolicy corrected = new ScalingPolicy(base.withSlo(base.slo().withFeedback(5)));
    // every request tolerated 3x: planned at sigma ~0.95 without feedback
    ArrivalStats allOnTime = new ArrivalStats(Duration.ofSeconds(60));
    deadlines(allOnTime, 1000, 100, 3.0);
    double sigma = plain.sigma(CURVED, allOnTime.deadlines(1000));
    assertEquals(1.0, allOnTime.deadlines(1000).onTimeShare(), 1e-12);
    // all met against an SLO of 95 %: 1 + 5 x 0.05 = 1.25 times the slack, denser replicas
    assertEquals(sigma * 1.25, corrected.sigma(CURVED, allOnTime.deadlines(1000)), 1e-9);
    // 20 % late (they took 4 s against 3 s deadlines): 1 + 5 x (0.80 - 0.95) = 0.25, bounded to half the slack
    ArrivalStats late = new ArrivalStats(Duration.ofSeconds(60));
    deadlines(late, 1000, 80, 3.0);
    for (int i = 0; i < 20; i++) late.recordDeadline(1000, 3000, 1000, 4000);
    assertEquals(0.8, late.deadlines(1000).onTimeShare(), 1e-12);
    assertEquals(plain.sigma(CURVED, late.deadlines(1000)) * 0.5, corrected.sigma(CURVED, late.deadlines(1000)), 1e-9);
    assertTrue(Double.isNaN(DeadlineSlack.NONE.onTimeShare()));
  }

  @Test
  void tooFewDeadlinesFallBackToTheConfiguredLatencySlack() {
    ScalingPolicy p = new ScalingPolicy(settings(0.5));
    ArrivalStats s = new ArrivalStats(Duration.ofSeconds(60));
    deadlines(s, 1000, 19, 3.0);
    assertEquals(0.3, p.sigma(CURVED, s.deadlines(1000)), 1e-12);
    deadlines(s, 1000, 1, 3.0);
    assertTrue(p.sigma(CURVED, s.deadlines(1000)) > 0.3);
    // and old deadlines leave the window with it
    assertEquals(0.3, p.sigma(CURVED, s.deadlines(62_000)), 1e-12);
  }

  @Test
  void tightDeadlinesGetMoreReplicasThanLooseOnesForTheSameLoad() {
    ScalingPolicy p = new ScalingPolicy(settings(0.5));
    int tight = replicasFor(p, 1.5), medium = replicasFor(p, 2.5), loose = replicasFor(p, 5.0);
    assertTrue(tight > medium && medium > loose, tight + " / " + medium + " / " + loose);
    // the fixed slack (no deadlines known) sits in between: it does not follow the requests
    ScalingPolicy.Evaluation fixed = p.evaluate(CURVED, reading(new ArrivalStats(Duration.ofSeconds(60))),
        ModelMemory.initial(0), ScalingPolicy.Watch.startedAt(0), 60_000);
    assertEquals(0.3, fixed.decision().orElseThrow().inputs().latencySlack(), 1e-12);
  }

  private static int replicasFor(ScalingPolicy p, double factor) {
    ArrivalStats s = new ArrivalStats(Duration.ofSeconds(60));
    deadlines(s, 59_000, 200, factor);
    ScaleDecision d = p.evaluate(CURVED, reading(s), ModelMemory.initial(0), ScalingPolicy.Watch.startedAt(0), 60_000)
        .decision().orElseThrow();
    assertEquals(p.sigma(CURVED, s.deadlines(60_000)), d.inputs().latencySlack(), 1e-12);
    return d.to();
  }

  /** 20 requests a second, 2 s each: 40 in the system, with the deadlines recorded in {@code s}. */
  private static Telemetry reading(ArrivalStats s) {
    return new Telemetry("m", 60_000, 60_000, 1200, 20, 1200, 2000, 40, 0, 0, 0, 0, 59_000, s.deadlines(60_000), -1, -1, 0);
  }

  @Test
  void deadlineQuantilesRoundDownToTheirBin() {
    ArrivalStats s = new ArrivalStats(Duration.ofSeconds(10));
    for (int i = 1; i <= 100; i++) s.recordDeadline(0, i / 10.0 * 1000, 1000, 1000); // f = 0.1 .. 10
    DeadlineSlack d = s.deadlines(0);
    assertEquals(100, d.samples());
    assertTrue(d.p05() <= 0.5 && d.p05() > 0.5 / ArrivalStats.STEP, "p05 " + d.p05());
    assertTrue(d.p50() <= 5.0 && d.p50() > 5.0 / ArrivalStats.STEP, "p50 " + d.p50());
    assertEquals(d.p05(), d.quantile(0.05), 1e-12);
    assertEquals((d.p05() + d.p10()) / 2, d.quantile(0.075), 1e-12);
    s.recordDeadline(0, 0, 1000, 1000); // no deadline: not a sample
    assertEquals(100, s.deadlines(0).samples());
    assertEquals(DeadlineSlack.NONE, s.deadlines(20_000));
  }

  @Test
  void spillOnlyAutoRoutedRequestsWhoseDeadlineTheColdStartMisses() {
    assertTrue(Spill.shouldSpill(true, 5_000, 0, 60_000, 2_000));
    assertFalse(Spill.shouldSpill(false, 5_000, 0, 60_000, 2_000), "a client that named the model waits");
    assertFalse(Spill.shouldSpill(true, 120_000, 0, 60_000, 2_000), "a deadline that outlasts the cold start waits");
    assertTrue(Spill.shouldSpill(true, 120_000, 59_000, 60_000, 2_000), "unless it already waited too long");
    assertFalse(Spill.shouldSpill(true, 0, 0, 60_000, 2_000), "no deadline: nothing to miss");
  }
}
