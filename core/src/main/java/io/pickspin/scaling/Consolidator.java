package io.pickspin.scaling;

import io.pickspin.model.ModelSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fleet-wide consolidation: which pools may go to zero because another warm model absorbs their traffic within SLO at
 * a lower GPU cost. Each pool sized alone keeps at least one replica while it has traffic; three models with a little
 * traffic each then hold three pools where one would serve all of it. The per-model {@link ScalingPolicy} cannot see
 * that; this class looks at every model's reading at once and advises each ({@link ScalingPolicy.Advice}).
 *
 * <p>Models are ranked by value, quality per replica-hour ({@link ModelSpec#quality()} / {@link
 * ModelSpec#replicaHourlyCost()}). From the lowest value up, a model m with traffic is consolidated into the
 * highest-value open model w (at least one replica desired) that
 *
 * <ul>
 *   <li>has the higher value, and a quality at least (1 - quality tolerance) x m's;
 *   <li>can serve both loads within SLO: w's replicas for the combined rate and demand (m's requests in the system
 *       scaled by the two profiles' service times), planned at the tighter of the two pools' deadline slack, within
 *       w's maximum;
 *   <li>saves GPU cost: the replicas w needs beyond its own cost less than m's replicas, or the same with a better
 *       quality.
 * </ul>
 *
 * The model of the highest value (that may run at all) is the fleet's anchor: it keeps {@link
 * ScalingSettings.Consolidation#anchorWarm()} replicas even when idle, so that there is a warm model to consolidate into
 * and spill to.
 *
 * <p>The absorber is advised to grow to the combined size first ({@link ScalingPolicy.Advice#absorbTarget()}); m is
 * closable once the absorber has that many replicas ready, and its policy then lets it go to zero after the
 * scale-down window. A model with held requests (clients waiting for it), or whose window holds requests from clients
 * that named it, is never closed: that traffic cannot move. Requests routed to a closed
 * pool go elsewhere (the router sees the cold start; a request held there spills to a warm model, see {@link Spill}).
 *
 * <p>Pure: time-free, a function of the readings. Not thread-safe only in the sense that it is stateless.
 */
public final class Consolidator {
  private final ScalingPolicy policy;

  public Consolidator(ScalingPolicy policy) {
    this.policy = policy;
  }

  /** One model's reading and memory. */
  public record Pool(ModelSpec spec, Telemetry telemetry, ModelMemory memory) {}

  /** Quality per replica-hour: what a GPU-hour of this model buys. */
  public static double value(ModelSpec s) {
    return s.quality() / Math.max(1e-9, s.replicaHourlyCost());
  }

  private static final class Acc {
    final Pool pool;
    final ScalingPolicy.Sizing own;
    final int ownNeed;
    double rate, demand, factor; // factor: the tightest tolerated slowdown at the SLO quantile, NaN if none known
    boolean closing;
    int absorbTarget;

    Acc(Pool pool, ScalingPolicy.Sizing own, double factor) {
      this.pool = pool;
      this.own = own;
      this.ownNeed = ScalingPolicy.ceil(own.load());
      this.rate = pool.telemetry().ratePerSecond();
      this.demand = own.demand();
      this.factor = factor;
    }

    int desired() {
      return Math.max(0, pool.memory().desired());
    }
  }

  /** Advice for every model in {@code pools} (NONE for those it leaves alone). */
  public Map<String, ScalingPolicy.Advice> advise(List<Pool> pools) {
    Map<String, ScalingPolicy.Advice> out = new LinkedHashMap<>();
    for (Pool p : pools) out.put(p.spec().id(), ScalingPolicy.Advice.NONE);
    ScalingSettings.Consolidation cfg = policy.settings().consolidation();
    if (!cfg.enabled() || pools.size() < 2) return out;
    double sloLevel = 1 - policy.settings().slo().onTime();
    int minSamples = policy.settings().slo().minSamples();
    Map<String, Acc> acc = new HashMap<>();
    List<Acc> byValue = new ArrayList<>();
    for (Pool p : pools) {
      DeadlineSlack d = p.telemetry().deadlines();
      double factor = d.samples() >= minSamples ? d.quantile(sloLevel) : Double.NaN;
      Acc a = new Acc(p, policy.size(p.spec(), p.telemetry()), factor);
      acc.put(p.spec().id(), a);
      byValue.add(a);
    }
    byValue.sort(Comparator.comparingDouble((Acc a) -> value(a.pool.spec())).thenComparing(a -> a.pool.spec().id()));
    Map<String, String> into = new HashMap<>();
    for (Acc m : byValue) {
      ModelSpec ms = m.pool.spec();
      // a closed model without traffic needs nothing; one with traffic (its window still holds arrivals from before it
      // closed, or clients reach it) stays closed while another model absorbs that traffic
      boolean hasTraffic = m.desired() > 0 || m.rate > 0 || m.pool.telemetry().inFlight() > 0;
      // clients that named m (held, or arriving within the window) cannot be served by another model: m stays open
      if (m.absorbTarget > 0 || m.pool.telemetry().held() > 0 || m.pool.telemetry().namedArrivals() > 0) continue;
      Acc best = null;
      int bestNeed = 0;
      for (int i = byValue.size() - 1; i >= 0; i--) { // highest value first
        Acc w = byValue.get(i);
        ModelSpec ws = w.pool.spec();
        if (w == m || w.closing || w.desired() == 0 || value(ws) <= value(ms)) continue;
        if (ws.quality() < (1 - cfg.qualityTolerance()) * ms.quality()) continue;
        int need = combinedNeed(w, m);
        int max = policy.limits(ws, w.pool.memory()).maxReplicas();
        if (need > max) continue;
        int base = Math.max(Math.max(w.desired(), w.ownNeed), w.absorbTarget);
        double extraCost = ws.replicaHourlyCost() * Math.max(0, need - base);
        if (!hasTraffic) {
          // a closed, idle pool stays closed while an absorber has room now: the first request does not open it
          if (w.pool.telemetry().ready() > 0 && need <= Math.max(base, w.pool.telemetry().ready())) {
            best = w;
            bestNeed = 0;
            break;
          }
          continue;
        }
        double ownCost = ms.replicaHourlyCost() * Math.max(1, Math.max(m.desired(), m.ownNeed));
        boolean saves = extraCost < ownCost - 1e-9 || (Math.abs(extraCost - ownCost) <= 1e-9 && ws.quality() > ms.quality());
        if (saves) {
          best = w;
          bestNeed = need;
          break;
        }
      }
      if (best == null) continue;
      // the absorber now carries m's load as well
      ModelSpec ws = best.pool.spec();
      double r = serviceRatio(ws, ms);
      best.rate += m.rate;
      best.demand += m.demand * r;
      best.factor = tighter(best.factor, Double.isNaN(m.factor) ? Double.NaN : m.factor / r);
      if (bestNeed > 0) best.absorbTarget = Math.max(best.absorbTarget, bestNeed);
      m.closing = true;
      into.put(ms.id(), ws.id());
    }
    // the anchor: the model of the highest value that may run at all keeps replicas warm for the others to spill to
    String anchor = null;
    if (cfg.anchorWarm() > 0) {
      for (int i = byValue.size() - 1; i >= 0 && anchor == null; i--) {
        Acc a = byValue.get(i);
        if (policy.limits(a.pool.spec(), a.pool.memory()).maxReplicas() > 0) anchor = a.pool.spec().id();
      }
    }
    for (Acc a : byValue) {
      String id = a.pool.spec().id();
      String w = into.get(id);
      int warm = id.equals(anchor) ? cfg.anchorWarm() : 0;
      if (w != null) {
        Acc absorber = acc.get(w);
        boolean closable = absorber.pool.telemetry().ready() >= Math.max(1, absorber.absorbTarget);
        out.put(id, new ScalingPolicy.Advice(w, closable, 0, warm));
      } else if (a.absorbTarget > 0 || warm > 0) {
        out.put(id, new ScalingPolicy.Advice(null, false, a.absorbTarget, warm));
      }
    }
    return out;
  }

  /** Replicas w needs for its load plus m's. */
  private int combinedNeed(Acc w, Acc m) {
    ModelSpec ws = w.pool.spec();
    double r = serviceRatio(ws, m.pool.spec());
    double rate = w.rate + m.rate;
    double demand = w.demand + m.demand * r;
    double factor = tighter(w.factor, Double.isNaN(m.factor) ? Double.NaN : m.factor / r);
    double sigma = Double.isNaN(factor) ? w.own.sigma() : (w.own.sigma() > 0 ? policy.sigmaFor(factor) : 0);
    double latency = rate > 0 ? demand / rate * 1000 : w.own.latencyMs();
    return ScalingPolicy.ceil(policy.size(ws, rate, demand, latency, sigma).load());
  }

  /** How much longer a request takes on w than on m, by their profiles (a typical request of either). */
  private double serviceRatio(ModelSpec w, ModelSpec m) {
    int n = policy.settings().assumedOutputTokens();
    double sm = m.latency().serviceMs(n);
    return sm > 0 ? w.latency().serviceMs(n) / sm : 1;
  }

  private static double tighter(double a, double b) {
    if (Double.isNaN(a)) return b;
    if (Double.isNaN(b)) return a;
    return Math.min(a, b);
  }
}
