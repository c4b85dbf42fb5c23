package io.pickspin.scaling;

import java.util.Locale;

/** Why the scaling policy changed a model's desired replicas. Persisted by name: add values, never rename. */
public enum ScaleReason {
  /** Requests arrived (or are held) for a model at zero replicas. */
  SCALE_FROM_ZERO,
  /** Little's law asks for more replicas than there are. */
  LOAD,
  /** Requests are queued because every replica is full: at least enough replicas for in-flight plus held. */
  BACKLOG,
  /** The warm-pool minimum (tier warm pool or model minimum) is above the current count. */
  WARM_POOL,
  /** Demand stayed below the current count for a whole cooldown. */
  COOLDOWN_ELAPSED,
  /** No request for the idle timeout tau: scale to zero (or the warm minimum). */
  IDLE_TIMEOUT,
  /** An operator lowered the maximum below the current count. */
  LIMITS,
  /** Demand stayed below the current count over the scale-down window (its percentile), after the cooldown. */
  DEMAND_FELL,
  /** Another warm model absorbs this model's traffic within SLO and that saves GPUs: the pool goes to zero. */
  CONSOLIDATED,
  /** This model takes over another model's traffic (consolidation) and needs more replicas for it first. */
  ABSORB;

  /** "scale-from-zero", "cooldown-elapsed", ...: the name used in logs, the admin API and metrics. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
