package io.pickspin.lab.des;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One model server's engine with vLLM-style continuous batching, advanced as a fluid between events.
 *
 * <p>A request waits in the engine queue until a sequence slot and KV cache for its whole context are free, then is
 * prefilled in chunks (FIFO within the step's token budget, next to the decoding sequences) and decodes one token per
 * step. Step time comes from the {@link LatencyModel} for the step's current mix (decode batch, KV bytes read, prefill
 * chunk) and is constant between events: the next event is the earliest prefill or decode completion, after which the
 * mix is recomputed. The DES's {@link ReplicaServer} and the RL environment's servers both run it, so the router is
 * trained on the latency behaviour the DES replays.
 *
 * @param <T> the caller's handle of a request, given back in the callbacks
 */
public final class BatchingEngine<T> {
  /** The virtual clock the engine schedules its steps on. */
  public interface Events {
    double now();

    void after(double delayMs, Runnable action);
  }

  /** Callbacks as a request's first token is produced and as it finishes. */
  public interface Listener<T> {
    void firstToken(T request, double now);

    void finished(T request, double now);
  }

  private static final double EPS = 1e-6;

  private final class Seq {
    final T request;
    final int inputTokens;
    final int outputTokens;
    final double kvReserved;
    double prefillLeft;
    double decodeLeft;
    double context;
    double alloc; // prefill tokens per step in the current mix
    boolean decoding;

    Seq(T request, int inputTokens, int cachedTokens, int outputTokens) {
      this.request = request;
      this.inputTokens = inputTokens;
      this.outputTokens = outputTokens;
      this.kvReserved = deployment.arch().kvBytes(inputTokens + outputTokens);
      // a cached prefix is not computed again: prefill starts after it, attending to it
      this.prefillLeft = inputTokens - cachedTokens;
      this.context = cachedTokens;
    }
  }

  private final Events events;
  private final LatencyModel latency;
  private final LatencyModel.Deployment deployment;
  private final int maxSeqs;
  private final double kvCapacity;
  private final Listener<T> listener;
  private final List<Seq> running = new ArrayList<>();
  private final ArrayDeque<Seq> waiting = new ArrayDeque<>();
  private double kvUsed;
  private double lastUpdate;
  private double stepMs;
  private long version;

  /** @param maxSeqs sequences decoding or prefilling at once (the engine's max batch) */
  public BatchingEngine(Events events, LatencyModel latency, LatencyModel.Deployment deployment, int maxSeqs,
      Listener<T> listener) {
    this.events = events;
    this.latency = latency;
    this.deployment = deployment;
    this.maxSeqs = maxSeqs;
    this.kvCapacity = latency.kvCapacityBytes(deployment);
    this.listener = listener;
    this.lastUpdate = events.now();
  }

  /** Requests queued in the engine or running. */
  public int size() {
    return waiting.size() + running.size();
  }

  /** A request reaches the engine now (any per-request overhead before that is the caller's). */
  public void enqueue(T request, int inputTokens, int outputTokens) {
    enqueue(request, inputTokens, 0, outputTokens);
  }

  /**
   * A request whose first {@code cachedTokens} prompt tokens are in the replica's prefix cache: only the rest is
   * prefilled (at least one token).
   */
  public void enqueue(T request, int inputTokens, int cachedTokens, int outputTokens) {
    if (cachedTokens < 0 || cachedTokens >= inputTokens) {
      throw new IllegalArgumentException("cached tokens must be in [0, " + inputTokens + "), got " + cachedTokens);
    }
    advance();
    waiting.addLast(new Seq(request, inputTokens, cachedTokens, outputTokens));
    admit();
    reschedule();
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
        s.context = s.inputTokens + 1;
        s.decodeLeft = s.outputTokens - 1;
        listener.firstToken(s.request, now);
      }
      if (s.decoding && s.decodeLeft <= EPS) {
        running.remove(i);
        kvUsed -= s.kvReserved;
        listener.finished(s.request, now);
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
