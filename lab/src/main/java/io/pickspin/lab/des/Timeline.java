package io.pickspin.lab.des;

import io.pickspin.lab.common.Percentiles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Per-minute series of a run: GPUs allocated (time average) and latency of the requests completing that minute. */
final class Timeline {
  static final double BUCKET_MS = 60_000;

  private final double origin;
  private final List<double[]> gpuMs = new ArrayList<>(); // [0] = GPU-ms in the bucket
  private final List<DoubleList> latencies = new ArrayList<>();

  /** @param origin time 0 of the series (the end of the warm-up); earlier samples are dropped */
  Timeline(double origin) {
    this.origin = origin;
  }

  void addGpus(double from, double to, int gpus) {
    from = Math.max(0, from - origin);
    to = to - origin;
    if (to <= from) return;
    if (gpus == 0) {
      bucket(Math.max(0, (int) Math.ceil(to / BUCKET_MS) - 1));
      return;
    }
    double t = from;
    while (t < to) {
      int b = (int) (t / BUCKET_MS);
      double end = Math.min(to, (b + 1) * BUCKET_MS);
      bucket(b)[0] += gpus * (end - t);
      t = end;
    }
  }

  void addLatency(double at, double ms) {
    at -= origin;
    if (at < 0) return;
    int b = (int) (at / BUCKET_MS);
    bucket(b);
    latencies.get(b).add(ms);
  }

  private double[] bucket(int b) {
    while (gpuMs.size() <= b) {
      gpuMs.add(new double[1]);
      latencies.add(new DoubleList());
    }
    return gpuMs.get(b);
  }

  int minutes() {
    return gpuMs.size();
  }

  /** Mean GPUs allocated in each minute up to {@code endMs} (series time); the last, partial minute over its own length. */
  double[] gpus(double endMs) {
    double[] out = new double[gpuMs.size()];
    for (int i = 0; i < out.length; i++) {
      double len = Math.min(BUCKET_MS, endMs - i * BUCKET_MS);
      out[i] = len <= 0 ? 0 : gpuMs.get(i)[0] / len;
    }
    return out;
  }

  /** Mean latency of completions per minute, NaN when none completed. */
  double[] meanLatency() {
    return latencies.stream().mapToDouble(l -> l.size() == 0 ? Double.NaN : l.mean()).toArray();
  }

  double[] p95Latency() {
    return latencies.stream().mapToDouble(l -> l.size() == 0 ? Double.NaN : l.percentile(0.95)).toArray();
  }

  /** A growable array of doubles. */
  static final class DoubleList {
    private double[] a = new double[16];
    private int n;

    void add(double v) {
      if (n == a.length) a = Arrays.copyOf(a, n * 2);
      a[n++] = v;
    }

    int size() {
      return n;
    }

    double mean() {
      double s = 0;
      for (int i = 0; i < n; i++) s += a[i];
      return n == 0 ? 0 : s / n;
    }

    /** Nearest-rank percentile, 0 when empty. */
    double percentile(double q) {
      if (n == 0) return 0;
      double[] s = Arrays.copyOf(a, n);
      Arrays.sort(s);
      return Percentiles.nearestRank(s, q);
    }
  }
}
