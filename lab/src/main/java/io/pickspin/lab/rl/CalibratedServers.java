package io.pickspin.lab.rl;

import io.pickspin.lab.des.BatchingEngine;
import io.pickspin.lab.des.EventQueue;
import io.pickspin.lab.des.LatencyModel;
import io.pickspin.lab.des.ScaleDownOrder;
import io.pickspin.scaling.driver.ReplicaPhase;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The RL environment's model servers on the discrete-event simulator's calibrated server model: each replica runs vLLM-style
 * continuous batching with step times from the DES's {@link LatencyModel} (roofline fitted to ../shared/data), as the
 * DES's ReplicaServer does (both run {@link BatchingEngine}), so the router is trained and benchmarked on the same
 * latency behaviour the DES replays. Unlike the DES, it reports every request's outcome, which training needs to credit
 * each routing decision.
 *
 * <p>Per model: a fixed number of replicas of one {@link LatencyModel.Deployment}, each holding at most
 * {@code maxBatch} requests (the pool's slots, the catalogue's max batch); a request goes to the least-loaded replica
 * with a free slot, else waits in the model's FIFO hold queue until a slot frees or its give-up time passes. On the
 * replica it pays the per-request overhead, is admitted when KV cache for its whole context is free, is prefilled in
 * chunks within the step token budget next to the decoding sequences, then decodes one token per step. The step time
 * is the latency model's for the current mix and is constant between events.
 *
 * <p>A scaler may resize a model's pool ({@link #resize}, driven by {@link ScaledServers}) as the DES's replica driver
 * does: a new replica serves after the latency model's cold start; a scale-down cancels starting replicas first, then
 * drains the least-loaded ready ones (no new requests, removed once empty). Each replica counts from its start to its
 * removal ({@link #replicaMs}).
 */
public final class CalibratedServers implements ServingSimulator {
  private static final class Request {
    final double arrivalMs;
    final int input;
    final int output;
    final Completion done;
    boolean gone;
    double startedMs;

    Request(double arrivalMs, int input, int output, Completion done) {
      this.arrivalMs = arrivalMs;
      this.input = input;
      this.output = output;
      this.done = done;
    }
  }

  /** One replica: a pool slot count and its engine, reached after the per-request overhead. */
  private final class Replica {
    final int model;
    final BatchingEngine<Request> engine;
    final double addedMs;
    ReplicaPhase phase;
    int slots; // requests holding a pool slot on this replica (arriving, waiting in the engine, running)

    Replica(int model, LatencyModel.Deployment d, ReplicaPhase phase) {
      this.model = model;
      this.phase = phase;
      this.addedMs = events.now();
      this.engine =
          new BatchingEngine<>(events, latency, d, maxBatch[model], new BatchingEngine.Listener<>() {
            @Override
            public void firstToken(Request r, double now) {}

            @Override
            public void finished(Request r, double now) {
              CalibratedServers.this.finished(Replica.this, r);
            }
          });
    }

    void submit(Request r) {
      slots++;
      events.after(latency.settings().requestOverheadMs(), () -> engine.enqueue(r, r.input, r.output));
    }
  }

  /**
   * The server model of a fleet: per model its deployment and replica slots on one calibrated latency model.
   *
   * @param maxBatch per model the requests one replica holds (the catalogue's max batch)
   */
  public record Model(LatencyModel latency, List<LatencyModel.Deployment> deployments, int[] maxBatch) implements ServerModel {
    public Model {
      deployments = List.copyOf(deployments);
      maxBatch = maxBatch.clone();
      if (maxBatch.length != deployments.size()) throw new IllegalArgumentException("one batch size per deployment");
    }

    @Override
    public CalibratedServers newSimulator(int[] replicas) {
      return new CalibratedServers(latency, deployments, maxBatch, replicas);
    }

    @Override
    public double idleServiceMs(int model, int inputTokens, int outputTokens) {
      return latency.idleServiceMs(deployments.get(model), inputTokens, outputTokens);
    }

    @Override
    public double fullBatchServiceMs(int model, int inputTokens, int outputTokens) {
      LatencyModel.Deployment d = deployments.get(model);
      return latency.idleTtftMs(d, 1, inputTokens)
          + Math.max(0, outputTokens - 1) * latency.decodeStepMs(d, maxBatch[model], inputTokens + outputTokens / 2.0);
    }

    @Override
    public int maxBatch(int model) {
      return maxBatch[model];
    }
  }

  private final LatencyModel latency;
  private final List<LatencyModel.Deployment> deployments;
  private final int[] maxBatch;
  /** Per model its replicas from start to removal: starting, ready and draining. */
  private final List<Replica>[] replicas;
  private final ArrayDeque<Request>[] held;
  private final int[] inFlight;
  private final int[] waiting;
  /** Per model the replica-milliseconds of its removed replicas. */
  private final double[] removedReplicaMs;
  /** Per model when a replica last entered rotation (the backlog's age counts from it). */
  private final double[] lastCapacityGainMs;
  private boolean holdForColdPools;
  private final EventQueue events = new EventQueue();

  /**
   * @param deployments per model (environment order) its replica deployment
   * @param maxBatch per model the requests one replica holds at once
   * @param replicas per model the number of replicas
   */
  @SuppressWarnings("unchecked")
  public CalibratedServers(LatencyModel latency, List<LatencyModel.Deployment> deployments, int[] maxBatch, int[] replicas) {
    int n = deployments.size();
    if (maxBatch.length != n || replicas.length != n) throw new IllegalArgumentException("one batch size and replica count per model");
    this.latency = latency;
    this.deployments = List.copyOf(deployments);
    this.maxBatch = maxBatch.clone();
    this.replicas = new List[n];
    this.held = new ArrayDeque[n];
    for (int m = 0; m < n; m++) {
      if (maxBatch[m] < 1 || replicas[m] < 0) throw new IllegalArgumentException("need max batch >= 1 and replicas >= 0");
      this.replicas[m] = new ArrayList<>();
      for (int r = 0; r < replicas[m]; r++) this.replicas[m].add(new Replica(m, deployments.get(m), ReplicaPhase.READY));
      held[m] = new ArrayDeque<>();
    }
    this.inFlight = new int[n];
    this.waiting = new int[n];
    this.removedReplicaMs = new double[n];
    this.lastCapacityGainMs = new double[n];
  }

  /**
   * A scaler drives this deployment: a request for a pool without a replica waits in its hold queue for one (a scale
   * from zero) instead of failing at once.
   */
  public void holdForColdPools() {
    holdForColdPools = true;
  }

  /** Runs {@code action} {@code delayMs} from now in virtual time (the scaler's ticks). */
  public void after(double delayMs, Runnable action) {
    events.after(delayMs, action);
  }

  /**
   * Sizes model {@code model}'s pool to {@code desired} replicas, starting and ready: new ones serve after the cold
   * start; fewer cancels starting replicas (newest first), then drains the least-loaded ready ones.
   */
  public void resize(int model, int desired) {
    List<Replica> pool = replicas[model];
    int live = count(model, ReplicaPhase.STARTING) + count(model, ReplicaPhase.READY);
    double coldStartMs = latency.coldStartMs(deployments.get(model));
    for (int i = live; i < desired; i++) {
      Replica r = new Replica(model, deployments.get(model), ReplicaPhase.STARTING);
      pool.add(r);
      events.after(coldStartMs, () -> ready(r));
    }
    for (Replica r : ScaleDownOrder.leaving(List.copyOf(pool), live - desired, x -> x.phase, x -> x.slots)) {
      if (r.phase == ReplicaPhase.STARTING) {
        remove(r);
      } else {
        r.phase = ReplicaPhase.DRAINING;
        if (r.slots == 0) remove(r);
      }
    }
  }

  private void ready(Replica r) {
    if (r.phase != ReplicaPhase.STARTING) return; // cancelled while starting
    r.phase = ReplicaPhase.READY;
    lastCapacityGainMs[r.model] = events.now();
    while (r.slots < maxBatch[r.model] && startNextHeld(r)) {
      // the held requests take the new replica's slots
    }
  }

  private void remove(Replica r) {
    r.phase = ReplicaPhase.FAILED;
    replicas[r.model].remove(r);
    removedReplicaMs[r.model] += events.now() - r.addedMs;
  }

  private int count(int model, ReplicaPhase phase) {
    int n = 0;
    for (Replica r : replicas[model]) if (r.phase == phase) n++;
    return n;
  }

  /** How long until model {@code model}'s first starting replica is ready; a full cold start when none is starting. */
  public double coldStartLeftMs(int model) {
    double coldStartMs = latency.coldStartMs(deployments.get(model));
    double left = coldStartMs;
    for (Replica r : replicas[model]) {
      if (r.phase == ReplicaPhase.STARTING) left = Math.min(left, Math.max(0, r.addedMs + coldStartMs - events.now()));
    }
    return left;
  }

  /** Milliseconds model {@code model}'s replicas existed up to {@code untilMs}, each from its start to its removal. */
  public double replicaMs(int model, double untilMs) {
    double ms = removedReplicaMs[model];
    for (Replica r : replicas[model]) ms += Math.max(0, untilMs - r.addedMs);
    return ms;
  }

  /**
   * How long requests have waited for model {@code model} without its pool gaining capacity: the oldest held
   * request's wait, counted at most from when a replica last became ready; 0 when nothing waits (the pool's
   * telemetry for the scaler).
   */
  public double backlogAgeMs(int model) {
    for (Request r : held[model]) {
      if (!r.gone) return Math.max(0, events.now() - Math.max(r.arrivalMs, lastCapacityGainMs[model]));
    }
    return 0;
  }

  @Override
  public double nowMs() {
    return events.now();
  }

  @Override
  public void runUntil(double tMs) {
    events.runUntil(tMs);
  }

  @Override
  public void runToEnd() {
    events.run();
  }

  @Override
  public void submit(int model, int inputTokens, int outputTokens, double giveUpAtMs, Completion done) {
    double now = events.now();
    Request r = new Request(now, Math.max(1, inputTokens), Math.max(1, outputTokens), done);
    Replica free = freeReplica(model);
    if (free != null) {
      start(free, r);
      return;
    }
    boolean none = replicas[model].isEmpty() && !holdForColdPools;
    if (none || giveUpAtMs <= now) {
      done.done(false, 0);
      return;
    }
    held[model].add(r);
    waiting[model]++;
    events.after(giveUpAtMs - now, () -> {
      if (r.gone) return;
      r.gone = true; // stays in the deque as a tombstone, skipped when it reaches the head
      waiting[model]--;
      r.done.done(false, events.now() - r.arrivalMs);
    });
  }

  private Replica freeReplica(int model) {
    Replica best = null;
    for (Replica r : replicas[model]) {
      if (r.phase == ReplicaPhase.READY && r.slots < maxBatch[model] && (best == null || r.slots < best.slots)) best = r;
    }
    return best;
  }

  private void start(Replica replica, Request r) {
    r.gone = true;
    r.startedMs = events.now();
    inFlight[replica.model]++;
    replica.submit(r);
  }

  private void finished(Replica replica, Request r) {
    replica.slots--;
    inFlight[replica.model]--;
    r.done.served(events.now() - r.arrivalMs, events.now() - r.startedMs);
    if (replica.phase == ReplicaPhase.DRAINING) {
      if (replica.slots == 0) remove(replica);
      return;
    }
    startNextHeld(replica);
  }

  /** Gives {@code replica}'s free slot to the oldest request still waiting for its model; false when none waits. */
  private boolean startNextHeld(Replica replica) {
    Request next;
    while ((next = held[replica.model].poll()) != null) {
      if (next.gone) continue;
      waiting[replica.model]--;
      start(replica, next);
      return true;
    }
    return false;
  }

  @Override
  public int inFlight(int model) {
    return inFlight[model];
  }

  @Override
  public int queued(int model) {
    return waiting[model];
  }

  @Override
  public int replicas(int model) {
    return count(model, ReplicaPhase.READY);
  }

  @Override
  public int starting(int model) {
    return count(model, ReplicaPhase.STARTING);
  }
}
