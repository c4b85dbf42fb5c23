package io.pickspin.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The burst rule judges a burst against the pool's long-run rate (ScalingSettings.Burst, LongRunRate). */
class LongRunBurstTest {
  /** 2 s per request, 4 requests per replica, at most 20 replicas. */
  private static final ModelSpec MEDIUM = TestModels.model("m", Tier.MEDIUM, 2000, 4, 0, 20);

  private static final ScalingSettings.Burst ABOVE_3X = new ScalingSettings.Burst(Duration.ofSeconds(1800), 3);

  @Test
  void theLongRunRateStartsFromZeroAndAveragesOverItsTimeConstant() {
    LongRunRate r = LongRunRate.NONE.after(10, 0, 1000);
    assertEquals(0, r.rate(), 1e-12, "the first reading only starts the clock");
    r = r.after(10, 1000, 1000);
    assertEquals(10 * (1 - Math.exp(-1)), r.rate(), 1e-9);
    for (long t = 2000; t <= 20_000; t += 1000) r = r.after(10, t, 1000);
    assertEquals(10, r.rate(), 1e-6);
    assertTrue(r.exceeds(30, 3));
    assertFalse(r.exceeds(29, 3));
    assertTrue(r.exceeds(0, 0), "factor 0: every burst");
    assertEquals(r, r.after(50, 30_000, 0), "time constant 0: off");
  }

  @Test
  void aSpikeWithinTheUsualRangeIsQueuedThroughAndARampBeyondItIsMetAtOnce() {
    ScalingPolicyTest.Harness gated = new ScalingPolicyTest.Harness(TestModels.paperLike().withBurst(ABOVE_3X), MEDIUM);
    ScalingPolicyTest.Harness always = new ScalingPolicyTest.Harness(TestModels.paperLike(), MEDIUM);
    for (ScalingPolicyTest.Harness h : new ScalingPolicyTest.Harness[] {gated, always}) {
      // two hours at 4/s, 2 s each: 8 in the system, 2 replicas; the long-run rate reaches ~3.9/s
      h.seconds(7200, 4, 2000);
      assertEquals(2, h.scaler.desired());
    }
    // a 10 s spike to 10/s: 1.5x the window's rate and more, but below 3x the long-run rate
    int gatedBefore = gated.desiredBySecond.size(), alwaysBefore = always.desiredBySecond.size();
    gated.seconds(10, 10, 2000);
    always.seconds(10, 10, 2000);
    int gatedPeak = peakSince(gated, gatedBefore), alwaysPeak = peakSince(always, alwaysBefore);
    // planned with 10/s: 20 in the system, 5 replicas; with the window's rate ((50 x 4 + 10 x 10) / 60 = 5/s): 3
    assertEquals(5, alwaysPeak, "every burst: planned with the last 10 s");
    assertEquals(3, gatedPeak, "within the usual range: planned with the window's rate");

    // a ramp to 30/s, more than 3x the long-run rate: met at once, as without the gate
    gatedBefore = gated.desiredBySecond.size();
    gated.seconds(3, 30, 2000);
    assertTrue(peakSince(gated, gatedBefore) >= 6,
        "the ramp is planned with the last seconds' rate (capped by the growth step): " + gated.desiredBySecond);
  }

  @Test
  void aNewPoolMeetsEveryBurstAtOnce() {
    ScalingPolicyTest.Harness gated = new ScalingPolicyTest.Harness(TestModels.paperLike().withBurst(ABOVE_3X), MEDIUM);
    ScalingPolicyTest.Harness always = new ScalingPolicyTest.Harness(TestModels.paperLike(), MEDIUM);
    gated.seconds(60, 10, 2000);
    always.seconds(60, 10, 2000);
    assertEquals(always.desiredBySecond, gated.desiredBySecond, "no long-run history: the same scale-ups as without the gate");
  }

  private static int peakSince(ScalingPolicyTest.Harness h, int from) {
    int peak = 0;
    for (int i = from; i < h.desiredBySecond.size(); i++) peak = Math.max(peak, h.desiredBySecond.get(i));
    return peak;
  }
}
