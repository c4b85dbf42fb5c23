package io.pickspin.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The planning model corrected by the slowdown a pool measures (SlowdownCalibration, ScalingPolicy). */
class SlowdownCalibrationTest {
  static final long WINDOW = 60_000, TAU = 600_000;

  /** A reading of a pool with {@code ready} replicas at 20 req/s, W 2 s, whose requests were {@code slowdown} x idle. */
  static Telemetry reading(long atMs, int ready, double slowdown) {
    return new Telemetry("m", atMs, WINDOW, 1200, 20, 1200, 2000, 40, 0, 0, ready, 0, 0, DeadlineSlack.NONE, -1,
        slowdown, 0);
  }

  /** Readings every second from {@code fromMs} for {@code seconds}, the model predicting {@code predicted}. */
  static SlowdownCalibration run(SlowdownCalibration c, long fromMs, int seconds, int ready, double measured,
      double predicted) {
    for (int i = 0; i < seconds; i++) {
      long now = fromMs + i * 1000L;
      c = c.after(reading(now, ready, measured), predicted, now, WINDOW, TAU);
    }
    return c;
  }

  @Test
  void requestsSlowerThanPredictedSpreadThePoolByTheRatio() {
    SlowdownCalibration c = run(SlowdownCalibration.NONE, 0, 1800, 4, 3.0, 1.5);
    // measured excess 2.0, predicted 0.5
    assertEquals(4.0, c.kappa(), 1e-6);
    SlowdownCalibration mild = run(SlowdownCalibration.NONE, 0, 1800, 4, 1.75, 1.5);
    assertEquals(1.5, mild.kappa(), 1e-6);
  }

  @Test
  void nothingCountsUntilTheReadyReplicasHeldForAWindow() {
    SlowdownCalibration c = run(SlowdownCalibration.NONE, 0, 60, 4, 3.0, 1.5);
    assertEquals(1, c.kappa(), 1e-9);
    c = run(c, 60_000, 1, 4, 3.0, 1.5);
    assertTrue(c.kappa() > 1, "counted after a full window: " + c.kappa());
    // the replica count changes: the window starts again, whatever the readings say
    SlowdownCalibration before = c;
    c = run(c, 61_000, 60, 5, 10.0, 1.5);
    assertEquals(before.kappa(), c.kappa(), 1e-9);
  }

  @Test
  void neverPacksDenserThanTheModelAndIgnoresAnIdlePoolOrNoMeasurement() {
    assertEquals(1, run(SlowdownCalibration.NONE, 0, 1800, 4, 1.1, 1.5).kappa(), 1e-9);
    assertEquals(1, run(SlowdownCalibration.NONE, 0, 1800, 4, 3.0, 1.01).kappa(), 1e-9);
    assertEquals(1, run(SlowdownCalibration.NONE, 0, 1800, 4, 3.0, Double.NaN).kappa(), 1e-9);
    assertEquals(1, run(SlowdownCalibration.NONE, 0, 1800, 4, -1, 1.5).kappa(), 1e-9);
    assertEquals(1, run(SlowdownCalibration.NONE, 0, 1800, 0, 3.0, 1.5).kappa(), 1e-9);
    SlowdownCalibration off = SlowdownCalibration.NONE;
    for (int i = 0; i < 1800; i++) off = off.after(reading(i * 1000L, 4, 3.0), 1.5, i * 1000L, WINDOW, 0);
    assertEquals(1, off.kappa(), 1e-9);
  }

  @Test
  void theMeanSlowdownIsTheRatioOfSummedServiceTimesAndAgesOut() {
    ArrivalStats s = new ArrivalStats(Duration.ofSeconds(60));
    assertEquals(-1, s.meanSlowdown(0), 1e-9);
    s.recordSlowdown(1000, 1000, 3000);
    s.recordSlowdown(2000, 3000, 3000);
    s.recordSlowdown(2000, 0, 9999); // unknown idle time: ignored
    assertEquals(1.5, s.meanSlowdown(2000), 1e-9);
    assertEquals(1.5, Telemetry.of("m", s, 2000, 0, 0, 0, 1, 0).meanSlowdown(), 1e-9);
    assertEquals(-1, s.meanSlowdown(70_000), 1e-9);
  }

  @Test
  void aPoolSlowerThanItsModelGetsMoreReplicasThanTheModelAlonePlans() {
    ScalingSettings base = SloScalingTest.settings(0.9);
    ScalingPolicy calibrated = new ScalingPolicy(base.withSlo(base.slo().withCalibration(Duration.ofMinutes(10))));
    ScalingPolicy uncalibrated = new ScalingPolicy(base);
    int ready = 4;
    double predicted = calibrated.predictedSlowdown(SloScalingTest.CURVED, 20, 2000, ready);
    assertTrue(predicted - 1 > SlowdownCalibration.MIN_PREDICTED_EXCESS, "predicted " + predicted);
    ScalingPolicy.Watch w = ScalingPolicy.Watch.startedAt(0);
    ScalingPolicy.Watch plain = ScalingPolicy.Watch.startedAt(0);
    ModelMemory memory = ModelMemory.initial(ready);
    int withCalibration = 0, without = 0;
    double measured = 1 + 3 * (predicted - 1); // three times the slowdown the model expects
    for (int i = 0; i <= 1800; i++) {
      long now = i * 1000L;
      Telemetry t = reading(now, ready, measured);
      ScalingPolicy.Evaluation e = calibrated.evaluate(SloScalingTest.CURVED, t, memory, w, now);
      w = e.watch();
      withCalibration = e.target();
      ScalingPolicy.Evaluation u = uncalibrated.evaluate(SloScalingTest.CURVED, t, memory, plain, now);
      plain = u.watch();
      without = u.target();
    }
    assertEquals(3.0, w.calibration().kappa(), 0.05);
    assertTrue(withCalibration > without, withCalibration + " replicas calibrated vs " + without + " from the model");
  }
}
