package io.pickspin.routing.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ArrivalRateEstimatorTest {
  @Test
  void zeroBeforeTheFirstArrival() {
    assertEquals(0, new ArrivalRateEstimator(5000).ratePerSecond(123), 0);
  }

  @Test
  void convergesToASteadyRate() {
    ArrivalRateEstimator e = new ArrivalRateEstimator(5000);
    for (long t = 0; t <= 60_000; t += 100) e.recordArrival(t); // 10 per second
    // just after an arrival the estimate sits at the top of its saw-tooth: 10 * (0.1/5) / (1 - exp(-0.1/5)) = 10.1
    assertEquals(10.1, e.ratePerSecond(60_000), 0.05);
  }

  @Test
  void tracksPoissonArrivalsAndAStepChange() {
    ArrivalRateEstimator e = new ArrivalRateEstimator(5000);
    Random rng = new Random(7);
    double t = 0;
    while (t < 120_000) {
      t += -Math.log(1 - rng.nextDouble()) * 1000.0 / 40; // 40/s
      e.recordArrival((long) t);
    }
    assertEquals(40, e.ratePerSecond((long) t), 40 * 0.25); // noise 1/sqrt(2*40*5) = 5 %
    while (t < 160_000) {
      t += -Math.log(1 - rng.nextDouble()) * 1000.0 / 5; // drops to 5/s
      e.recordArrival((long) t);
    }
    assertEquals(5, e.ratePerSecond((long) t), 5 * 0.5);
  }

  @Test
  void decaysWhenTrafficStops() {
    ArrivalRateEstimator e = new ArrivalRateEstimator(2000);
    for (long t = 0; t <= 20_000; t += 50) e.recordArrival(t);
    double before = e.ratePerSecond(20_000);
    assertEquals(before / Math.E, e.ratePerSecond(22_000), 1e-9);
    assertTrue(e.ratePerSecond(40_000) < 0.01 * before);
    // a reading from a clock behind the last arrival counts as "now"
    assertEquals(before, e.ratePerSecond(19_000), 1e-9);
  }
}
