package io.pickspin.routing.matrix;

import io.pickspin.model.Tier;
import io.pickspin.routing.Profile;
import java.util.Arrays;
import java.util.Comparator;
import java.util.function.ToDoubleFunction;

/**
 * The paper's multi-objective selection (Eq. 1/2, ../shared/research/papers.md section 1.9): relevance R, latency T
 * and cost C of every (model, backend) entry are min-max normalised with bounds taken over the whole matrix (R over
 * every entry and every tier, so that the bounds are historical, not those of the few candidates at hand), latency and
 * cost inverted so that 1 is best, and combined as f = wR·R̂ + wT·T̂ + wC·Ĉ. Equal bounds normalise to 1.
 *
 * <p>T and C are those of the same request on every model: T is the entry's {@link ServiceMatrix.Entry#expectedLatencyMs()
 * expected latency} plus the wait for a replica the caller reports (a saturated pool's queue, a cold pool's start), C
 * the GPU cost of the expected service time (waiting costs no GPU time). Latency averages of the answers each model
 * happened to serve are not comparable across models and are not used.
 *
 * <p>Which entries may win, in order:
 *
 * <ol>
 *   <li>capable entries: models whose tier is at least the prompt's (none: those of the largest tier present);
 *   <li>with a deadline, capable entries whose expected latency meets it; if no capable entry meets it but a smaller
 *       model does, the entries that meet it (a fast answer from a smaller model beats a late one); if none meets it,
 *       the deadline is ignored.
 * </ol>
 *
 * Entries that may win come first, best score first; the others follow, best score first (they are the fallbacks of
 * last resort). Stateless and thread-safe.
 */
public final class Scorer {
  private Scorer() {}

  /** Operator weights for relevance, latency and cost. */
  public record Weights(double relevance, double latency, double cost) {
    public Weights {
      if (relevance < 0 || latency < 0 || cost < 0) throw new IllegalArgumentException("weights must be >= 0");
    }

    public static Weights of(Profile p) {
      return new Weights(p.qualityWeight, p.speedWeight, p.costWeight);
    }
  }

  /**
   * One ranked entry with its raw and combined values.
   *
   * @param latencyMs expected latency: expected service time plus {@code waitMs}
   * @param waitMs expected wait for a replica slot or a new replica
   */
  public record Scored(
      ServiceMatrix.Entry entry, double relevance, double latencyMs, double cost, double score, boolean eligible, double waitMs) {
    public String model() {
      return entry.model().id();
    }
  }

  /** As {@link #rank(ServiceMatrix, Tier, Weights, long, ToDoubleFunction)} with every model idle and warm. */
  public static Scored[] rank(ServiceMatrix matrix, Tier promptTier, Weights w, long deadlineMs) {
    return rank(matrix, promptTier, w, deadlineMs, NO_WAIT);
  }

  private static final ToDoubleFunction<ServiceMatrix.Entry> NO_WAIT = e -> 0;

  /**
   * Ranks every entry of the matrix for a prompt of {@code promptTier}.
   *
   * @param deadlineMs the request's latency budget, 0 for none
   * @param waitMs how long a request to the entry's model would wait for a replica before its service starts, in ms
   */
  public static Scored[] rank(
      ServiceMatrix matrix, Tier promptTier, Weights w, long deadlineMs, ToDoubleFunction<ServiceMatrix.Entry> waitMs) {
    ServiceMatrix.Entry[] es = matrix.entryArray();
    int n = es.length;
    double rMin = Double.MAX_VALUE, rMax = -Double.MAX_VALUE;
    double tMin = Double.MAX_VALUE, tMax = -Double.MAX_VALUE;
    double cMin = Double.MAX_VALUE, cMax = -Double.MAX_VALUE;
    double[] r = new double[n], t = new double[n], c = new double[n], wait = new double[n];
    int topTier = 0;
    for (int i = 0; i < n; i++) {
      ServiceMatrix.Entry e = es[i];
      for (Tier pt : Tier.values()) {
        double ri = matrix.relevance(e, pt);
        rMin = Math.min(rMin, ri);
        rMax = Math.max(rMax, ri);
      }
      r[i] = matrix.relevance(e, promptTier);
      wait[i] = Math.max(0, waitMs.applyAsDouble(e));
      t[i] = e.expectedLatencyMs() + wait[i];
      c[i] = e.expectedCostPerRequest();
      tMin = Math.min(tMin, t[i]);
      tMax = Math.max(tMax, t[i]);
      cMin = Math.min(cMin, c[i]);
      cMax = Math.max(cMax, c[i]);
      topTier = Math.max(topTier, e.model().tier().ordinal());
    }
    int capableFrom = Math.min(promptTier.ordinal(), topTier);
    boolean anyCapableFits = false, anyFits = false;
    for (int i = 0; i < n; i++) {
      boolean fits = deadlineMs <= 0 || t[i] <= deadlineMs;
      anyFits |= fits;
      anyCapableFits |= fits && es[i].model().tier().ordinal() >= capableFrom;
    }
    Scored[] out = new Scored[n];
    for (int i = 0; i < n; i++) {
      double f =
          w.relevance() * higherIsBetter(r[i], rMin, rMax)
              + w.latency() * lowerIsBetter(t[i], tMin, tMax)
              + w.cost() * lowerIsBetter(c[i], cMin, cMax);
      boolean capable = es[i].model().tier().ordinal() >= capableFrom;
      boolean fits = deadlineMs <= 0 || t[i] <= deadlineMs;
      boolean eligible =
          deadlineMs <= 0 ? capable : anyCapableFits ? capable && fits : anyFits ? fits : capable;
      out[i] = new Scored(es[i], r[i], t[i], c[i], f, eligible, wait[i]);
    }
    Arrays.sort(out, ORDER);
    return out;
  }

  private static final Comparator<Scored> ORDER =
      Comparator.comparing((Scored s) -> !s.eligible()).thenComparing(Comparator.comparingDouble(Scored::score).reversed());

  /** (x - min) / (max - min) clamped to [0,1]; 1 when max == min (a value nothing beats). */
  static double higherIsBetter(double x, double min, double max) {
    if (max - min < 1e-12) return 1.0;
    return Math.max(0, Math.min(1, (x - min) / (max - min)));
  }

  /** (max - x) / (max - min) clamped to [0,1]; 1 when max == min. */
  static double lowerIsBetter(double x, double min, double max) {
    if (max - min < 1e-12) return 1.0;
    return Math.max(0, Math.min(1, (max - x) / (max - min)));
  }
}
