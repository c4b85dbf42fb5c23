package io.pickspin.lab.bench;

import java.time.Duration;
import java.util.Locale;

/**
 * The schedule of an open-loop run that shares time between ways ({@code --interleave-ms}): time is cut into slices,
 * slice k belongs to way k mod W, and the requests keep the one grid of a plain open loop (request i at i / rate),
 * each going to the way whose slice it falls in. So during its slices a way gets the full rate, outside them none, and
 * all ways are measured under the same machine conditions instead of one after the other.
 *
 * <p>The run lasts W x (warm-up + duration): every way gets warm-up + duration of its own slices, and only requests
 * scheduled after W x warm-up count. The slice must divide the warm-up and the duration, so that both parts are whole
 * rounds of slices and every way gets exactly the same time in each. One way alone has the whole run as its slice: the
 * plain open loop. Times are nanoseconds from the start of the run; no I/O.
 */
final class TimeSlices {
  private final long sliceNanos;
  private final int ways;
  private final long intervalNanos;
  private final long warmupNanos; // per way
  private final long durationNanos; // per way

  private TimeSlices(long sliceNanos, int ways, long intervalNanos, long warmupNanos, long durationNanos) {
    this.sliceNanos = sliceNanos;
    this.ways = ways;
    this.intervalNanos = intervalNanos;
    this.warmupNanos = warmupNanos;
    this.durationNanos = durationNanos;
  }

  /**
   * {@code ways} ways in turn, {@code slice} each, at {@code ratePerSecond} within their slices, each for
   * {@code warmupPerWay + durationPerWay} of its own slices.
   */
  static TimeSlices interleaved(Duration slice, int ways, double ratePerSecond, Duration warmupPerWay, Duration durationPerWay) {
    long s = slice.toNanos();
    long interval = interval(ratePerSecond);
    if (ways < 1) throw new IllegalArgumentException("time slices need a way at least, not " + ways);
    if (s <= 0) throw new IllegalArgumentException("a time slice (--interleave-ms) must be positive, not " + slice.toMillis() + " ms");
    if (warmupPerWay.toNanos() % s != 0 || durationPerWay.toNanos() % s != 0) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "--interleave-ms %d must divide the warm-up (%d ms) and the duration (%d ms), so that every way gets the same "
              + "whole slices", slice.toMillis(), warmupPerWay.toMillis(), durationPerWay.toMillis()));
    }
    if (s < interval) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "--interleave-ms %d is shorter than the time between requests at %.0f/s (%.2f ms): slices would go without a request",
          slice.toMillis(), ratePerSecond, interval / 1e6));
    }
    return new TimeSlices(s, ways, interval, warmupPerWay.toNanos(), durationPerWay.toNanos());
  }

  /** A plain open loop: one way, the whole run its slice. */
  static TimeSlices oneWay(double ratePerSecond, Duration warmup, Duration duration) {
    return new TimeSlices(Long.MAX_VALUE, 1, interval(ratePerSecond), warmup.toNanos(), duration.toNanos());
  }

  /** The grid of a plain open loop, rounded to the nanosecond as it always was. */
  private static long interval(double ratePerSecond) {
    if (!(ratePerSecond > 0)) throw new IllegalArgumentException("the rate must be positive, not " + ratePerSecond);
    return Math.round(1e9 / ratePerSecond);
  }

  int ways() {
    return ways;
  }

  /** How long the run lasts: every way's warm-up and duration, one after the other in slices. */
  long length() {
    return ways * (warmupNanos + durationNanos);
  }

  /** Where the measured part starts: after every way's warm-up, at the start of a slice of way 0. */
  long measuredFrom() {
    return ways * warmupNanos;
  }

  /** How much of its own slices each way has in the measured part. */
  long measuredNanosPerWay() {
    return durationNanos;
  }

  /** When the run sends its request {@code i} (from 0), whatever the way: the plain open loop's grid. */
  long sendTime(long i) {
    return i * intervalNanos;
  }

  /** The way (0 to W-1) whose slice holds time {@code t}: a request scheduled then goes to it. */
  int wayAt(long t) {
    return (int) ((t / sliceNanos) % ways);
  }
}
