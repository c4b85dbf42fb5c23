package io.pickspin.lab.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * RouteLLM's quality/cost metrics (Ong et al., arXiv 2406.18665, section 5.1) for one router score on one benchmark.
 *
 * <p>A prompt goes to the strong model when its score is at least the threshold. Sweeping the threshold over every
 * distinct score (from above all scores: no strong call, down to the lowest: every call strong) gives points (x, PGR):
 * x the share of strong calls, PGR = (perf - weak) / (strong - weak), where perf is the mean per-prompt result of the
 * routed mix and weak / strong the means of the all-weak / all-strong mixes. Prompts with equal scores always move
 * together (one threshold cannot split them). The curve is the piecewise-linear line through these points (a point
 * between two thresholds is reached by routing the tie group at random).
 *
 * <ul>
 *   <li>APGR: the area under the curve over x in [0,1] (trapezoids). Random routing has an expected curve PGR = x,
 *       so an expected APGR of 0.5.</li>
 *   <li>CPT(p): the smallest x at which the curve reaches PGR p (linear interpolation inside a segment); random
 *       routing's expected CPT(p) is p.</li>
 * </ul>
 */
public final class RouteLlmCurve {
  /** One point of the curve: the share of strong calls and the performance gap recovered there. */
  public record Point(double strongShare, double pgr) {}

  private final List<Point> points;
  private final double weakMean, strongMean;

  private RouteLlmCurve(List<Point> points, double weakMean, double strongMean) {
    this.points = points;
    this.weakMean = weakMean;
    this.strongMean = strongMean;
  }

  /**
   * The curve of a router's scores on prompts with both models' results (correctness 0/1, or a judge score).
   *
   * @throws IllegalArgumentException if the lengths differ, there are no prompts, or the strong model's mean equals the
   *     weak one's (PGR undefined)
   */
  public static RouteLlmCurve of(double[] score, double[] weak, double[] strong) {
    int n = score.length;
    if (n == 0 || weak.length != n || strong.length != n) throw new IllegalArgumentException("need equal, non-empty arrays");
    double w = 0, s = 0;
    for (int i = 0; i < n; i++) {
      w += weak[i];
      s += strong[i];
    }
    double weakMean = w / n, strongMean = s / n;
    if (strongMean == weakMean) throw new IllegalArgumentException("strong and weak means are equal: PGR is undefined");
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) order[i] = i;
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> score[i]).reversed());
    List<Point> pts = new ArrayList<>();
    pts.add(new Point(0, 0));
    double total = w; // sum of results of the current mix
    int i = 0;
    while (i < n) {
      int j = i;
      while (j < n && score[order[j]] == score[order[i]]) {
        total += strong[order[j]] - weak[order[j]];
        j++;
      }
      pts.add(new Point((double) j / n, (total / n - weakMean) / (strongMean - weakMean)));
      i = j;
    }
    return new RouteLlmCurve(List.copyOf(pts), weakMean, strongMean);
  }

  public List<Point> points() {
    return points;
  }

  public double weakMean() {
    return weakMean;
  }

  public double strongMean() {
    return strongMean;
  }

  /** Area under PGR over the strong-call share, in [0,1] by trapezoids. */
  public double apgr() {
    double a = 0;
    for (int k = 1; k < points.size(); k++) {
      Point p = points.get(k - 1), q = points.get(k);
      a += (q.strongShare() - p.strongShare()) * (p.pgr() + q.pgr()) / 2;
    }
    return a;
  }

  /** The smallest strong-call share at which the curve reaches {@code target} PGR (e.g. 0.5); 1 if never before the end. */
  public double cpt(double target) {
    if (points.get(0).pgr() >= target) return points.get(0).strongShare();
    for (int k = 1; k < points.size(); k++) {
      Point p = points.get(k - 1), q = points.get(k);
      if (q.pgr() >= target) {
        if (q.pgr() == p.pgr()) return q.strongShare();
        return p.strongShare() + (target - p.pgr()) / (q.pgr() - p.pgr()) * (q.strongShare() - p.strongShare());
      }
    }
    return 1;
  }

  /** Mean APGR, CPT(50%) and CPT(80%) of random routing (uniform random scores) over {@code seeds} seeds. */
  public static double[] randomMean(double[] weak, double[] strong, int seeds) {
    double[] m = new double[3];
    for (int seed = 0; seed < seeds; seed++) {
      Random r = new Random(seed);
      double[] score = new double[weak.length];
      for (int i = 0; i < score.length; i++) score[i] = r.nextDouble();
      RouteLlmCurve c = of(score, weak, strong);
      m[0] += c.apgr();
      m[1] += c.cpt(0.5);
      m[2] += c.cpt(0.8);
    }
    for (int k = 0; k < 3; k++) m[k] /= seeds;
    return m;
  }
}
