package io.pickspin.scaling;

import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import java.util.Optional;

/**
 * Algorithm 1 of Pick and Spin ("spin"): how many replicas a model should have.
 *
 * <pre>
 *   W       = mean latency over the window (the profile's estimate until something completed)
 *   demand  = lambda x W                          requests in the system, by Little's law
 *   load    = demand / c + prefill                replicas the load occupies (c, prefill: see below)
 *   needed  = max(ceil(load), backlog)            backlog: see backlog(); at most doubles the serving replicas
 *   target  = clamp(needed, floor, max)           floor = max(model minimum, warm pool of its tier)
 * </pre>
 *
 * <p><b>Target concurrency.</b> A replica can hold max-batch sequences, but long before that every one of them is
 * slow: each decoding sequence adds its KV-cache read to every step, and every new prompt's prefill stalls the steps
 * of all the others. Planning at max batch therefore adds replicas only once requests are already late. When the
 * model's profile has a batch curve ({@link LatencyProfile#hasBatchCurve}) and {@link ScalingSettings#latencySlack}
 * sigma is positive, the policy plans at the load that keeps latency within (1 + sigma) of idle latency instead. With
 * k sequences per replica time per token is tpot + (k - 1) s (s: {@link LatencyProfile#tpotPerSequenceMs}), and a
 * replica receiving lambda / n prompts a second spends the share rho = lambda x P / n of its time prefilling them (P =
 * the profile's idle TTFT), which stretches the decoding of the others by 1 / (1 - rho). Asking (1 + k s / tpot) / (1 -
 * rho) &lt;= 1 + sigma with k = demand / n gives
 *
 * <pre>
 *   n >= demand / c + prefill     c = sigma x tpot / s (at most max batch), prefill = lambda x P x (1 + sigma) / sigma
 * </pre>
 *
 * A model without a batch curve (or sigma = 0) plans with c = max batch and no prefill term, as the paper's Algorithm
 * 1 does. The measured W closes the loop: a replica that is slower than planned raises demand and with it the target.
 *
 * Scale-up to the target happens at once. A scale-down aims at the target recomputed with spare capacity ({@link
 * ScalingSettings#scaleDownHeadroom}), so that the thresholds for going up and coming down differ. It waits until that
 * target has stayed below the current count for a whole cooldown and the last change is a cooldown old; it then goes
 * to the highest target seen during that time (a stabilisation window, as Kubernetes' HPA has). That is faster than
 * stepping down one replica per cooldown when load falls off a cliff, yet never undershoots a recent peak, so noise
 * around a boundary cannot make it oscillate. A running model keeps at least one replica until no request arrived (and
 * none is in flight or held) for the idle timeout tau; then it drops to its floor at once (zero unless warm), without
 * waiting for a cooldown as well.
 *
 * <p>The policy is a pure function of its inputs: time comes in as {@code nowMs}, so the simulator runs it in virtual
 * time. {@link ModelMemory} is what must be persisted between calls; {@link Watch} is soft state that may be lost on a
 * restart, which only delays the next scale-down.
 */
public final class ScalingPolicy {
  private static final double EPSILON = 1e-9;

  private final ScalingSettings settings;

  public ScalingPolicy(ScalingSettings settings) {
    this.settings = settings;
  }

  public ScalingSettings settings() {
    return settings;
  }

  /**
   * Soft per-model state of the down-scale stabilisation window.
   *
   * @param belowSinceMs since when the target has stayed below the current count, -1 if it is not below
   * @param peakWhileBelow the highest target seen since then
   * @param observingSinceMs since when the loop has watched this model: before that it cannot know whether requests
   *     arrived, so idleness counts from here at the earliest (after a fail-over, scale-to-zero waits a full tau)
   * @param lastArrivalMs the latest arrival seen in any telemetry, -1 if none
   */
  public record Watch(long belowSinceMs, int peakWhileBelow, long observingSinceMs, long lastArrivalMs) {
    public static Watch startedAt(long nowMs) {
      return new Watch(-1, 0, nowMs, -1);
    }

    Watch notBelow() {
      return new Watch(-1, 0, observingSinceMs, lastArrivalMs);
    }
  }

  /**
   * One evaluation.
   *
   * @param target the replicas the policy aims at right now: the up-target when above the current count, else the
   *     down-target (with headroom); equal to the current count when it is content
   * @param decision the change to make now, if any
   * @param watch the soft state to pass to the next evaluation
   */
  public record Evaluation(int target, Optional<ScaleDecision> decision, Watch watch) {}

  /** The bounds in force for a model: the operator's override, else the catalogue's with the tier's warm pool. */
  public ReplicaLimits limits(ModelSpec spec, ModelMemory memory) {
    return memory.limits() != null ? memory.limits() : ReplicaLimits.of(spec, settings.warm(spec.tier()));
  }

  /** Latency W to plan with: the measured mean, or the profile's estimate when nothing completed in the window. */
  public double latencyMs(ModelSpec spec, Telemetry t) {
    return t.completions() > 0 && t.meanLatencyMs() >= 0
        ? t.meanLatencyMs()
        : spec.latency().serviceMs(settings.assumedOutputTokens());
  }

  /**
   * Requests one replica is planned to hold at once: sigma x tpot / s, where latency has degraded by the slack sigma,
   * at least 1 and at most max batch; max batch without a batch curve or slack.
   */
  public int targetConcurrency(ModelSpec spec) {
    LatencyProfile p = spec.latency();
    double perSequence = p.tpotPerSequenceMs();
    if (!plansWithSlack(spec) || perSequence <= 0) return p.maxBatch();
    double c = settings.latencySlack() * p.tpotMs() / perSequence;
    return (int) Math.max(1, Math.min(p.maxBatch(), Math.floor(c + EPSILON)));
  }

  /**
   * Replicas the prompts' prefill occupies at the slack: lambda x P x (1 + sigma) / sigma, with P the profile's idle
   * TTFT; 0 without a batch curve or slack.
   */
  public double prefillReplicas(ModelSpec spec, double ratePerSecond) {
    if (!plansWithSlack(spec)) return 0;
    double sigma = settings.latencySlack();
    return ratePerSecond * spec.latency().ttftMs() / 1000.0 * (1 + sigma) / sigma;
  }

  private boolean plansWithSlack(ModelSpec spec) {
    return settings.latencySlack() > 0 && spec.latency().hasBatchCurve();
  }

  public Evaluation evaluate(ModelSpec spec, Telemetry t, ModelMemory memory, Watch watch, long nowMs) {
    int c = targetConcurrency(spec);
    double latencyMs = latencyMs(spec, t);
    double demand = t.ratePerSecond() * latencyMs / 1000.0;
    double load = demand / c + prefillReplicas(spec, t.ratePerSecond());
    int byBacklog = backlog(t, latencyMs, c);
    int byLoad = ceil(load);
    int needed = Math.max(byLoad, byBacklog);
    int neededWithHeadroom = Math.max(ceil(load * (1 + settings.scaleDownHeadroom())), byBacklog);

    ReplicaLimits limits = limits(spec, memory);
    int floor = limits.floor();
    int ceiling = limits.maxReplicas();
    int current = memory.desired();

    long lastArrival = Math.max(Math.max(memory.lastArrivalMs(), t.lastArrivalMs()), watch.lastArrivalMs());
    Watch seen = new Watch(watch.belowSinceMs(), watch.peakWhileBelow(), watch.observingSinceMs(), lastArrival);
    boolean busy = t.inFlight() > 0 || t.held() > 0;
    boolean idle =
        !busy && elapsed(nowMs, Math.max(lastArrival, watch.observingSinceMs())) >= ms(settings.idleTimeout());
    int keep = idle || current == 0 ? 0 : 1;
    int upTarget = idle ? floor : clamp(Math.max(needed, keep), floor, ceiling);
    int downTarget = idle ? floor : clamp(Math.max(neededWithHeadroom, keep), floor, ceiling);

    ScalingInputs inputs = new ScalingInputs(t, latencyMs, c, demand, needed, neededWithHeadroom, floor, ceiling);
    if (current > ceiling) {
      return decide(spec, current, ceiling, ScaleReason.LIMITS, inputs, nowMs, ceiling, seen.notBelow());
    }
    if (upTarget > current) {
      ScaleReason reason;
      if (needed < upTarget) reason = ScaleReason.WARM_POOL;
      else if (current == 0) reason = ScaleReason.SCALE_FROM_ZERO;
      else reason = byBacklog > byLoad ? ScaleReason.BACKLOG : ScaleReason.LOAD;
      return decide(spec, current, upTarget, reason, inputs, nowMs, upTarget, seen.notBelow());
    }
    if (downTarget >= current) return new Evaluation(current, Optional.empty(), seen.notBelow());
    if (idle) {
      // tau without a single request is a stronger hold-off than the cooldown: no need to wait for both
      return decide(spec, current, floor, ScaleReason.IDLE_TIMEOUT, inputs, nowMs, floor, seen.notBelow());
    }
    long belowSince = watch.belowSinceMs() < 0 ? nowMs : watch.belowSinceMs();
    int peak = watch.belowSinceMs() < 0 ? downTarget : Math.max(watch.peakWhileBelow(), downTarget);
    boolean cooledDown = elapsed(nowMs, memory.lastChangeMs()) >= ms(settings.cooldown());
    if (cooledDown && nowMs - belowSince >= ms(settings.cooldown())) {
      return decide(spec, current, peak, ScaleReason.COOLDOWN_ELAPSED, inputs, nowMs, downTarget, seen.notBelow());
    }
    return new Evaluation(
        downTarget, Optional.empty(), new Watch(belowSince, peak, seen.observingSinceMs(), lastArrival));
  }

  /**
   * Replicas the hold queue asks for. Nothing while a replica is starting: it will take the queue when ready. With
   * none serving, one (scale from zero; the rate adds more). With some serving, enough for every request in the system
   * at once, but only after requests have waited a whole mean latency W since capacity was last added (a queue that
   * drains within a service time is a burst, not missing capacity), and at most double the serving replicas per step:
   * requests queued during a long cold start must not scale a model to its maximum.
   */
  private static int backlog(Telemetry t, double latencyMs, int c) {
    if (t.held() == 0 || t.starting() > 0) return 0;
    if (t.ready() == 0) return 1;
    if (t.backlogAgeMs() < latencyMs) return 0;
    return Math.min(ceil((double) (t.inFlight() + t.held()) / c), 2 * t.ready());
  }

  private static Evaluation decide(
      ModelSpec spec, int from, int to, ScaleReason reason, ScalingInputs inputs, long nowMs, int target, Watch w) {
    return new Evaluation(target, Optional.of(new ScaleDecision(spec.id(), from, to, reason, inputs, nowMs)), w);
  }

  /** Time since {@code sinceMs}; unbounded when it never happened (-1). */
  private static long elapsed(long nowMs, long sinceMs) {
    return sinceMs < 0 ? Long.MAX_VALUE : nowMs - sinceMs;
  }

  private static long ms(java.time.Duration d) {
    return d.toMillis();
  }

  private static int ceil(double x) {
    return (int) Math.max(0, Math.ceil(x - EPSILON));
  }

  private static int clamp(int x, int lo, int hi) {
    return Math.max(lo, Math.min(hi, x));
  }
}
