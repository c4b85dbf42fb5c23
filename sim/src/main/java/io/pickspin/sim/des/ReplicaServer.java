package io.pickspin.sim.des;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One simulated model server replica with vLLM-style continuous batching, advanced as a fluid between events.
 *
 * <p>A request joins after the per-request overhead, waits in the engine queue until a sequence slot and KV cache for
 * its whole context are free, then is prefilled in chunks (FIFO within the step's token budget, next to the decoding
 * sequences) and decodes one token per step. Step time comes from the {@link LatencyModel} for the step's current mix
 * (decode batch, KV bytes read, prefill chunk) and is constant between events: the next event is the earliest prefill
 * or decode completion, after which the mix is recomputed.
 */
final class ReplicaServer {
  /** Callbacks into the simulation. */
  interface Listener {
    void firstToken(Job job, double now);

    void finished(ReplicaServer replica, Job job, double now);
  }

  private static final double EPS = 1e-6;

  private static final class Seq {
    final Job job;
    final double kvReserved;
    double prefillLeft;
    double decodeLeft;
    double context;
    double alloc; // prefill tokens per step in the current mix
    boolean decoding;

    Seq(Job job, double kvReserved) {
      this.job = job;
      this.kvReserved = kvReserved;
      this.prefillLeft = job.request.inputTokens();
      this.context = 0;
    }
  }

  final String id;
  final SimPool pool;
  final BackendEndpoint endpoint;
  ReplicaPhase phase;
  private final EventQueue events;
  private final LatencyModel latency;
  private final LatencyModel.Deployment deployment;
  private final Listener listener;
  private final int maxSeqs;
  private final double kvCapacity;
  private final List<Seq> running = new ArrayList<>();
  private final ArrayDeque<Seq> waiting = new ArrayDeque<>();
  private int arriving;
  private double kvUsed;
  private double lastUpdate;
  private double stepMs;
  private long version;

  ReplicaServer(String id, SimPool pool, ReplicaPhase phase, EventQueue events, LatencyModel latency,
      LatencyModel.Deployment deployment, int maxSeqs, Listener listener) {
    this.id = id;
    this.pool = pool;
    this.phase = phase;
    this.events = events;
    this.latency = latency;
    this.deployment = deployment;
    this.maxSeqs = maxSeqs;
    this.kvCapacity = latency.kvCapacityBytes(deployment);
    this.listener = listener;
    this.lastUpdate = events.now();
    this.endpoint = new BackendEndpoint(id, "sim", URI.create("http://127.0.0.1:0/" + id));
  }

  ReplicaStatus status() {
    return new ReplicaStatus(id, phase, phase == ReplicaPhase.STARTING ? null : endpoint);
  }

  /** Requests on this replica: arriving, queued in the engine, or running. */
  int load() {
    return arriving + waiting.size() + running.size();
  }

  boolean idle() {
    return load() == 0;
  }

  /** A leased request reaches the engine after the per-request overhead. */
  void submit(Job job) {
    arriving++;
    events.after(latency.settings().requestOverheadMs(), () -> {
      arriving--;
      advance();
      waiting.addLast(new Seq(job, deployment.arch().kvBytes(job.request.inputTokens() + job.request.outputTokens())));
      admit();
      reschedule();
    });
  }

  private void onStep(long v) {
    if (v != version) return; // the mix changed since this event was scheduled
    advance();
    complete();
    admit();
    reschedule();
  }

  /** Moves every sequence forward by the steps taken since the last update at the current mix's rates. */
  private void advance() {
    double now = events.now();
    double dt = now - lastUpdate;
    lastUpdate = now;
    if (dt <= 0 || stepMs <= 0) return;
    double steps = dt / stepMs;
    for (Seq s : running) {
      if (s.decoding) {
        s.decodeLeft -= steps;
        s.context += steps;
      } else if (s.alloc > 0) {
        s.prefillLeft -= s.alloc * steps;
        s.context += s.alloc * steps;
      }
    }
  }

  private void complete() {
    double now = events.now();
    for (int i = 0; i < running.size(); ) {
      Seq s = running.get(i);
      if (!s.decoding && s.prefillLeft <= EPS) {
        s.decoding = true;
        s.prefillLeft = 0;
        s.context = s.job.request.inputTokens() + 1;
        s.decodeLeft = s.job.request.outputTokens() - 1;
        listener.firstToken(s.job, now);
      }
      if (s.decoding && s.decodeLeft <= EPS) {
        running.remove(i);
        kvUsed -= s.kvReserved;
        listener.finished(this, s.job, now);
        continue;
      }
      i++;
    }
  }

  /** Engine admission: a free sequence slot and KV cache for the whole context (a lone request is always admitted). */
  private void admit() {
    while (!waiting.isEmpty() && running.size() < maxSeqs
        && (running.isEmpty() || kvUsed + waiting.peekFirst().kvReserved <= kvCapacity)) {
      Seq s = waiting.pollFirst();
      kvUsed += s.kvReserved;
      running.add(s);
    }
  }

  /** Computes the current mix's step time and schedules the next completion. */
  private void reschedule() {
    version++;
    if (running.isEmpty()) {
      stepMs = 0;
      return;
    }
    int decoding = 0;
    double kvRead = 0;
    for (Seq s : running) {
      if (s.decoding) {
        decoding++;
        kvRead += deployment.arch().kvBytes(s.context);
      }
    }
    double budget = Math.max(0, latency.settings().chunkTokens() - decoding);
    double chunk = 0, attention = 0;
    int finishing = 0;
    for (Seq s : running) {
      if (s.decoding) continue;
      s.alloc = Math.min(s.prefillLeft, budget);
      budget -= s.alloc;
      if (s.alloc > 0) {
        chunk += s.alloc;
        attention += deployment.arch().prefillAttentionFlops(s.alloc, s.context);
        if (s.alloc >= s.prefillLeft - EPS) finishing++;
      }
    }
    stepMs = latency.stepMs(deployment, decoding + chunk, decoding + finishing, kvRead, attention);
    double next = Double.MAX_VALUE;
    for (Seq s : running) {
      if (s.decoding) next = Math.min(next, s.decodeLeft * stepMs);
      else if (s.alloc > 0) next = Math.min(next, s.prefillLeft / s.alloc * stepMs);
    }
    long v = version;
    events.after(Math.max(next, 1e-6), () -> onStep(v));
  }
}
