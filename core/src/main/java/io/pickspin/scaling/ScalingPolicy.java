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
 *   needed  = 0 when consolidated into another model (see Consolidator), at least the absorb target when absorbing
 *   target  = clamp(needed, floor, max)           floor = max(model minimum, warm pool of its tier, anchor warm)
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
 * <p><b>Sigma from the deadlines (SLO-driven sizing).</b> Sigma is not a constant: the requests routed to a pool say
 * how much slowdown they tolerate. Each completed request with a deadline D and idle service time S on the model
 * tolerated f = D / S; with F the (1 - on-time SLO) quantile of f over the window ({@link DeadlineSlack}), at most
 * that share of requests would be late at a mean slowdown of F, and the pool is planned at sigma = safety x (F - 1)
 * ({@link ScalingSettings.Slo}), the safety leaving room for the batch's fluctuations around its mean. Loose deadlines
 * pack replicas densely, tight ones spread them; the configured latency slack applies only until the pool has seen
 * enough deadlines. With {@link ScalingSettings.Slo#feedback} the pool's measured on-time share corrects sigma: more
 * deadlines met than the SLO asks packs the replicas denser, fewer spreads them.
 *
 * <p><b>Calibration.</b> The model above is a mean-field estimate: it sees the window's mean rate, not the queueing
 * behind bursts within it, and it prices every prompt's prefill at the profile's idle TTFT. Each pool measures how much
 * slower than idle its requests were served ({@link Telemetry#meanSlowdown}); {@link SlowdownCalibration} learns the
 * ratio kappa of that to the slowdown the model predicts at the same load ({@link #predictedSlowdown}), and the policy
 * plans at sigma / kappa (never denser than the model: kappa >= 1).
 *
 * <p><b>Scale-up</b> to the target happens at once, planned with the rate of the last seconds when it is a burst
 * ({@link #BURST}) beyond the pool's usual range ({@link ScalingSettings.Burst}: a spike within it is queued through,
 * since the replicas it would order arrive a cold start later). A scale-up for load at most doubles the ready replicas (or adds {@link #GROWTH_STEP}) until the
 * replicas it ordered are ready: a replica ordered during a burst shorter than a cold start arrives after the burst,
 * and replicas ordered while earlier ones start cannot serve sooner than those. This is Kubernetes HPA's default
 * scale-up policy (double or +4), counted per cold start instead of per 15 s.
 *
 * <p><b>Scale-down</b> aims at the target recomputed with spare capacity ({@link
 * ScalingSettings#scaleDownHeadroom}), so that the thresholds for going up and coming down differ (hysteresis). Every
 * evaluation samples that down-target; once the samples since the last change span the scale-down window and the last
 * change is a cooldown old, the policy goes to their percentile ({@link ScalingSettings.ScaleDown}) when it is below
 * the current count, but never below what a burst asks for now. A percentile below 1 follows the load down within a
 * short window instead of holding the peak of a long one; the dead band, the window and the cooldown keep noise at a
 * boundary from making it oscillate. A scale-up for load soon after a scale-down (regretted) doubles the window up to
 * its maximum: recurring bursts keep their capacity through the gaps (a single burst after a regret holds its replicas
 * for the grown window too: bench/results/simulator.md shows what that costs on the Azure Functions traces). A running model keeps at least
 * one replica until no request arrived (and none is in flight or held) for the idle timeout tau; then it drops to its
 * floor at once (zero unless warm), without waiting for a cooldown as well.
 *
 * <p><b>Consolidation.</b> With an {@link Advice} from {@link Consolidator} (which sees every model), a model whose
 * traffic another warm model absorbs within SLO has a floor of zero: its down-target is zero, so it closes once the
 * scale-down window agrees, and it does not scale up for the traffic the absorber takes; the absorber is sized for
 * both loads first (reason ABSORB).
 *
 * <p>The policy is a pure function of its inputs: time comes in as {@code nowMs}, so the simulator runs it in virtual
 * time. {@link ModelMemory} is what must be persisted between calls; {@link Watch} is soft state that may be lost on a
 * restart, which only delays the next scale-down.
 */
public final class ScalingPolicy {
  private static final double EPSILON = 1e-9;

  /**
   * A burst: the rate of the last {@link Telemetry#RECENT_MS} at least this many times the window's. The scale-up then
   * plans with it at once instead of waiting for the window's average to climb (the scale-down keeps the window's).
   */
  static final double BURST = 1.5;

  /** Replicas a scale-up for load may add beyond the ready ones while they start, when that is more than doubling. */
  static final int GROWTH_STEP = 4;

  private final ScalingSettings settings;

  public ScalingPolicy(ScalingSettings settings) {
    this.settings = settings;
  }

  public ScalingSettings settings() {
    return settings;
  }

  /**
   * Advice from the fleet-wide {@link Consolidator}.
   *
   * @param consolidatedInto the model that absorbs this one's traffic, null if none
   * @param closable the absorber has the replicas for both loads ready: this pool may go to zero
   * @param absorbTarget replicas this model needs to absorb others' traffic as well, 0 if it absorbs none
   * @param anchorWarm replicas this model keeps even when idle as the fleet's anchor, 0 if it is not the anchor
   */
  public record Advice(String consolidatedInto, boolean closable, int absorbTarget, int anchorWarm) {
    public static final Advice NONE = new Advice(null, false, 0, 0);

    public Advice(String consolidatedInto, boolean closable, int absorbTarget) {
      this(consolidatedInto, closable, absorbTarget, 0);
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

  /**
   * The load of a reading.
   *
   * @param sigma latency slack planned at (0: at max batch)
   * @param concurrency requests one replica is planned to hold at once
   * @param latencyMs latency W planned with
   * @param demand requests in the system (lambda x W)
   * @param load replicas the load occupies: demand / concurrency + prefill
   */
  public record Sizing(double sigma, int concurrency, double latencyMs, double demand, double load) {}

  /**
   * Soft per-model state of the scale-down window.
   *
   * @param observingSinceMs since when the loop has watched this model: before that it cannot know whether requests
   *     arrived, so idleness counts from here at the earliest (after a fail-over, scale-to-zero waits a full tau)
   * @param lastArrivalMs the latest arrival seen in any telemetry, -1 if none
   * @param sampledSinceMs since when down-targets are sampled (the last change)
   * @param sampleAtMs when each down-target within the window was sampled
   * @param sampleTarget the down-targets sampled
   * @param lastScaleDownMs when the load last scaled this model down, -1 if never
   * @param backoff how many times the scale-down window is doubled after regretted scale-downs
   * @param backoffSinceMs since when the backoff has its level
   * @param calibration how far the latency model is off for this pool
   * @param longRun the pool's long-run arrival rate, against which a burst is judged
   */
  public record Watch(
      long observingSinceMs,
      long lastArrivalMs,
      long sampledSinceMs,
      long[] sampleAtMs,
      int[] sampleTarget,
      long lastScaleDownMs,
      int backoff,
      long backoffSinceMs,
      SlowdownCalibration calibration,
      LongRunRate longRun) {
    public Watch {
      if (calibration == null) calibration = SlowdownCalibration.NONE;
      if (longRun == null) longRun = LongRunRate.NONE;
    }

    public static Watch startedAt(long nowMs) {
      return new Watch(nowMs, -1, nowMs, new long[0], new int[0], -1, 0, nowMs, SlowdownCalibration.NONE, LongRunRate.NONE);
    }

    /** After a change: sampling starts again. */
    Watch reset(long nowMs, long lastArrival) {
      return new Watch(observingSinceMs, lastArrival, nowMs, new long[0], new int[0], lastScaleDownMs, backoff,
          backoffSinceMs, calibration, longRun);
    }

    /** The samples within {@code windowMs} and this one. */
    Watch sample(long nowMs, long windowMs, int target, long lastArrival) {
      int keep = 0;
      for (long at : sampleAtMs) if (nowMs - at < windowMs) keep++;
      long[] at = new long[keep + 1];
      int[] t = new int[keep + 1];
      int j = 0;
      for (int i = 0; i < sampleAtMs.length; i++) {
        if (nowMs - sampleAtMs[i] < windowMs) {
          at[j] = sampleAtMs[i];
          t[j++] = sampleTarget[i];
        }
      }
      at[j] = nowMs;
      t[j] = target;
      return new Watch(observingSinceMs, lastArrival, sampledSinceMs, at, t, lastScaleDownMs, backoff, backoffSinceMs,
          calibration, longRun);
    }

    Watch withBackoff(int level, long sinceMs) {
      return new Watch(observingSinceMs, lastArrivalMs, sampledSinceMs, sampleAtMs, sampleTarget, lastScaleDownMs, level,
          sinceMs, calibration, longRun);
    }

    Watch scaledDownAt(long nowMs) {
      return new Watch(observingSinceMs, lastArrivalMs, sampledSinceMs, sampleAtMs, sampleTarget, nowMs, backoff,
          backoffSinceMs, calibration, longRun);
    }

    Watch calibrated(SlowdownCalibration c) {
      return new Watch(observingSinceMs, lastArrivalMs, sampledSinceMs, sampleAtMs, sampleTarget, lastScaleDownMs,
          backoff, backoffSinceMs, c, longRun);
    }

    Watch withLongRun(LongRunRate r) {
      return new Watch(observingSinceMs, lastArrivalMs, sampledSinceMs, sampleAtMs, sampleTarget, lastScaleDownMs,
          backoff, backoffSinceMs, calibration, r);
    }

    /** The nearest-rank percentile of the samples' targets (small non-negative integers: counted, not sorted). */
    int percentile(double p) {
      int n = sampleTarget.length;
      int rank = Math.max(1, Math.min(n, (int) Math.ceil(p * n - EPSILON)));
      int max = 0;
      for (int t : sampleTarget) max = Math.max(max, t);
      int[] count = new int[max + 1];
      for (int t : sampleTarget) count[Math.max(0, t)]++;
      int seen = 0;
      for (int v = 0; v <= max; v++) {
        seen += count[v];
        if (seen >= rank) return v;
      }
      return max;
    }

    public int samples() {
      return sampleTarget.length;
    }
  }

  /** The scale-down window in force: the configured one, doubled per backoff level, at most the maximum. */
  public long scaleDownWindowMs(Watch w) {
    ScalingSettings.ScaleDown sd = settings.scaleDown();
    double grown = sd.window().toMillis() * Math.pow(2, w.backoff());
    return (long) Math.min(sd.maxWindow().toMillis(), grown);
  }

  /**
   * A scale-up for load within {@code regret} of the last scale-down raises the backoff (that scale-down gave away
   * capacity the load came back for); every 4 x regret without one lowers it again.
   */
  private Watch backoff(Watch w, long nowMs, boolean scaleUpForLoad) {
    ScalingSettings.ScaleDown sd = settings.scaleDown();
    long regret = sd.regret().toMillis();
    if (regret <= 0 || sd.maxWindow().compareTo(sd.window()) <= 0) return w;
    int maxLevel = (int) Math.ceil(
        Math.log((double) sd.maxWindow().toMillis() / Math.max(1, sd.window().toMillis())) / Math.log(2));
    if (scaleUpForLoad && w.lastScaleDownMs() >= 0 && nowMs - w.lastScaleDownMs() < regret) {
      return w.withBackoff(Math.min(maxLevel, w.backoff() + 1), nowMs);
    }
    if (w.backoff() > 0 && nowMs - w.backoffSinceMs() >= 4 * regret) return w.withBackoff(w.backoff() - 1, nowMs);
    return w;
  }

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
   * The latency slack sigma to plan a model at: 0 (max batch) without a batch curve or with the latency slack set to 0;
   * from the deadlines once the pool has seen enough of them (SLO-driven sizing); else the configured latency slack.
   */
  public double sigma(ModelSpec spec, DeadlineSlack deadlines) {
    if (!plansWithSlack(spec)) return 0;
    ScalingSettings.Slo slo = settings.slo();
    if (deadlines == null || deadlines.samples() < slo.minSamples()) return settings.latencySlack();
    double sigma = sigmaFor(deadlines.quantile(1 - slo.onTime()));
    if (slo.feedback() <= 0) return sigma;
    double correction = 1 + slo.feedback() * (deadlines.onTimeShare() - slo.onTime());
    return withinSlackBounds(sigma * Math.max(0.5, Math.min(2, correction)));
  }

  /** Sigma for a tolerated slowdown {@code factor}: safety x (factor - 1), within the SLO's bounds. */
  double sigmaFor(double factor) {
    return withinSlackBounds(settings.slo().safety() * (factor - 1));
  }

  /** Sigma clamped to the SLO's [min-slack, max-slack]. */
  private double withinSlackBounds(double sigma) {
    ScalingSettings.Slo slo = settings.slo();
    return Math.max(slo.minSlack(), Math.min(slo.maxSlack(), sigma));
  }

  /**
   * Requests one replica is planned to hold at once at the configured latency slack: sigma x tpot / s, at least 1 and
   * at most max batch; max batch without a batch curve or slack.
   */
  public int targetConcurrency(ModelSpec spec) {
    return targetConcurrency(spec, plansWithSlack(spec) ? settings.latencySlack() : 0);
  }

  /** As {@link #targetConcurrency(ModelSpec)} at slack {@code sigma}. */
  public int targetConcurrency(ModelSpec spec, double sigma) {
    LatencyProfile p = spec.latency();
    double perSequence = p.tpotPerSequenceMs();
    if (!(sigma > 0) || !p.hasBatchCurve() || perSequence <= 0) return p.maxBatch();
    double c = sigma * p.tpotMs() / perSequence;
    return (int) Math.max(1, Math.min(p.maxBatch(), Math.floor(c + EPSILON)));
  }

  /** Replicas the prompts' prefill occupies at the configured latency slack, see {@link #prefillReplicas(ModelSpec, double, double)}. */
  public double prefillReplicas(ModelSpec spec, double ratePerSecond) {
    return prefillReplicas(spec, ratePerSecond, plansWithSlack(spec) ? settings.latencySlack() : 0);
  }

  /**
   * Replicas the prompts' prefill occupies at slack sigma: lambda x P x (1 + sigma) / sigma, with P the profile's idle
   * TTFT; 0 without a batch curve or slack.
   */
  public double prefillReplicas(ModelSpec spec, double ratePerSecond, double sigma) {
    if (!(sigma > 0) || !spec.latency().hasBatchCurve()) return 0;
    return ratePerSecond * spec.latency().ttftMs() / 1000.0 * (1 + sigma) / sigma;
  }

  private boolean plansWithSlack(ModelSpec spec) {
    return settings.latencySlack() > 0 && spec.latency().hasBatchCurve();
  }

  /** The load of a reading in replicas. */
  public Sizing size(ModelSpec spec, Telemetry t) {
    return size(spec, t, 1);
  }

  /** The load of a reading in replicas, with the model's slowdown corrected by {@code kappa} ({@link SlowdownCalibration}). */
  public Sizing size(ModelSpec spec, Telemetry t, double kappa) {
    double latencyMs = latencyMs(spec, t);
    double sigma = sigma(spec, t.deadlines());
    if (sigma > 0 && kappa != 1) sigma = withinSlackBounds(sigma / kappa);
    return size(spec, t.ratePerSecond(), t.ratePerSecond() * latencyMs / 1000.0, latencyMs, sigma);
  }

  /**
   * The slowdown over idle latency the model predicts for a replica among {@code replicas} at {@code rate} with latency
   * W: (1 + k s / tpot) / (1 - rho), k = lambda W / n sequences decoding, rho = lambda P / n of its time prefilling (at
   * most 0.9); NaN without a batch curve.
   */
  public double predictedSlowdown(ModelSpec spec, double rate, double latencyMs, int replicas) {
    LatencyProfile p = spec.latency();
    if (!p.hasBatchCurve() || replicas <= 0) return Double.NaN;
    double k = rate * latencyMs / 1000.0 / replicas;
    double rho = Math.min(0.9, rate * p.ttftMs() / 1000.0 / replicas);
    return (1 + k * p.tpotPerSequenceMs() / p.tpotMs()) / (1 - rho);
  }

  /** The load of {@code rate} requests a second holding {@code demand} requests in the system, at slack sigma. */
  public Sizing size(ModelSpec spec, double rate, double demand, double latencyMs, double sigma) {
    int c = targetConcurrency(spec, sigma);
    return new Sizing(sigma, c, latencyMs, demand, demand / c + prefillReplicas(spec, rate, sigma));
  }

  public Evaluation evaluate(ModelSpec spec, Telemetry t, ModelMemory memory, Watch watch, long nowMs) {
    return evaluate(spec, t, memory, watch, nowMs, Advice.NONE);
  }

  public Evaluation evaluate(ModelSpec spec, Telemetry t, ModelMemory memory, Watch watch, long nowMs, Advice advice) {
    double predicted = predictedSlowdown(spec, t.ratePerSecond(), latencyMs(spec, t), t.ready());
    watch = watch.calibrated(
        watch.calibration().after(t, predicted, nowMs, t.windowMs(), settings.slo().calibration().toMillis()));
    ScalingSettings.Burst burstCfg = settings.burst();
    watch = watch.withLongRun(watch.longRun().after(t.ratePerSecond(), nowMs, burstCfg.longRun().toMillis()));
    Sizing z = size(spec, t, watch.calibration().kappa());
    int c = z.concurrency();
    double latencyMs = z.latencyMs();
    double load = z.load();
    double upLoad = load;
    if (t.recentRatePerSecond() > 0 && t.recentRatePerSecond() >= BURST * t.ratePerSecond()
        && watch.longRun().exceeds(t.recentRatePerSecond(), burstCfg.aboveLongRun())) {
      double r = t.recentRatePerSecond();
      upLoad = Math.max(load, size(spec, r, r * latencyMs / 1000.0, latencyMs, z.sigma()).load());
    }
    int byBacklog = backlog(t, latencyMs, c);
    int byLoad = ceil(upLoad);
    int needed = Math.max(byLoad, byBacklog);
    int neededWithHeadroom = Math.max(ceil(load * (1 + settings.scaleDownHeadroom())), byBacklog);
    // closable: the absorber has the replicas for both loads; a pool already at zero is not reopened for traffic the
    // absorber is growing to take
    boolean closing =
        advice.consolidatedInto() != null && (advice.closable() || memory.desired() == 0) && t.held() == 0;
    int absorb = advice.absorbTarget();
    if (closing) {
      // another warm model takes this traffic: no replica for it here
      needed = 0;
      neededWithHeadroom = 0;
    } else if (absorb > 0) {
      needed = Math.max(needed, absorb);
      neededWithHeadroom = Math.max(neededWithHeadroom, absorb);
    }

    ReplicaLimits limits = limits(spec, memory);
    int ceiling = limits.maxReplicas();
    int floor = Math.max(limits.floor(), Math.min(advice.anchorWarm(), ceiling));
    int current = memory.desired();

    long lastArrival = Math.max(Math.max(memory.lastArrivalMs(), t.lastArrivalMs()), watch.lastArrivalMs());
    boolean busy = t.inFlight() > 0 || t.held() > 0;
    boolean idle =
        !busy && elapsed(nowMs, Math.max(lastArrival, watch.observingSinceMs())) >= ms(settings.idleTimeout());
    int keep = idle || current == 0 || closing ? 0 : 1;
    int upTarget = idle ? floor : clamp(Math.max(needed, keep), floor, ceiling);
    int downTarget = idle ? floor : clamp(Math.max(neededWithHeadroom, keep), floor, ceiling);

    ScalingInputs inputs = new ScalingInputs(t, latencyMs, c, z.demand(), needed, neededWithHeadroom, floor, ceiling,
        z.sigma(), advice.consolidatedInto(), absorb);
    if (current > ceiling) {
      return decide(spec, current, ceiling, ScaleReason.LIMITS, inputs, nowMs, ceiling, watch.reset(nowMs, lastArrival));
    }
    if (upTarget > current) {
      ScaleReason reason;
      if (Math.max(byLoad, byBacklog) < upTarget && absorb >= upTarget) reason = ScaleReason.ABSORB;
      else if (needed < upTarget) reason = ScaleReason.WARM_POOL;
      else if (current == 0) reason = ScaleReason.SCALE_FROM_ZERO;
      else reason = byBacklog > byLoad ? ScaleReason.BACKLOG : ScaleReason.LOAD;
      boolean forLoad = reason == ScaleReason.LOAD || reason == ScaleReason.BACKLOG;
      int to = forLoad ? Math.min(upTarget, Math.max(current, growthCap(t))) : upTarget;
      Watch after = backoff(watch, nowMs, forLoad && to > current).reset(nowMs, lastArrival);
      // the replicas ordered must start first: more ordered now could not serve sooner
      if (to == current) return new Evaluation(upTarget, Optional.empty(), after);
      return decide(spec, current, to, reason, inputs, nowMs, upTarget, after);
    }
    watch = backoff(watch, nowMs, false);
    if (idle && downTarget < current) {
      // tau without a single request is a stronger hold-off than the cooldown: no need to wait for both
      return decide(spec, current, floor, ScaleReason.IDLE_TIMEOUT, inputs, nowMs, floor,
          watch.reset(nowMs, lastArrival).scaledDownAt(nowMs));
    }
    ScalingSettings.ScaleDown sd = settings.scaleDown();
    long windowMs = scaleDownWindowMs(watch);
    Watch sampled = watch.sample(nowMs, Math.max(1, windowMs), downTarget, lastArrival);
    if (downTarget >= current) return new Evaluation(current, Optional.empty(), sampled);
    // never below what the load needs now, with headroom, nor below what a burst asks for now
    int goTo = Math.max(Math.max(downTarget, upTarget), sampled.percentile(sd.percentile()));
    long since = Math.max(sampled.sampledSinceMs(), sampled.observingSinceMs());
    boolean windowFull = nowMs - since >= windowMs;
    boolean cooledDown = elapsed(nowMs, memory.lastChangeMs()) >= ms(settings.cooldown());
    if (goTo < current && windowFull && cooledDown) {
      ScaleReason reason = closing && goTo == 0 ? ScaleReason.CONSOLIDATED : ScaleReason.DEMAND_FELL;
      Watch after = sampled.reset(nowMs, lastArrival);
      return decide(spec, current, goTo, reason, inputs, nowMs, downTarget,
          reason == ScaleReason.DEMAND_FELL ? after.scaledDownAt(nowMs) : after);
    }
    return new Evaluation(downTarget, Optional.empty(), sampled);
  }

  /** The most replicas a scale-up for load may reach now: the ready ones doubled, or {@link #GROWTH_STEP} more. */
  static int growthCap(Telemetry t) {
    return Math.max(2 * t.ready(), t.ready() + GROWTH_STEP);
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

  static int ceil(double x) {
    return (int) Math.max(0, Math.ceil(x - EPSILON));
  }

  private static int clamp(int x, int lo, int hi) {
    return Math.max(lo, Math.min(hi, x));
  }
}
