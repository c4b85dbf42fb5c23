package io.pickspin.lab.common;

/**
 * The one percentile of the lab and chaos programs: nearest rank on sorted values, i.e. the smallest value that at
 * least a share {@code q} of the values do not exceed ({@code sorted[ceil(q * n) - 1]}), always one of the values. The
 * median of two values is the lower one; q = 0 gives the minimum, q = 1 the maximum.
 */
public final class Percentiles {
  private Percentiles() {}

  /** The nearest-rank {@code q}-quantile (0 <= q <= 1) of values sorted ascending; NaN when there are none. */
  public static double nearestRank(double[] sorted, double q) {
    return sorted.length == 0 ? Double.NaN : sorted[index(sorted.length, q)];
  }

  /** The nearest-rank {@code q}-quantile (0 <= q <= 1) of values sorted ascending; there must be at least one. */
  public static long nearestRank(long[] sorted, double q) {
    if (sorted.length == 0) throw new IllegalArgumentException("no values");
    return sorted[index(sorted.length, q)];
  }

  /** The index of the nearest-rank {@code q}-quantile among {@code n} sorted values. */
  static int index(int n, double q) {
    if (!(q >= 0 && q <= 1)) throw new IllegalArgumentException("a quantile is in [0, 1], not " + q);
    return Math.max(0, Math.min(n - 1, (int) Math.ceil(q * n) - 1));
  }
}
