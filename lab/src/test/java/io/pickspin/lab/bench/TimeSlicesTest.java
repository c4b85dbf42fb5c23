package io.pickspin.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TimeSlicesTest {
  private static final long MS = 1_000_000;
  private static final long SLICE = 100 * MS;

  /** Three ways in 100 ms slices at 300/s (3.333 ms apart: 30 or 31 requests a slice), 1 s warm-up + 2 s each. */
  private static TimeSlices threeWays() {
    return TimeSlices.interleaved(Duration.ofMillis(100), 3, 300, Duration.ofSeconds(1), Duration.ofSeconds(2));
  }

  /** How many of the run's requests scheduled in [from, to) go to {@code way}. */
  private static long sendsTo(TimeSlices s, int way, long from, long to) {
    long n = 0;
    for (long i = 0, t; (t = s.sendTime(i)) < s.length(); i++) {
      if (t >= from && t < to && s.wayAt(t) == way) n++;
    }
    return n;
  }

  @Test
  void slicesGoToTheWaysInTurnStartingWithTheFirst() {
    TimeSlices s = threeWays();
    for (int k = 0; k < 90; k++) {
      assertEquals(k % 3, s.wayAt(k * SLICE), "start of slice " + k);
      assertEquals(k % 3, s.wayAt(k * SLICE + SLICE / 2), "middle of slice " + k);
      assertEquals(k % 3, s.wayAt((k + 1) * SLICE - 1), "end of slice " + k);
    }
  }

  @Test
  void everySliceGetsTheFullRateAndOnlyItsOwnWay() {
    TimeSlices s = threeWays();
    assertEquals(9 * 1000 * MS, s.length()); // 3 ways x (1 + 2) s
    long total = 0;
    for (int k = 0; k < 90; k++) {
      long from = k * SLICE, to = from + SLICE;
      for (int way = 0; way < 3; way++) {
        long n = sendsTo(s, way, from, to);
        if (way == k % 3) {
          assertTrue(n == 30 || n == 31, "slice " + k + " has " + n + " requests, not 100 ms x 300/s = 30 (+1)");
        } else {
          assertEquals(0, n, "slice " + k + " of way " + k % 3 + " sends to way " + way);
        }
        total += n;
      }
    }
    long grid = 0;
    while (s.sendTime(grid) < s.length()) grid++;
    assertEquals(grid, total); // every request of the grid is in some way's slice
    assertTrue(Math.abs(grid - 2700) <= 1, grid + " requests, not 9 s x 300/s"); // 3.333333 ms, rounded to the ns
  }

  @Test
  void everyWayGetsTheSameRequestsWithinOnePerSlice() {
    TimeSlices s = threeWays();
    long warmupSlices = 1000 / 100, measuredSlices = 2000 / 100; // a way's slices in its 1 + 2 s
    for (int way = 0; way < 3; way++) {
      long measured = sendsTo(s, way, s.measuredFrom(), s.length());
      assertTrue(Math.abs(measured - 600) <= measuredSlices, "way " + way + ": " + measured + " measured, not 2 s x 300/s = 600");
      long warmup = sendsTo(s, way, 0, s.measuredFrom());
      assertTrue(Math.abs(warmup - 300) <= warmupSlices, "way " + way + ": " + warmup + " in warm-up, not 300");
    }
    assertEquals(2 * 1000 * MS, s.measuredNanosPerWay());
  }

  @Test
  void theMeasuredPartStartsAfterEveryWaysWarmupWithTheFirstWay() {
    TimeSlices s = threeWays();
    assertEquals(3 * 1000 * MS, s.measuredFrom());
    assertEquals(0, s.wayAt(s.measuredFrom()));
    assertEquals(2, s.wayAt(s.measuredFrom() - 1)); // the warm-up ends with the last way's slice
    // a whole number of rounds of slices on either side: each way has 10 slices of warm-up, 20 measured
    for (int way = 0; way < 3; way++) {
      int warmupSlices = 0, measuredSlices = 0;
      for (long t = SLICE / 2; t < s.length(); t += SLICE) {
        if (s.wayAt(t) != way) continue;
        if (t < s.measuredFrom()) warmupSlices++;
        else measuredSlices++;
      }
      assertEquals(10, warmupSlices, "way " + way);
      assertEquals(20, measuredSlices, "way " + way);
    }
  }

  @Test
  void oneWayIsThePlainOpenLoop() {
    TimeSlices s = TimeSlices.oneWay(250, Duration.ofSeconds(2), Duration.ofSeconds(10));
    assertEquals(1, s.ways());
    assertEquals(12_000 * MS, s.length());
    assertEquals(2_000 * MS, s.measuredFrom());
    assertEquals(10_000 * MS, s.measuredNanosPerWay());
    assertEquals(4 * MS, s.sendTime(1));
    assertEquals(2_000 * MS, s.sendTime(500));
    for (long t = 0; t < s.length(); t += 7 * MS) assertEquals(0, s.wayAt(t));
  }

  @Test
  void aSliceMustDivideTheWarmupAndTheDurationAndHoldARequest() {
    Duration second = Duration.ofSeconds(1);
    assertThrows(IllegalArgumentException.class, // 1 s is not whole 300 ms slices
        () -> TimeSlices.interleaved(Duration.ofMillis(300), 3, 300, second, Duration.ofSeconds(3)));
    assertThrows(IllegalArgumentException.class,
        () -> TimeSlices.interleaved(Duration.ofMillis(400), 3, 300, Duration.ofSeconds(2), Duration.ofSeconds(3)));
    assertThrows(IllegalArgumentException.class, // 2 ms slices, requests 4 ms apart
        () -> TimeSlices.interleaved(Duration.ofMillis(2), 3, 250, second, second));
    assertThrows(IllegalArgumentException.class, () -> TimeSlices.interleaved(Duration.ZERO, 3, 250, second, second));
    assertThrows(IllegalArgumentException.class, () -> TimeSlices.interleaved(Duration.ofMillis(100), 0, 250, second, second));
    TimeSlices.interleaved(Duration.ofMillis(4), 3, 250, Duration.ZERO, second); // no warm-up is whole slices too
  }
}
