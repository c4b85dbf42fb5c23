package io.pickspin.scaling;

import com.typesafe.config.Config;
import io.pickspin.model.Tier;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Settings of the scaling loop ({@code pickspin.scaling} in pickspin-scaling.conf).
 *
 * @param tickInterval how often the supervisor plans every model; zero disables the timer (tests tick by hand)
 * @param telemetryWindow sliding window of the arrival rate and mean latency
 * @param cooldown minimum time after any change, and the time demand must stay below, before a scale-down
 * @param idleTimeout tau: no request for this long scales a model to its warm minimum (zero unless warm)
 * @param scaleDownHeadroom a scale-down keeps this fraction of spare capacity: it goes to ceil(demand x (1 + this) / c)
 *     while a scale-up goes to ceil(demand / c). The dead band between the two stops a load that sits on a replica
 *     boundary from flipping the count back and forth
 * @param warmPool replicas every model of a tier keeps even when idle
 * @param assumedOutputTokens output length used to estimate latency from the model's profile before any request has
 *     completed (a model at zero has no measured latency)
 * @param telemetryTimeout how long the supervisor waits for a pool's telemetry
 * @param snapshotEvery supervisor snapshot every this many events
 * @param keepSnapshots snapshots kept
 * @param recentDecisions decisions kept in the supervisor's state for the admin API
 * @param latencySlack sigma: how much slower than on an idle replica a request may become before the scaler adds
 *     replicas (0.3 = 30 %). For a model whose profile has a batch curve (tpot-at-max-batch-ms) the scaler plans each
 *     replica at the concurrency and prefill load that keep latency within (1 + sigma) of idle latency, see
 *     {@link ScalingPolicy}; 0 (or a profile without the curve) plans with c = max batch, as before
 */
public record ScalingSettings(
    Duration tickInterval,
    Duration telemetryWindow,
    Duration cooldown,
    Duration idleTimeout,
    double scaleDownHeadroom,
    Map<Tier, Integer> warmPool,
    int assumedOutputTokens,
    Duration telemetryTimeout,
    int snapshotEvery,
    int keepSnapshots,
    int recentDecisions,
    double latencySlack) {

  public ScalingSettings {
    if (tickInterval.isNegative()) throw new IllegalArgumentException("pickspin.scaling.tick-interval must be >= 0");
    if (telemetryWindow.toMillis() < 1) throw new IllegalArgumentException("pickspin.scaling.telemetry-window must be > 0");
    if (cooldown.isNegative()) throw new IllegalArgumentException("pickspin.scaling.cooldown must be >= 0");
    if (idleTimeout.isNegative()) throw new IllegalArgumentException("pickspin.scaling.idle-timeout must be >= 0");
    if (!(scaleDownHeadroom >= 0)) throw new IllegalArgumentException("pickspin.scaling.scale-down-headroom must be >= 0");
    EnumMap<Tier, Integer> warm = new EnumMap<>(Tier.class);
    for (Tier t : Tier.values()) {
      int n = warmPool.getOrDefault(t, 0);
      if (n < 0) throw new IllegalArgumentException("pickspin.scaling.warm-pool." + key(t) + " must be >= 0");
      warm.put(t, n);
    }
    warmPool = Map.copyOf(warm);
    if (assumedOutputTokens < 1) throw new IllegalArgumentException("pickspin.scaling.assumed-output-tokens must be >= 1");
    if (telemetryTimeout.toMillis() < 1) throw new IllegalArgumentException("pickspin.scaling.telemetry-timeout must be > 0");
    if (snapshotEvery < 1) throw new IllegalArgumentException("pickspin.scaling.snapshot-every must be >= 1");
    if (keepSnapshots < 1) throw new IllegalArgumentException("pickspin.scaling.keep-snapshots must be >= 1");
    if (recentDecisions < 0) throw new IllegalArgumentException("pickspin.scaling.recent-decisions must be >= 0");
    if (!(latencySlack >= 0)) throw new IllegalArgumentException("pickspin.scaling.latency-slack must be >= 0");
  }

  /** Reads the {@code pickspin.scaling} block. */
  public static ScalingSettings fromConfig(Config c) {
    Map<Tier, Integer> warm = new EnumMap<>(Tier.class);
    for (Tier t : Tier.values()) warm.put(t, c.getInt("warm-pool." + key(t)));
    return new ScalingSettings(
        c.getDuration("tick-interval"),
        c.getDuration("telemetry-window"),
        c.getDuration("cooldown"),
        c.getDuration("idle-timeout"),
        c.getDouble("scale-down-headroom"),
        warm,
        c.getInt("assumed-output-tokens"),
        c.getDuration("telemetry-timeout"),
        c.getInt("snapshot-every"),
        c.getInt("keep-snapshots"),
        c.getInt("recent-decisions"),
        c.hasPath("latency-slack") ? c.getDouble("latency-slack") : 0);
  }

  /** The same settings with another latency slack (0 = plan replicas at their max batch). */
  public ScalingSettings withLatencySlack(double slack) {
    return new ScalingSettings(tickInterval, telemetryWindow, cooldown, idleTimeout, scaleDownHeadroom, warmPool,
        assumedOutputTokens, telemetryTimeout, snapshotEvery, keepSnapshots, recentDecisions, slack);
  }

  /** The same settings with another warm pool per tier. */
  public ScalingSettings withWarmPool(Map<Tier, Integer> warm) {
    return new ScalingSettings(tickInterval, telemetryWindow, cooldown, idleTimeout, scaleDownHeadroom, warm,
        assumedOutputTokens, telemetryTimeout, snapshotEvery, keepSnapshots, recentDecisions, latencySlack);
  }

  public int warm(Tier tier) {
    return warmPool.get(tier);
  }

  private static String key(Tier t) {
    return t.name().toLowerCase(Locale.ROOT);
  }
}
