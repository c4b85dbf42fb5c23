package io.pickspin.keys;

/**
 * A count over the last minute, estimated from the current and the previous clock minute: the previous minute weighs
 * by the share of it still inside the last 60 s. Two numbers a key instead of a log of timestamps; the estimate is exact
 * for a steady rate. Not thread-safe.
 */
final class RateWindow {
  static final long MINUTE_MS = 60_000;
  private long minute = Long.MIN_VALUE;
  private long current;
  private long previous;

  void add(long n, long nowMs) {
    roll(nowMs);
    current += n;
  }

  WindowCounts.Pair counts(long nowMs) {
    roll(nowMs);
    return new WindowCounts.Pair(current, previous);
  }

  private void roll(long nowMs) {
    long m = Math.floorDiv(nowMs, MINUTE_MS);
    if (m == minute) return;
    previous = m == minute + 1 ? current : 0;
    current = 0;
    minute = m;
  }

  /** The estimate over the last 60 s from a minute's and the previous minute's counts. */
  static double estimate(long current, long previous, long nowMs) {
    double into = Math.floorMod(nowMs, MINUTE_MS) / (double) MINUTE_MS;
    return previous * (1 - into) + current;
  }

  /**
   * Seconds until the estimate drops below {@code limit}, in 1..60: at once when only the previous minute's share is
   * over, else at the next minute, when the current count becomes the previous one.
   */
  static int secondsUntilBelow(long limit, long current, long previous, long nowMs) {
    double into = Math.floorMod(nowMs, MINUTE_MS) / (double) MINUTE_MS;
    double waitMinutes;
    if (current < limit && previous > 0) {
      // previous * (1 - x) + current < limit  <=>  x > 1 - (limit - current) / previous
      waitMinutes = Math.max(0, 1 - (double) (limit - current) / previous - into);
    } else {
      waitMinutes = 1 - into;
    }
    return (int) Math.max(1, Math.min(60, Math.ceil(waitMinutes * 60)));
  }
}
