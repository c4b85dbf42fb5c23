package io.pickspin.lab.des;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.prefix.PrefixCache;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import java.net.URI;

/**
 * One simulated model server replica: its phase for the driver and the pool, and a {@link BatchingEngine} with
 * vLLM-style continuous batching that a leased request reaches after the per-request overhead; with a {@link
 * PrefixCache}, a request whose prompt carries block hashes prefills only what the cache does not hold.
 */
final class ReplicaServer {
  /** Callbacks into the simulation. */
  interface Listener {
    void firstToken(Job job, double now);

    void finished(ReplicaServer replica, Job job, double now);
  }

  final String id;
  final SimPool pool;
  final BackendEndpoint endpoint;
  ReplicaPhase phase;
  /** When a starting replica becomes ready (virtual ms). */
  double readyAt;
  private final EventQueue events;
  private final LatencyModel latency;
  private final BatchingEngine<Job> engine;
  private int arriving;
  /** The replica's prefix cache; null: no prefix caching. */
  PrefixCache cache;

  ReplicaServer(String id, SimPool pool, ReplicaPhase phase, EventQueue events, LatencyModel latency,
      LatencyModel.Deployment deployment, int maxSeqs, Listener listener) {
    this.id = id;
    this.pool = pool;
    this.phase = phase;
    this.events = events;
    this.latency = latency;
    this.engine =
        new BatchingEngine<>(events, latency, deployment, maxSeqs, new BatchingEngine.Listener<>() {
          @Override
          public void firstToken(Job job, double now) {
            listener.firstToken(job, now);
          }

          @Override
          public void finished(Job job, double now) {
            // the answer's KV blocks stay cached too: a next turn that carries it reuses them
            if (cache != null && job.answeredBlocks != null) cache.insert(job.answeredBlocks);
            listener.finished(ReplicaServer.this, job, now);
          }
        });
    this.endpoint = new BackendEndpoint(id, "sim", URI.create("http://127.0.0.1:0/" + id));
  }

  ReplicaStatus status() {
    return new ReplicaStatus(id, phase, phase == ReplicaPhase.STARTING ? null : endpoint);
  }

  /** Requests on this replica: arriving, queued in the engine, or running. */
  int load() {
    return arriving + engine.size();
  }

  boolean idle() {
    return load() == 0;
  }

  /** A leased request reaches the engine after the per-request overhead. */
  void submit(Job job) {
    arriving++;
    events.after(latency.settings().requestOverheadMs(), () -> {
      arriving--;
      int input = job.request.inputTokens();
      int cached = cache == null || job.promptBlocks == null ? 0 : cache.admit(job.promptBlocks, input);
      job.cachedTokens = cached;
      engine.enqueue(job, input, cached, job.request.outputTokens());
    });
  }
}
