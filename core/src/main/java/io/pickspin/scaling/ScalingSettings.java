package io.pickspin.scaling;

import com.typesafe.config.Config;
import io.pickspin.model.Tier;
import io.pickspin.routing.Profile;
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
 *     {@link ScalingPolicy}; 0 (or a profile without the curve) plans with c = max batch, as before. Once the pool
 *     has seen enough deadlines, {@link Slo} replaces this fixed sigma with one derived from them
 * @param slo how the pool's deadlines set the slack
 * @param scaleDown how a scale-down is decided
 * @param consolidation when a pool goes to zero because another warm model can absorb its traffic
 * @param burst which bursts the scale-up plans with at once
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
    double latencySlack,
    Slo slo,
    ScaleDown scaleDown,
    Consolidation consolidation,
    Burst burst) {

  /**
   * SLO-driven sizing ({@code pickspin.scaling.slo}). A completed request with a deadline D and an idle service time S
   * on its model (the profile's, for its output length) tolerated a slowdown of f = D / S. The pool is planned at the
   * slowdown its tightest requests tolerate: F = the (1 - onTime) quantile of f over the telemetry window, so that at
   * most a (1 - onTime) share of the requests would be late even at that slowdown; sigma = safety x (F - 1), within
   * [minSlack, maxSlack].
   *
   * @param onTime target share of a pool's requests that meet their deadline
   * @param safety share of the tolerated slowdown the planner uses: below 1 it leaves room for the batch's fluctuations
   *     around its mean; above 1 it corrects the planning model's pessimism (it counts a prompt's whole idle TTFT,
   *     overheads included, as stalling every decoding sequence). A fitted constant: chosen on validation traces
   * @param minSlack lower bound of sigma (tight deadlines would otherwise ask for idle replicas)
   * @param maxSlack upper bound of sigma
   * @param minSamples deadlines needed in the window before they replace the fixed latency slack
   * @param feedback gain of the correction by the pool's measured on-time share: sigma is multiplied by 1 + feedback x
   *     (measured - onTime), within [1/2, 2], so a pool that meets more deadlines than the SLO asks packs its replicas
   *     denser and one that misses them spreads them (0: off). It corrects what the planning model gets wrong on a
   *     workload; proportional, so it settles a little off the target. Chosen on validation traces
   * @param calibration time constant of the pool's {@link SlowdownCalibration}: how fast the measured slowdown corrects
   *     the planning model (0: off). Chosen on validation traces
   */
  public record Slo(
      double onTime, double safety, double minSlack, double maxSlack, int minSamples, double feedback,
      Duration calibration) {
    public Slo {
      if (!(onTime > 0 && onTime < 1)) throw new IllegalArgumentException("pickspin.scaling.slo.on-time must be in (0,1)");
      if (!(safety > 0 && safety <= 2)) throw new IllegalArgumentException("pickspin.scaling.slo.safety must be in (0,2]");
      if (!(minSlack > 0)) throw new IllegalArgumentException("pickspin.scaling.slo.min-slack must be > 0");
      if (!(maxSlack >= minSlack)) throw new IllegalArgumentException("pickspin.scaling.slo.max-slack must be >= min-slack");
      if (minSamples < 1) throw new IllegalArgumentException("pickspin.scaling.slo.min-samples must be >= 1");
      if (!(feedback >= 0)) throw new IllegalArgumentException("pickspin.scaling.slo.feedback must be >= 0");
      if (calibration == null) calibration = Duration.ZERO;
      if (calibration.isNegative()) throw new IllegalArgumentException("pickspin.scaling.slo.calibration must be >= 0");
    }

    /** Without calibration. */
    public Slo(double onTime, double safety, double minSlack, double maxSlack, int minSamples, double feedback) {
      this(onTime, safety, minSlack, maxSlack, minSamples, feedback, Duration.ZERO);
    }

    /** The shipped values. */
    public static Slo defaults() {
      return new Slo(0.95, 0.5, 0.1, 3.0, 20, 0);
    }

    /** Never enough deadlines: the fixed latency slack throughout, as before SLO-driven sizing. */
    public static Slo off() {
      return new Slo(0.95, 0.5, 0.1, 3.0, Integer.MAX_VALUE, 0);
    }

    public Slo withSafety(double s) {
      return new Slo(onTime, s, minSlack, maxSlack, minSamples, feedback, calibration);
    }

    public Slo withFeedback(double f) {
      return new Slo(onTime, safety, minSlack, maxSlack, minSamples, f, calibration);
    }

    public Slo withCalibration(Duration tau) {
      return new Slo(onTime, safety, minSlack, maxSlack, minSamples, feedback, tau);
    }
  }

  /**
   * Scale-down ({@code pickspin.scaling.scale-down}): the policy samples the down-target (the replicas the load needs
   * with the scale-down headroom) at every evaluation since the last change; once the samples span the window and the
   * last change is a cooldown old, it goes to their {@code percentile} if that is below the current count. A percentile
   * of 1 is the highest target of the window (a stabilisation window, as Kubernetes' HPA has).
   *
   * <p>The window adapts to the pool's traffic: a scale-down followed within {@code regret} by a scale-up for load was
   * premature (the capacity given back was needed again, and a cold start late), so the pool's window doubles, up to
   * {@code maxWindow}; each {@code regret} x 4 without such a reversal halves it again. Steady or slowly varying load
   * keeps the short window; bursts that recur within minutes hold their capacity.
   *
   * @param window the scale-down window of a pool without premature scale-downs
   * @param percentile of the window's down-targets a scale-down goes to
   * @param maxWindow the longest the window grows to (equal to {@code window}: it never grows)
   * @param regret a scale-up for load this soon after a scale-down doubles the window (zero: never)
   */
  public record ScaleDown(Duration window, double percentile, Duration maxWindow, Duration regret) {
    public ScaleDown {
      if (window.isNegative()) throw new IllegalArgumentException("pickspin.scaling.scale-down.window must be >= 0");
      if (!(percentile > 0 && percentile <= 1)) {
        throw new IllegalArgumentException("pickspin.scaling.scale-down.percentile must be in (0,1]");
      }
      if (maxWindow == null) maxWindow = window;
      if (regret == null) regret = Duration.ZERO;
      if (maxWindow.compareTo(window) < 0) {
        throw new IllegalArgumentException("pickspin.scaling.scale-down.max-window must be >= window");
      }
      if (regret.isNegative()) throw new IllegalArgumentException("pickspin.scaling.scale-down.regret must be >= 0");
    }

    /** A fixed window. */
    public ScaleDown(Duration window, double percentile) {
      this(window, percentile, window, Duration.ZERO);
    }
  }

  /**
   * Bursts ({@code pickspin.scaling.burst}). The scale-up plans with the rate of the last seconds when it is a burst
   * (see {@link ScalingPolicy}), but only when that rate is also at least {@code aboveLongRun} times the pool's long-run
   * rate ({@link LongRunRate}, averaged over {@code longRun}). Replicas ordered for a spike arrive a cold start later,
   * usually after it, and a steady workload's spikes recur within its usual range: those are queued through, as a
   * static deployment does. A ramp beyond that range, or a pool waking from little traffic, is met at once.
   *
   * @param longRun time constant of the long-run rate
   * @param aboveLongRun how many times the long-run rate a burst must reach to be planned with (0: every burst)
   */
  public record Burst(Duration longRun, double aboveLongRun) {
    public Burst {
      if (longRun == null || longRun.isNegative()) {
        throw new IllegalArgumentException("pickspin.scaling.burst.long-run must be >= 0");
      }
      if (!(aboveLongRun >= 0)) throw new IllegalArgumentException("pickspin.scaling.burst.above-long-run must be >= 0");
    }

    /** Every burst is planned with. */
    public static Burst always() {
      return new Burst(Duration.ZERO, 0);
    }
  }

  /**
   * Consolidation ({@code pickspin.scaling.consolidation}): a pool goes to zero while another warm model absorbs its
   * traffic within SLO and that saves GPUs, see {@link Consolidation}.
   *
   * @param enabled off: every pool with traffic keeps at least one replica
   * @param qualityTolerance the absorbing model's quality may be this much lower, relatively (0.03 = 3 %)
   * @param anchorWarm replicas the model of the highest value (quality per replica-hour) keeps even when idle: the
   *     warm model the others' traffic consolidates into and spills to (on top of the tiers' warm pools)
   * @param toleranceByProfile the quality tolerance of a routing profile where it differs (the quality profile pays for
   *     the larger model: 0); the fleet consolidates by the default profile's ({@link #forProfile})
   */
  public record Consolidation(
      boolean enabled, double qualityTolerance, int anchorWarm, Map<Profile, Double> toleranceByProfile) {
    public Consolidation {
      toleranceByProfile = Map.copyOf(toleranceByProfile == null ? Map.of() : toleranceByProfile);
      for (double t : toleranceByProfile.values()) check(t);
      check(qualityTolerance);
      if (anchorWarm < 0) throw new IllegalArgumentException("pickspin.scaling.consolidation.anchor-warm must be >= 0");
    }

    private static void check(double tolerance) {
      if (!(tolerance >= 0 && tolerance < 1)) {
        throw new IllegalArgumentException("pickspin.scaling.consolidation.quality-tolerance must be in [0,1)");
      }
    }

    public Consolidation(boolean enabled, double qualityTolerance, int anchorWarm) {
      this(enabled, qualityTolerance, anchorWarm, Map.of());
    }

    public Consolidation(boolean enabled, double qualityTolerance) {
      this(enabled, qualityTolerance, 0);
    }

    /** The consolidation in force when {@code profile} is the default routing profile. */
    public Consolidation forProfile(Profile profile) {
      return new Consolidation(enabled, toleranceByProfile.getOrDefault(profile, qualityTolerance), anchorWarm,
          toleranceByProfile);
    }

    public static Consolidation off() {
      return new Consolidation(false, 0);
    }
  }

  /**
   * The settings before SLO-driven sizing: the fixed latency slack, the scale-down to the highest target of a whole
   * cooldown, no consolidation.
   */
  public ScalingSettings(
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
    this(tickInterval, telemetryWindow, cooldown, idleTimeout, scaleDownHeadroom, warmPool, assumedOutputTokens,
        telemetryTimeout, snapshotEvery, keepSnapshots, recentDecisions, latencySlack, null, null, null, null);
  }

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
    if (slo == null) slo = Slo.off();
    if (scaleDown == null) scaleDown = new ScaleDown(cooldown, 1.0);
    if (consolidation == null) consolidation = Consolidation.off();
    if (burst == null) burst = Burst.always();
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
        c.hasPath("latency-slack") ? c.getDouble("latency-slack") : 0,
        c.hasPath("slo")
            ? new Slo(c.getDouble("slo.on-time"), c.getDouble("slo.safety"), c.getDouble("slo.min-slack"),
                c.getDouble("slo.max-slack"), c.getInt("slo.min-samples"),
                c.hasPath("slo.feedback") ? c.getDouble("slo.feedback") : 0,
                c.hasPath("slo.calibration") ? c.getDuration("slo.calibration") : Duration.ZERO)
            : null,
        c.hasPath("scale-down")
            ? new ScaleDown(c.getDuration("scale-down.window"), c.getDouble("scale-down.percentile"),
                c.hasPath("scale-down.max-window") ? c.getDuration("scale-down.max-window") : null,
                c.hasPath("scale-down.regret") ? c.getDuration("scale-down.regret") : null)
            : null,
        c.hasPath("consolidation")
            ? new Consolidation(c.getBoolean("consolidation.enabled"), c.getDouble("consolidation.quality-tolerance"),
                c.hasPath("consolidation.anchor-warm") ? c.getInt("consolidation.anchor-warm") : 0,
                c.hasPath("consolidation.profile-quality-tolerance")
                    ? tolerances(c.getConfig("consolidation.profile-quality-tolerance"))
                    : Map.of())
            : null,
        c.hasPath("burst") ? new Burst(c.getDuration("burst.long-run"), c.getDouble("burst.above-long-run")) : null);
  }

  private static Map<Profile, Double> tolerances(Config c) {
    Map<Profile, Double> m = new EnumMap<>(Profile.class);
    for (String profile : c.root().keySet()) m.put(Profile.parse(profile), c.getDouble(profile));
    return m;
  }

  /** The same settings with the consolidation in force when {@code profile} is the default routing profile. */
  public ScalingSettings forProfile(Profile profile) {
    return new ScalingSettings(tickInterval, telemetryWindow, cooldown, idleTimeout, scaleDownHeadroom, warmPool,
        assumedOutputTokens, telemetryTimeout, snapshotEvery, keepSnapshots, recentDecisions, latencySlack, slo,
        scaleDown, consolidation.forProfile(profile), burst);
  }

  /** The same settings with another latency slack (0 = plan replicas at their max batch). */
  public ScalingSettings withLatencySlack(double slack) {
    return new ScalingSettings(tickInterval, telemetryWindow, cooldown, idleTimeout, scaleDownHeadroom, warmPool,
        assumedOutputTokens, telemetryTimeout, snapshotEvery, keepSnapshots, recentDecisions, slack, slo, scaleDown,
        consolidation, burst);
  }

  /** The same settings with another warm pool per tier. */
  public ScalingSettings withWarmPool(Map<Tier, Integer> warm) {
    return new ScalingSettings(tickInterval, telemetryWindow, cooldown, idleTimeout, scaleDownHeadroom, warm,
        assumedOutputTokens, telemetryTimeout, snapshotEvery, keepSnapshots, recentDecisions, latencySlack, slo,
        scaleDown, consolidation, burst);
  }

  public ScalingSettings withSlo(Slo s) {
    return new ScalingSettings(tickInterval, telemetryWindow, cooldown, idleTimeout, scaleDownHeadroom, warmPool,
        assumedOutputTokens, telemetryTimeout, snapshotEvery, keepSnapshots, recentDecisions, latencySlack, s,
        scaleDown, consolidation, burst);
  }

  public ScalingSettings withScaleDown(Duration newCooldown, ScaleDown s) {
    return new ScalingSettings(tickInterval, telemetryWindow, newCooldown, idleTimeout, scaleDownHeadroom, warmPool,
        assumedOutputTokens, telemetryTimeout, snapshotEvery, keepSnapshots, recentDecisions, latencySlack, slo, s,
        consolidation, burst);
  }

  public ScalingSettings withConsolidation(Consolidation c) {
    return new ScalingSettings(tickInterval, telemetryWindow, cooldown, idleTimeout, scaleDownHeadroom, warmPool,
        assumedOutputTokens, telemetryTimeout, snapshotEvery, keepSnapshots, recentDecisions, latencySlack, slo,
        scaleDown, c, burst);
  }

  public ScalingSettings withBurst(Burst b) {
    return new ScalingSettings(tickInterval, telemetryWindow, cooldown, idleTimeout, scaleDownHeadroom, warmPool,
        assumedOutputTokens, telemetryTimeout, snapshotEvery, keepSnapshots, recentDecisions, latencySlack, slo,
        scaleDown, consolidation, b);
  }

  public int warm(Tier tier) {
    return warmPool.get(tier);
  }

  private static String key(Tier t) {
    return t.name().toLowerCase(Locale.ROOT);
  }
}
