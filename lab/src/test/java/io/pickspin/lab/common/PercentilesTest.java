package io.pickspin.lab.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class PercentilesTest {
  @Test
  void nearestRankIsTheSmallestValueThatTheShareDoesNotExceed() {
    long[] hundred = LongStream.rangeClosed(1, 100).toArray();
    assertEquals(50, Percentiles.nearestRank(hundred, 0.50));
    assertEquals(95, Percentiles.nearestRank(hundred, 0.95));
    assertEquals(99, Percentiles.nearestRank(hundred, 0.99));
    assertEquals(100, Percentiles.nearestRank(hundred, 0.999));
    assertEquals(1, Percentiles.nearestRank(hundred, 0));
    assertEquals(100, Percentiles.nearestRank(hundred, 1));
  }

  @Test
  void fewValuesGiveOneOfThemNeverAnInterpolation() {
    double[] four = {10, 20, 30, 40};
    assertEquals(20, Percentiles.nearestRank(four, 0.50)); // the lower middle, not 25
    assertEquals(40, Percentiles.nearestRank(four, 0.76));
    assertEquals(30, Percentiles.nearestRank(four, 0.75));
    assertEquals(7, Percentiles.nearestRank(new double[] {7}, 0.99));
  }

  @Test
  void noValuesOrAQuantileOutsideZeroToOneAreRefused() {
    assertEquals(Double.NaN, Percentiles.nearestRank(new double[0], 0.5));
    assertThrows(IllegalArgumentException.class, () -> Percentiles.nearestRank(new long[0], 0.5));
    assertThrows(IllegalArgumentException.class, () -> Percentiles.nearestRank(new long[] {1}, 1.5));
    assertThrows(IllegalArgumentException.class, () -> Percentiles.nearestRank(new double[] {1}, Double.NaN));
  }
}
