package io.pickspin.lab.bench;

import io.pickspin.lab.common.Percentiles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

  private static double at(long[] sorted, double q) {
    return Percentiles.nearestRank(sorted, q) / 1e6;
  }

  /**
   * Whether a way fell behind in an interleaved run with time slices of {@code sliceMs}: its median latency is longer
   * than a slice, so most of its answers came during other ways' slices (a backlog it could not clear in its own), and
   * it took CPU there. Not for a run that measured nothing (NaN).
   */
  boolean outlasts(double sliceMs) {
    return p50 > sliceMs;
  }

  /** Each percentile minus the same percentile of {@code reference}; the count stays this run's. */
  Latencies minus(Latencies reference) {
    return new Latencies(p50 - reference.p50, p95 - reference.p95, p99 - reference.p99, max - reference.max, count);
  }

  /**
   * What a way adds, round by round: its percentiles in each round minus the reference's in the same round. Taken
   * within a round because the machine's noise (CPU steal) changes between rounds and hits both ways of a round alike.
   */
  static List<Latencies> added(List<Latencies> way, List<Latencies> reference) {
    if (way.size() != reference.size()) {
      throw new IllegalArgumentException(way.size() + " rounds of the way but " + reference.size() + " of the reference");
    }
    List<Latencies> added = new ArrayList<>();
    for (int round = 0; round < way.size(); round++) added.add(way.get(round).minus(reference.get(round)));
    return added;
  }

  /** Each percentile's median over the runs, on its own (the result need not be one of the runs). */
  static Latencies median(List<Latencies> runs) {
    return new Latencies(Median.of(runs, Latencies::p50), Median.of(runs, Latencies::p95), Median.of(runs, Latencies::p99),
        Median.of(runs, Latencies::max), Math.round(Median.of(runs, Latencies::count)));
  }
}
