package io.pickspin.lab.rl;

import io.pickspin.model.ModelSpec;
import io.pickspin.scaling.ArrivalStats;
import io.pickspin.scaling.FleetScaler;
import io.pickspin.scaling.ScaleDecision;
import io.pickspin.scaling.ScalingPolicy;
import io.pickspin.scaling.ScalingSettings;
import io.pickspin.scaling.Spill;
import io.pickspin.scaling.Telemetry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The RL environment's servers with the product's scaler in the loop: every model's pool on {@link CalibratedServers}
 * is sized by the product's own {@link ScalingPolicy} ({@link FleetScaler}: a ModelScaler per model and the fleet's
 * consolidation advice, settings from pickspin-scaling.conf), ticked every tick interval of virtual time and nudged
 * when a request waits with nothing free, as the discrete-event simulator drives it. Its telemetry is built as a pool
 * builds it: an {@link ArrivalStats} over the requests routed to the model (arrivals; completions with their time on a
 * replica; deadlines against the request's idle service time) and the pool's in-flight, held, backlog age, ready and
 * starting counts. A decision resizes the pool at once; new replicas serve after the calibrated cold start, and each
 * replica costs GPU time from its start to its removal ({@link #gpuMs}), so GPU-hours follow the routing choices.
 *
 * <p>A request routed to a pool without a ready replica spills to a warm fallback as the product's gateway and the
 * discrete-event simulator send it ({@link #destination}); the warm model's pool then counts it.
 */
public final class ScaledServers implements ServingSimulator {
  private final CalibratedServers servers;
  private final ServerModel serviceTimes;
  private final List<ModelSpec> models;
  private final FleetScaler scaler;
  private final ArrivalStats[] stats;
  private final long tickMs;
  private final List<ScaleDecision> decisions = new ArrayList<>();
  private boolean ending;

  /**
   * @param servers the pools, each started with {@code initialReplicas[m]} ready replicas
   * @param serviceTimes the idle service times a deadline's tolerated slowdown is measured against
   * @param models the catalogue models in environment order
   */
  public ScaledServers(CalibratedServers servers, ServerModel serviceTimes, List<ModelSpec> models, ScalingSettings settings,
      int[] initialReplicas) {
    if (initialReplicas.length != models.size()) throw new IllegalArgumentException("one replica count per model");
    this.servers = servers;
    this.serviceTimes = serviceTimes;
    this.models = List.copyOf(models);
    this.scaler = new FleetScaler(new ScalingPolicy(settings));
    this.stats = new ArrivalStats[models.size()];
    for (int m = 0; m < models.size(); m++) {
      scaler.add(models.get(m), initialReplicas[m], 0);
      stats[m] = new ArrivalStats(settings.telemetryWindow());
    }
    this.tickMs = Math.max(1, settings.tickInterval().toMillis());
    servers.holdForColdPools();
    servers.after(0, this::tick);
  }

  /** The scaling decisions so far, in order. */
  public List<ScaleDecision> decisions() {
    return List.copyOf(decisions);
  }

  /** GPU-milliseconds up to {@code untilMs}: every replica's GPUs from its start (cold start included) to its removal. */
  public double gpuMs(double untilMs) {
    double ms = 0;
    for (int m = 0; m < models.size(); m++) ms += servers.replicaMs(m, untilMs) * models.get(m).gpusPerReplica();
    return ms;
  }

  private void tick() {
    long now = (long) servers.nowMs();
    Map<String, Telemetry> readings = new LinkedHashMap<>();
    for (int m = 0; m < models.size(); m++) readings.put(models.get(m).id(), telemetry(m, now));
    for (ScaleDecision d : scaler.tick(readings, now)) apply(d);
    // after the last arrival the loop runs only while requests are left, so that the run can end
    if (!ending || busy()) servers.after(tickMs, this::tick);
  }

  private Telemetry telemetry(int m, long now) {
    return Telemetry.of(models.get(m).id(), stats[m], now, servers.inFlight(m), servers.queued(m),
        Math.round(servers.backlogAgeMs(m)), servers.replicas(m), servers.starting(m));
  }

  private void apply(ScaleDecision d) {
    decisions.add(d);
    for (int m = 0; m < models.size(); m++) if (models.get(m).id().equals(d.model())) servers.resize(m, d.to());
  }

  private boolean busy() {
    for (int m = 0; m < models.size(); m++) if (servers.inFlight(m) > 0 || servers.queued(m) > 0) return true;
    return false;
  }

  /**
   * The product's spill ({@link Spill#shouldLeave}, as the discrete-event simulator applies it): a request for a pool
   * without a ready replica goes to the first of its fallbacks that has one when the cold start would make it miss
   * its deadline or the scaler keeps the pool closed; else it waits for the pool's replica.
   */
  @Override
  public int destination(int model, List<Integer> fallbacks, double deadlineMs) {
    if (servers.replicas(model) > 0) return model;
    if (!Spill.shouldLeave(scaler, models.get(model), Math.round(deadlineMs), servers.coldStartLeftMs(model))) return model;
    for (int f : fallbacks) if (servers.replicas(f) > 0) return f;
    return model;
  }

  @Override
  public void submit(int model, int inputTokens, int outputTokens, double giveUpAtMs, Completion done) {
    submit(model, inputTokens, outputTokens, giveUpAtMs, 0, false, done);
  }

  @Override
  public void submit(
      int model, int inputTokens, int outputTokens, double giveUpAtMs, double deadlineMs, boolean named, Completion done) {
    long now = (long) servers.nowMs();
    stats[model].recordArrival(now, named);
    double idleMs = serviceTimes.idleServiceMs(model, inputTokens, outputTokens);
    int heldBefore = servers.queued(model);
    servers.submit(model, inputTokens, outputTokens, giveUpAtMs, new Completion() {
      @Override
      public void done(boolean served, double latencyMs) {
        done.done(served, latencyMs);
      }

      @Override
      public void served(double latencyMs, double serviceMs) {
        long at = (long) servers.nowMs();
        // as the gateway reports it: the time on a replica, so a wait for one is not counted as load
        stats[model].recordServed(at, serviceMs, idleMs, deadlineMs, latencyMs);
        done.served(latencyMs, serviceMs);
      }
    });
    // the first held request means nothing has room: the pool nudges the scaler instead of waiting for a tick
    if (heldBefore == 0 && servers.queued(model) == 1) scaler.nudge(models.get(model).id(), telemetry(model, now), now).ifPresent(this::apply);
  }

  @Override
  public double nowMs() {
    return servers.nowMs();
  }

  @Override
  public void runUntil(double tMs) {
    servers.runUntil(tMs);
  }

  @Override
  public void runToEnd() {
    ending = true;
    servers.runToEnd();
  }

  @Override
  public int inFlight(int model) {
    return servers.inFlight(model);
  }

  @Override
  public int queued(int model) {
    return servers.queued(model);
  }

  @Override
  public int replicas(int model) {
    return servers.replicas(model);
  }

  @Override
  public int starting(int model) {
    return servers.starting(model);
  }
}
