package io.pickspin.lab.des;

import io.pickspin.lab.common.Percentiles;
import io.pickspin.model.ModelSpec;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.pool.Outcome;
import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolException;
import io.pickspin.pool.PoolSettings;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.RoutingTelemetry;
import io.pickspin.routing.matrix.ServiceMatrix;
import io.pickspin.routing.rl.PoolStateView;
import io.pickspin.scaling.ArrivalStats;
import io.pickspin.scaling.FleetScaler;
import io.pickspin.scaling.Spill;
import io.pickspin.scaling.Telemetry;
import io.pickspin.scaling.ModelMemory;
import io.pickspin.scaling.ModelScaler;
import io.pickspin.scaling.ScaleDecision;
import io.pickspin.scaling.ScalingPolicy;
import io.pickspin.scaling.ScalingSettings;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.time.MillisClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The discrete-event simulator: replays a request stream in virtual time through the production classes, as a node
 * of the control plane would run them.
 *
 * <ul>
 *   <li>routing: the scenario's {@link RoutingPolicy} (ComplexityRoutingPolicy with its classifiers and service
 *       matrix, or the RL policy) decides each request at its arrival time; completed and timed-out requests feed the
 *       matrix as the gateway's telemetry does; a pool without a replica to give tries the decision's fallbacks, up
 *       to {@link Settings#maxAttempts} models (the gateway's max-attempts), a full hold queue only when {@link
 *       Settings#fallbackOnOverload};
 *   <li>pools: one {@link PoolCore} per model (least-outstanding leases, bounded hold queue with the gateway's max hold,
 *       TIMED_OUT on expiry) with its {@link ArrivalStats};
 *   <li>scaling: per model a {@link ModelScaler} over {@link ScalingPolicy} ({@link FleetScaler}), ticked every scaling tick interval and
 *       nudged when a request is held with nothing free, exactly the supervisor's sync (driver replicas and target to
 *       the pool, telemetry back, decision applied); a scale-up starts replicas that serve after the model's cold
 *       start, a scale-down cancels starting replicas first and then drains the least-loaded ready ones;
 *   <li>replicas: {@link ReplicaServer} continuous batching with the {@link LatencyModel}.
 * </ul>
 *
 * One run per instance; deterministic for a given request stream (no wall clock, no threads, no unordered iteration).
 */
public final class Simulation implements ReplicaServer.Listener {

  /**
   * @param maxHold how long a request may wait in a hold queue (pickspin.gateway.max-hold)
   * @param maxAttempts models tried per request when pools refuse at once (pickspin.gateway.max-attempts)
   * @param spill an automatically routed request whose model has no ready replica goes to a warm fallback when the
   *     cold start would miss its deadline or the scaler keeps that pool closed ({@link Spill}); false: it is held
   * @param fallbackOnOverload a pool whose hold queue is full sends the request to the next fallback, as LiteLLM does on
   *     a 429; false: the request is refused, as the gateway answers 429 (it tries fallbacks only for a model that has
   *     no replica to give), so that an overflow does not open cold pools for a spike the warm one queues
   */
  public record Settings(Duration maxHold, int maxAttempts, boolean spill, boolean fallbackOnOverload) {
    public Settings(Duration maxHold, int maxAttempts) {
      this(maxHold, maxAttempts, true, false);
    }

    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(60), 3);
    }

    public Settings withoutSpill() {
      return new Settings(maxHold, maxAttempts, false, fallbackOnOverload);
    }

    public Settings withFallbackOnOverload() {
      return new Settings(maxHold, maxAttempts, spill, true);
    }
  }

  private final ModelFleet fleet;
  private final Scenario scenario;
  private final ScalingSettings scaling;
  private final PoolSettings poolSettings;
  private final Settings settings;
  private final EventQueue events = new EventQueue();
  private Timeline timeline = new Timeline(0);
  private String traceName;
  private double measureFrom;
  private final Map<String, SimPool> pools = new LinkedHashMap<>();
  private final ScalingPolicy scalingPolicy;
  private final FleetScaler fleetScaler;
  private int spilled;
  private final List<ScaleDecision> decisions = new ArrayList<>();
  private RoutingPolicy policy;
  private RoutingTelemetry telemetry;
  private List<SimRequest> requests;
  private int nextArrival;
  private int active;
  private boolean stopped;
  private double horizon;
  private final List<Job> jobs = new ArrayList<>();

  public Simulation(ModelFleet fleet, Scenario scenario, ScalingSettings scaling, PoolSettings pool, Settings settings) {
    this.fleet = fleet;
    this.scenario = scenario;
    // the fleet consolidates by the row's routing profile, as the node does by its default profile
    this.scaling = scenario.profile() == null ? scaling : scaling.forProfile(scenario.profile());
    this.poolSettings = pool;
    this.settings = settings;
    this.scalingPolicy = new ScalingPolicy(this.scaling);
    this.fleetScaler = new FleetScaler(scalingPolicy);
  }

  /** The scaling decisions of the run, warm-up included, in order (after {@link #run}). */
  public List<ScaleDecision> decisions() {
    return List.copyOf(decisions);
  }

  public RunResult run(ReplayStream stream) {
    if (requests != null) throw new IllegalStateException("a Simulation runs once");
    long wall0 = System.nanoTime();
    this.requests = stream.requests();
    this.traceName = stream.trace();
    this.measureFrom = stream.measureFromMs();
    this.timeline = new Timeline(measureFrom);
    int index = 0;
    for (ModelSpec spec : fleet.catalog().models()) {
      ArrivalStats stats = new ArrivalStats(scaling.telemetryWindow());
      double assumed = spec.latency().serviceMs(scaling.assumedOutputTokens());
      PoolCore<Job> core = new PoolCore<>(spec, poolSettings, stats, assumed, 1 + 1_000_000_000L * index++);
      int initial;
      ModelScaler scaler = null;
      if (scenario.scales()) {
        initial = scalingPolicy.limits(spec, ModelMemory.initial(0)).floor();
        scaler = fleetScaler.add(spec, initial, 0);
      } else {
        initial = scenario.staticReplicas().getOrDefault(spec.id(), 0);
      }
      SimPool p = new SimPool(spec, fleet.model(spec.id()).deployment(), core, scaler, stats);
      pools.put(spec.id(), p);
      for (int i = 0; i < initial; i++) addReplica(p, ReplicaPhase.READY);
      p.peakReplicas = initial;
      core.updateReplicas(p.statuses(), 0);
      core.setTarget(initial, scaler == null ? initial : scalingPolicy.limits(spec, scaler.memory()).maxReplicas(), 0);
    }
    policy = scenario.routers().create(this::load, new MillisClock(events::nowMs));
    telemetry = policy instanceof RoutingTelemetry t ? t : null;
    if (!requests.isEmpty()) events.at(requests.get(0).atMs(), this::arrive);
    else stopped = true;
    if (scenario.scales()) events.at(0, this::tick);
    if (measureFrom > 0) events.at(measureFrom, this::startMeasuring);
    events.run();
    if (!stopped) finish();
    return result((System.nanoTime() - wall0) / 1e6);
  }

  // ---- requests

  private PoolStateView.ModelLoad load(String model) {
    SimPool p = pools.get(model);
    if (p == null) return PoolStateView.ModelLoad.IDLE;
    return new PoolStateView.ModelLoad(p.core.inFlight(), p.core.heldCount(), p.count(ReplicaPhase.READY));
  }

  private void arrive() {
    SimRequest r = requests.get(nextArrival++);
    if (nextArrival < requests.size()) events.at(requests.get(nextArrival).atMs(), this::arrive);
    Job job = new Job(r);
    jobs.add(job);
    active++;
    RouteRequest route = scenario.explicitModel() != null
        ? new RouteRequest(scenario.explicitModel(), r.prompt().text(), null, null, Math.round(r.deadlineMs()))
        : new RouteRequest(RouteRequest.AUTO, r.prompt().text(), scenario.profile(), scenario.router(), Math.round(r.deadlineMs()));
    job.decision = policy.decide(route);
    String model = job.decision.model();
    if (scenario.explicitModel() == null && settings.spill()) model = spillTarget(job, model);
    attempt(job, model);
  }

  /**
   * The model an automatically routed request goes to: its choice, unless that pool has no ready replica and the wait
   * for one would take the request past its deadline or the scaler keeps the pool closed ({@link Spill#shouldLeave});
   * then the first fallback with a ready replica.
   */
  private String spillTarget(Job job, String model) {
    SimPool p = pools.get(model);
    if (p.count(ReplicaPhase.READY) > 0) return model;
    double coldLeft = fleet.latency().coldStartMs(p.deployment);
    for (ReplicaServer r : p.replicas.values()) {
      if (r.phase == ReplicaPhase.STARTING) coldLeft = Math.min(coldLeft, Math.max(0, r.readyAt - events.now()));
    }
    if (!Spill.shouldLeave(fleetScaler, p.spec, Math.round(job.request.deadlineMs()), coldLeft)) return model;
    for (String f : job.decision.fallbacks()) {
      SimPool q = pools.get(f);
      if (q != null && q.count(ReplicaPhase.READY) > 0) {
        job.spilled = true;
        if (job.request.atMs() >= measureFrom) spilled++;
        return f;
      }
    }
    return model;
  }

  private void attempt(Job job, String model) {
    job.model = model;
    job.attempts++;
    SimPool p = pools.get(model);
    Optional<PoolCore.Reply<Job>> reply =
        p.core.acquire(new LeaseRequest(model, Set.of(), settings.maxHold()), job, events.nowMs());
    if (reply.isPresent()) {
      handle(p, List.of(reply.get()));
      return;
    }
    // the first held request means nothing has room: the pool nudges the supervisor instead of waiting for a tick
    if (p.core.heldCount() == 1 && p.scaler != null && !stopped) sync(p);
    armExpiry(p);
  }

  private void handle(SimPool p, List<PoolCore.Reply<Job>> replies) {
    for (PoolCore.Reply<Job> r : replies) {
      Job job = r.handle();
      if (r instanceof PoolCore.Granted<Job> g) {
        job.lease = g.lease();
        job.sentAt = events.now();
        p.replicas.get(g.lease().backend().id()).submit(job);
      } else if (r instanceof PoolCore.Refused<Job> f) {
        refused(p, job, f.error());
      }
    }
    armExpiry(p);
  }

  private void refused(SimPool p, Job job, PoolException e) {
    if (e.reason() == PoolException.Reason.TIMED_OUT) {
      end(job, Job.End.TIMED_OUT);
      if (telemetry != null) telemetry.record(p.spec.id(), ServiceMatrix.ANY_BACKEND,
          Outcome.failure(Math.round(job.latencyMs()), "timeout", false));
      return;
    }
    List<String> fallbacks = job.decision.fallbacks();
    int next = job.attempts - 1;
    boolean tryNext = e.reason() != PoolException.Reason.OVERLOADED || settings.fallbackOnOverload();
    if (tryNext && job.attempts < settings.maxAttempts() && next < fallbacks.size()) {
      attempt(job, fallbacks.get(next));
    } else {
      end(job, Job.End.REJECTED);
    }
  }

  private void armExpiry(SimPool p) {
    long next = p.core.nextDeadlineMs();
    if (next >= 0 && next < p.expiryAt) {
      p.expiryAt = next;
      events.at(Math.max(next, events.now()), () -> {
        if (p.expiryAt == next) p.expiryAt = Double.POSITIVE_INFINITY;
        handle(p, p.core.expire(events.nowMs()));
      });
    }
  }

  @Override
  public void firstToken(Job job, double now) {
    job.firstTokenAt = now;
  }

  @Override
  public void finished(ReplicaServer replica, Job job, double now) {
    SimPool p = replica.pool;
    end(job, Job.End.COMPLETED);
    job.correct = fleet.correct(p.spec.id(), job.request.prompt());
    // as the gateway reports it: from the send to the replica, so time held for a replica is not service time (the
    // scaler's Little's law would otherwise count a cold start's wait as load)
    Outcome o = Outcome.success(Math.round(job.serviceMs()), Math.round(job.firstTokenAt - job.sentAt), job.request.outputTokens())
        .withDeadline(Math.round(job.request.deadlineMs()), Math.round(job.latencyMs()),
            // its prompt and answer lengths through the calibrated latency model, as a gateway that knows the backend's
            // batch curve would; without it the pool takes the profile's time for the answer's length
            fleet.latency().idleServiceMs(p.deployment, job.request.inputTokens(), job.request.outputTokens()));
    List<PoolCore.Reply<Job>> replies = p.core.release(job.lease, o, events.nowMs());
    if (telemetry != null) telemetry.record(p.spec.id(), ServiceMatrix.ANY_BACKEND, o);
    if (job.request.atMs() >= measureFrom) timeline.addLatency(now, job.latencyMs());
    if (replica.phase == ReplicaPhase.DRAINING && replica.idle()) removeReplica(p, replica);
    handle(p, replies);
  }

  private void end(Job job, Job.End how) {
    job.finish(how, events.now());
    active--;
    if (active == 0 && nextArrival >= requests.size()) finish();
  }

  /** The last request ended: close the GPU accounts; later events (replicas still starting) change nothing. */
  private void finish() {
    stopped = true;
    horizon = events.now();
    for (SimPool p : pools.values()) p.account(horizon, timeline);
  }

  /** End of the warm-up: GPU time, cold starts and scale events count from here. */
  private void startMeasuring() {
    if (stopped) return;
    for (SimPool p : pools.values()) {
      p.account(events.now(), timeline);
      p.gpuMs = 0;
      p.coldStarts = 0;
      p.scaleEvents = 0;
      p.peakReplicas = p.live();
    }
  }

  // ---- scaling

  private void tick() {
    if (stopped) return;
    long now = events.nowMs();
    Map<String, Telemetry> telemetry = new LinkedHashMap<>();
    for (SimPool p : pools.values()) {
      pushState(p, now);
      telemetry.put(p.spec.id(), p.core.telemetry(now));
    }
    for (ScaleDecision d : fleetScaler.tick(telemetry, now)) apply(pools.get(d.model()), d, now);
    events.after(Math.max(1, scaling.tickInterval().toMillis()), this::tick);
  }

  /** The supervisor's sync for one model: replicas and target to the pool, its telemetry to the scaler, then act. */
  private void sync(SimPool p) {
    long now = events.nowMs();
    pushState(p, now);
    fleetScaler.nudge(p.spec.id(), p.core.telemetry(now), now).ifPresent(d -> apply(p, d, now));
  }

  private void pushState(SimPool p, long now) {
    handle(p, p.core.updateReplicas(p.statuses(), now));
    handle(p, p.core.setTarget(p.scaler.desired(), scalingPolicy.limits(p.spec, p.scaler.memory()).maxReplicas(), now));
  }

  private void apply(SimPool p, ScaleDecision d, long now) {
    decisions.add(d);
    p.scaleEvents++;
    scaleTo(p, d.to());
    handle(p, p.core.setTarget(d.to(), d.inputs().ceiling(), now));
  }

  /** The simulated replica driver. */
  private void scaleTo(SimPool p, int desired) {
    int live = p.live();
    for (int i = live; i < desired; i++) {
      ReplicaServer r = addReplica(p, ReplicaPhase.STARTING);
      p.coldStarts++;
      r.readyAt = events.now() + fleet.latency().coldStartMs(p.deployment);
      events.after(fleet.latency().coldStartMs(p.deployment), () -> ready(p, r));
    }
    for (ReplicaServer r : ScaleDownOrder.leaving(new ArrayList<>(p.replicas.values()), live - desired, x -> x.phase,
        ReplicaServer::load)) {
      if (r.phase == ReplicaPhase.STARTING) {
        removeReplica(p, r);
      } else {
        p.account(events.now(), timeline);
        r.phase = ReplicaPhase.DRAINING;
        if (r.idle()) removeReplica(p, r);
      }
    }
    p.peakReplicas = Math.max(p.peakReplicas, p.live());
    handle(p, p.core.updateReplicas(p.statuses(), events.nowMs()));
  }

  private ReplicaServer addReplica(SimPool p, ReplicaPhase phase) {
    p.account(events.now(), timeline);
    String id = p.spec.id() + "-" + p.nextReplica++;
    LatencyModel lm = fleet.latency();
    ReplicaServer r = new ReplicaServer(id, p, phase, events, lm, p.deployment, p.spec.latency().maxBatch(), this);
    p.replicas.put(id, r);
    return r;
  }

  private void removeReplica(SimPool p, ReplicaServer r) {
    if (stopped) return;
    p.account(events.now(), timeline);
    p.replicas.remove(r.id);
    r.phase = ReplicaPhase.FAILED;
    handle(p, p.core.updateReplicas(p.statuses(), events.nowMs()));
  }

  private void ready(SimPool p, ReplicaServer r) {
    if (stopped || p.replicas.get(r.id) != r || r.phase != ReplicaPhase.STARTING) return;
    p.account(events.now(), timeline);
    r.phase = ReplicaPhase.READY;
    handle(p, p.core.updateReplicas(p.statuses(), events.nowMs()));
  }

  // ---- results

  private RunResult result(double wallMs) {
    int completed = 0, rejected = 0, timedOut = 0, successes = 0, correct = 0, onTime = 0;
    double[] lat = new double[jobs.size()], ttft = new double[jobs.size()];
    int n = 0;
    List<Job> measured = new ArrayList<>();
    for (Job j : jobs) {
      if (j.end == null) throw new IllegalStateException("request " + j.request.id() + " never ended");
      if (j.request.atMs() < measureFrom) continue;
      measured.add(j);
      switch (j.end) {
        case REJECTED -> rejected++;
        case TIMED_OUT -> timedOut++;
        case COMPLETED -> {
          completed++;
          boolean inTime = j.latencyMs() <= j.request.deadlineMs();
          if (inTime) onTime++;
          if (j.correct) correct++;
          if (inTime && j.correct) successes++;
          lat[n] = j.latencyMs();
          ttft[n++] = j.ttftMs();
        }
      }
    }
    double[] allLat = Arrays.copyOf(lat, measured.size()), allTtft = Arrays.copyOf(ttft, measured.size());
    Arrays.fill(allLat, n, allLat.length, settings.maxHold().toMillis());
    Arrays.fill(allTtft, n, allTtft.length, settings.maxHold().toMillis());
    Arrays.sort(allLat);
    Arrays.sort(allTtft);
    RunResult.AllRequests all = new RunResult.AllRequests(mean(allLat), pct(allLat, 0.50), pct(allLat, 0.95), pct(allLat, 0.99),
        pct(allTtft, 0.50), pct(allTtft, 0.95), pct(allTtft, 0.99));
    lat = Arrays.copyOf(lat, n);
    ttft = Arrays.copyOf(ttft, n);
    Arrays.sort(lat);
    Arrays.sort(ttft);
    double gpuMs = 0, cost = 0;
    int coldStarts = 0, scaleEvents = 0;
    Map<String, Integer> served = new LinkedHashMap<>(), peak = new LinkedHashMap<>();
    for (SimPool p : pools.values()) {
      gpuMs += p.gpuMs;
      cost += p.gpuMs / 3_600_000.0 * p.spec.gpuHourlyCost();
      coldStarts += p.coldStarts;
      scaleEvents += p.scaleEvents;
      peak.put(p.spec.id(), p.peakReplicas);
      served.put(p.spec.id(), 0);
    }
    for (Job j : measured) if (j.end == Job.End.COMPLETED) served.merge(j.model, 1, Integer::sum);
    return new RunResult(scenario.name(), traceName, measured.size(), completed, rejected, timedOut, successes, correct, onTime,
        mean(lat), pct(lat, 0.95), pct(lat, 0.99), mean(ttft), pct(ttft, 0.95), pct(ttft, 0.99),
        gpuMs / 3_600_000.0, cost, coldStarts, scaleEvents, served, peak, horizon - measureFrom, events.processed(), wallMs,
        timeline.gpus(horizon - measureFrom), timeline.meanLatency(), timeline.p95Latency(), spilled, all);
  }

  private static double mean(double[] a) {
    return a.length == 0 ? 0 : Arrays.stream(a).average().orElse(0);
  }

  private static double pct(double[] sorted, double q) {
    return sorted.length == 0 ? 0 : Percentiles.nearestRank(sorted, q);
  }
}
