package io.pickspin.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TargetCheckTest {
  @Test
  void aLatencyMustBeStrictlyBelowItsBound() {
    assertTrue(TargetCheck.below(0.99, 1).met());
    assertFalse(TargetCheck.below(1.0, 1).met());
    assertEquals("yes", TargetCheck.below(0.42, 1).verdict(" ms"));
    assertEquals("**no**: 0.37 ms over", TargetCheck.below(5.37, 5).verdict(" ms"));
  }

  @Test
  void aNegativeAddedLatencyMeetsALatencyBound() {
    // a way can come out faster than direct in a noisy round: that is under the bound, not an error
    assertTrue(TargetCheck.below(-0.05, 1).met());
  }

  @Test
  void aThroughputFloorIsMetAtTheFloorItself() {
    assertTrue(TargetCheck.atLeast(0.5, 0.5).met());
    assertFalse(TargetCheck.atLeast(0.38, 0.5).met());
    assertEquals("**no**: 0.12 x nginx short", TargetCheck.atLeast(0.38, 0.5).verdict(" x nginx"));
  }

  @Test
  void aheadMeansStrictlyAhead() {
    assertTrue(TargetCheck.above(3.2, 1).met());
    assertFalse(TargetCheck.above(1, 1).met());
    assertEquals("**no**: level, not ahead", TargetCheck.above(1, 1).verdict(" x Portkey"));
    assertEquals("**no**: 0.25 x Portkey behind", TargetCheck.above(0.75, 1).verdict(" x Portkey"));
  }

  @Test
  void whatWasNotMeasuredMeetsNoTarget() {
    for (TargetCheck t : new TargetCheck[] {
        TargetCheck.below(Double.NaN, 1), TargetCheck.atLeast(Double.NaN, 0.5), TargetCheck.above(Double.NaN, 1)}) {
      assertFalse(t.met());
      assertEquals("**no** (not measured)", t.verdict(" ms"));
    }
  }
}
