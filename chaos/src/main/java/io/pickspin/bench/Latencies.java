package io.pickspin.bench;

import java.util.Arrays;

/** Percentiles of one run's latencies, in milliseconds. */
record Latencies(double p50, double p95, double p99, double max, long count) {
  static final Latencies NONE = new Latencies(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);

  static Latencies of(long[] nanos) {
    if (nanos.length == 0) return NONE;
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return new Latencies(
        at(sorted, 0.50), at(sorted, 0.95), at(sorted, 0.99), sorted[sorted.length - 1] / 1e6, sorted.length);
  }

  /** Nearest-rank percentile. */
  private static double at(long[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
  }
}
