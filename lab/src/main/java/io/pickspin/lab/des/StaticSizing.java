package io.pickspin.lab.des;

import java.util.function.IntFunction;

/**
 * Sizes a static deployment the way an operator would for a latency SLO: the fewest always-on replicas of a model
 * whose simulated run meets the deadline for at least a target share of its requests (on time, completed; accuracy
 * aside), found by doubling then bisection over 1..max; the maximum when even that misses the target. The baseline is
 * thereby as cheap as it can be while serving its trace, rather than sized by a rule of thumb.
 */
final class StaticSizing {
  /** A size and the run that qualified it. */
  record Size(int replicas, RunResult run, int probes) {}

  private StaticSizing() {}

  /** @param run simulates the deployment with the given replica count */
  static Size smallest(int max, double targetOnTime, IntFunction<RunResult> run) {
    int probes = 0;
    int lo = 0; // largest count known to miss (0: none tried)
    RunResult best = null;
    int hi = 1;
    while (true) {
      RunResult r = run.apply(hi);
      probes++;
      if (meets(r, targetOnTime)) {
        best = r;
        break;
      }
      lo = hi;
      if (hi == max) return new Size(max, r, probes);
      hi = Math.min(max, hi * 2);
    }
    while (hi - lo > 1) {
      int mid = (lo + hi) / 2;
      RunResult r = run.apply(mid);
      probes++;
      if (meets(r, targetOnTime)) {
        hi = mid;
        best = r;
      } else {
        lo = mid;
      }
    }
    return new Size(hi, best, probes);
  }

  /**
   * As {@link #smallest}, starting from a likely size (e.g. another seed's): steps down from {@code hint} while the
   * next smaller size still meets the target, or up until one does; two or three runs when the hint is close.
   */
  static Size around(int hint, int max, double targetOnTime, IntFunction<RunResult> run) {
    int n = Math.max(1, Math.min(max, hint));
    int probes = 1;
    RunResult r = run.apply(n);
    if (meets(r, targetOnTime)) {
      while (n > 1) {
        RunResult smaller = run.apply(n - 1);
        probes++;
        if (!meets(smaller, targetOnTime)) break;
        n--;
        r = smaller;
      }
      return new Size(n, r, probes);
    }
    while (n < max) {
      n++;
      r = run.apply(n);
      probes++;
      if (meets(r, targetOnTime)) break;
    }
    return new Size(n, r, probes);
  }

  static boolean meets(RunResult r, double targetOnTime) {
    return r.requests() == 0 || (double) r.onTime() / r.requests() >= targetOnTime;
  }
}
