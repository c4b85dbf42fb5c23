package io.pickspin.sim.rl;

import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import java.util.ArrayDeque;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A STAND-IN for the issue-5 discrete-event simulator, written because that simulator did not exist yet when the RL
 * environment was built; replace it with an adapter over the DES once it lands (see {@link ServingSimulator} for the
 * hooks). Deliberately minimal: per model a fixed number of replicas, each generating up to {@code maxBatch} requests
 * at once; a request starts on the least-busy replica with a free slot or waits in the model's FIFO queue. Its service
 * time is fixed when it starts: {@code ttft + tpot x (1 + batchTpotSlope x (batch - 1)) x (outputTokens - 1)}, with
 * {@code batch} the replica's batch including it (the sim server's pickspin.sim.batch-tpot-slope rule). No cold
 * starts, no failures, no scaling.
 */
public final class StandInServers implements ServingSimulator {
  private record Event(double t, long seq, Runnable action) {}

  private static final class Job {
    final double arrivalMs;
    final int tokens;
    final Completion done;
    boolean gone;

    Job(double arrivalMs, int tokens, Completion done) {
      this.arrivalMs = arrivalMs;
      this.tokens = tokens;
      this.done = done;
    }
  }

  private final LatencyProfile[] latency;
  private final int[][] active; // [model][replica] requests in service
  private final int[] inFlight;
  private final int[] waiting;
  private final ArrayDeque<Job>[] queues;
  private final double slope;
  private final PriorityQueue<Event> events =
      new PriorityQueue<>((a, b) -> a.t != b.t ? Double.compare(a.t, b.t) : Long.compare(a.seq, b.seq));
  private long seq;
  private double now;

  @SuppressWarnings("unchecked")
  public StandInServers(List<ModelSpec> models, int[] replicas, double batchTpotSlope) {
    int n = models.size();
    if (replicas.length != n) throw new IllegalArgumentException("one replica count per model");
    this.latency = models.stream().map(ModelSpec::latency).toArray(LatencyProfile[]::new);
    this.active = new int[n][];
    for (int i = 0; i < n; i++) active[i] = new int[replicas[i]];
    this.inFlight = new int[n];
    this.waiting = new int[n];
    this.queues = new ArrayDeque[n];
    for (int i = 0; i < n; i++) queues[i] = new ArrayDeque<>();
    this.slope = batchTpotSlope;
  }

  @Override
  public double nowMs() {
    return now;
  }

  @Override
  public void runUntil(double tMs) {
    while (!events.isEmpty() && events.peek().t <= tMs) step();
    now = Math.max(now, tMs);
  }

  @Override
  public void runToEnd() {
    while (!events.isEmpty()) step();
  }

  private void step() {
    Event e = events.poll();
    now = e.t;
    e.action.run();
  }

  private void at(double t, Runnable r) {
    events.add(new Event(t, seq++, r));
  }

  @Override
  public void submit(int model, int outputTokens, double giveUpAtMs, Completion done) {
    Job job = new Job(now, outputTokens, done);
    int r = freeReplica(model);
    if (r >= 0) {
      start(model, r, job);
      return;
    }
    if (active[model].length == 0 || giveUpAtMs < now) {
      done.done(false, 0);
      return;
    }
    queues[model].add(job);
    waiting[model]++;
    at(giveUpAtMs, () -> {
      if (job.gone) return;
      job.gone = true; // left behind in the deque as a tombstone, skipped when it reaches the head
      waiting[model]--;
      job.done.done(false, now - job.arrivalMs);
    });
  }

  private int freeReplica(int model) {
    int best = -1;
    int[] a = active[model];
    for (int r = 0; r < a.length; r++) {
      if (a[r] < latency[model].maxBatch() && (best < 0 || a[r] < a[best])) best = r;
    }
    return best;
  }

  private void start(int model, int replica, Job job) {
    job.gone = true;
    active[model][replica]++;
    inFlight[model]++;
    LatencyProfile l = latency[model];
    double tpot = l.tpotMs() * (1 + slope * (active[model][replica] - 1));
    double service = l.ttftMs() + tpot * Math.max(0, job.tokens - 1);
    at(now + service, () -> {
      active[model][replica]--;
      inFlight[model]--;
      job.done.done(true, now - job.arrivalMs);
      Job next;
      while ((next = queues[model].poll()) != null) {
        if (next.gone) continue;
        waiting[model]--;
        start(model, replica, next);
        break;
      }
    });
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
    return active[model].length;
  }
}
