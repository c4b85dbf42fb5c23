package io.pickspin.lab.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LatenciesTest {
  private static Latencies ms(double p50, double p95, double p99, double max) {
    return new Latencies(p50, p95, p99, max, 1000);
  }

  @Test
  void addedIsTheMedianOfEachRoundsDifferenceNotTheDifferenceOfMedians() {
    List<Latencies> gateway = List.of(ms(1.0, 2.0, 10, 20), ms(1.5, 3.0, 4, 9), ms(2.0, 2.5, 7, 30));
    List<Latencies> direct = List.of(ms(0.5, 1.0, 8, 15), ms(0.5, 1.0, 1, 5), ms(1.0, 2.0, 6, 40));

    List<Latencies> added = Latencies.added(gateway, direct);
    assertArrayEquals(new double[] {2, 3, 1}, added.stream().mapToDouble(Latencies::p99).toArray(), 1e-9);

    Latencies median = Latencies.median(added);
    assertEquals(1.0, median.p50(), 1e-9); // 0.5 1.0 1.0
    assertEquals(1.0, median.p95(), 1e-9); // 1.0 2.0 0.5
    assertEquals(2.0, median.p99(), 1e-9); // 2 3 1
    assertEquals(4.0, median.max(), 1e-9); // 5 4 -10
    // what the rounds would say without pairing them: 7 - 6
    assertEquals(1.0, Latencies.median(gateway).p99() - Latencies.median(direct).p99(), 1e-9);
  }

  @Test
  void anEvenNumberOfRoundsTakesTheMeanOfTheMiddleTwo() {
    Latencies median = Latencies.median(Latencies.added(List.of(ms(1, 2, 5, 6), ms(1, 2, 9, 6)), List.of(ms(1, 1, 1, 1), ms(1, 1, 2, 1))));
    assertEquals(5.5, median.p99(), 1e-9); // 4 and 7
    assertEquals(0.0, median.p50(), 1e-9);
  }

  @Test
  void roundsMustPairUp() {
    assertThrows(IllegalArgumentException.class, () -> Latencies.added(List.of(ms(1, 1, 1, 1)), List.of()));
  }

  @Test
  void aMedianLeavesOutRoundsWithoutAValue() {
    assertEquals(2.0, Median.of(new double[] {Double.NaN, 3, 1}), 1e-9);
    assertEquals(Double.NaN, Median.of(new double[] {Double.NaN}));
    assertEquals(Double.NaN, Median.of(new double[0]));
  }

  @Test
  void aWayFellBehindItsSlicesWhenHalfItsAnswersTookLongerThanASlice() {
    // Portkey at 1000/s in 100 ms slices: a backlog of seconds
    assertTrue(ms(4483, 5723, 5781, 5791).outlasts(100));
    // a loaded machine: a long tail, but most answers within the way's own slice
    assertFalse(ms(0.35, 4.8, 48, 68).outlasts(100));
    assertFalse(ms(100, 150, 200, 300).outlasts(100));
    assertFalse(Latencies.NONE.outlasts(100));
  }
}
