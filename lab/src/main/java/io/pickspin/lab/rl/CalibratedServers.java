package io.pickspin.lab.rl;

import io.pickspin.lab.des.BatchingEngine;
import io.pickspin.lab.des.EventQueue;
import io.pickspin.lab.des.LatencyModel;
import java.util.ArrayDeque;
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
 */
public final class CalibratedServers implements ServingSimulator {
  private static final class Request {
    final double arrivalMs;
    final int input;
    final int output;
    final Completion done;
    boolean gone;

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
    int slots; // requests holding a pool slot on this replica (arriving, waiting in the engine, running)

    Replica(int model, LatencyModel.Deployment d) {
      this.model = model;
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
    public ServingSimulator newSimulator(int[] replicas) {
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
  private final int[] maxBatch;
  private final Replica[][] replicas;
  private final ArrayDeque<Request>[] held;
  private final int[] inFlight;
  private final int[] waiting;
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
    this.maxBatch = maxBatch.clone();
    this.replicas = new Replica[n][];
    this.held = new ArrayDeque[n];
    for (int m = 0; m < n; m++) {
      if (maxBatch[m] < 1 || replicas[m] < 0) throw new IllegalArgumentException("need max batch >= 1 and replicas >= 0");
      this.replicas[m] = new Replica[replicas[m]];
      for (int r = 0; r < replicas[m]; r++) this.replicas[m][r] = new Replica(m, deployments.get(m));
      held[m] = new ArrayDeque<>();
    }
    this.inFlight = new int[n];
    this.waiting = new int[n];
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
    if (replicas[model].length == 0 || giveUpAtMs <= now) {
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
    for (Replica r : replicas[model]) if (r.slots < maxBatch[model] && (best == null || r.slots < best.slots)) best = r;
    return best;
  }

  private void start(Replica replica, Request r) {
    r.gone = true;
    inFlight[replica.model]++;
    replica.submit(r);
  }

  private void finished(Replica replica, Request r) {
    replica.slots--;
    inFlight[replica.model]--;
    r.done.done(true, events.now() - r.arrivalMs);
    Request next;
    while ((next = held[replica.model].poll()) != null) {
      if (next.gone) continue;
      waiting[replica.model]--;
      start(replica, next);
      break;
    }
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
    return replicas[model].length;
  }
}
