package io.pickspin.sim.server;

import io.pickspin.prefix.OpenAiPromptBlocks;
import io.pickspin.prefix.PrefixCache;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.util.ByteString;

/** The live state of one served model: its batch, its cold start and what it has done so far. */
final class ModelRuntime {
  final SimModel model;
  final String quotedName;
  final BatchSlots slots;
  final long ttftNanos;
  private final long tpotNanos;
  private final double batchTpotSlope;
  private final long readyAtNanos;
  /** The model's prefix cache; null: none. */
  final PrefixCache prefixCache;

  final LongAdder received = new LongAdder();
  final LongAdder completed = new LongAdder();
  final LongAdder faulted = new LongAdder();
  final LongAdder cancelled = new LongAdder();
  final LongAdder outputTokens = new LongAdder();

  ModelRuntime(SimModel model, double batchTpotSlope, long startNanos) {
    this(model, batchTpotSlope, 0, 1, startNanos);
  }

  /** @param prefixCacheTokens KV memory for the prefix cache, in tokens (0: none) */
  ModelRuntime(SimModel model, double batchTpotSlope, long prefixCacheTokens, int blockTokens, long startNanos) {
    this.prefixCache = prefixCacheTokens > 0 ? new PrefixCache(prefixCacheTokens / blockTokens, blockTokens) : null;
    this.model = model;
    this.quotedName = Json.quote(model.name());
    this.slots = new BatchSlots(model.latency().maxBatch());
    this.ttftNanos = millisToNanos(model.latency().ttftMs());
    this.tpotNanos = millisToNanos(model.latency().tpotMs());
    this.batchTpotSlope = batchTpotSlope;
    this.readyAtNanos = startNanos + millisToNanos(model.latency().coldStartMs());
  }

  boolean loading(long nowNanos) {
    return nowNanos - readyAtNanos < 0;
  }

  /** Whole seconds until the model is ready, at least 1: the Retry-After of a request that came too early. */
  int secondsUntilReady(long nowNanos) {
    return (int) Math.max(1, (readyAtNanos - nowNanos + 999_999_999L) / 1_000_000_000L);
  }

  /** The time per output token now: it grows with the batch when pickspin.sim.batch-tpot-slope > 0. */
  long tpotNanos() {
    if (batchTpotSlope == 0 || tpotNanos == 0) return tpotNanos;
    return (long) (tpotNanos * (1 + batchTpotSlope * Math.max(0, slots.busy() - 1)));
  }

  /** Time from getting a batch slot to the last of {@code tokens} output tokens, at the current batch size. */
  long generationNanos(int tokens) {
    return generationNanos(ttftNanos, tokens);
  }

  /** As {@link #generationNanos(int)}, for a request with its own time to first token. */
  long generationNanos(long ttft, int tokens) {
    return ttft + tpotNanos() * Math.max(0, tokens - 1);
  }

  /**
   * A request's time to first token: with a prefix cache, the prefill of what the cache does not hold (the profile's
   * TTFT x the share of the prompt's tokens not cached), and its blocks are cached from now on.
   */
  long ttftNanos(int promptTokens, ByteString body) {
    if (prefixCache == null || promptTokens < 1) return ttftNanos;
    int cached = prefixCache.admit(OpenAiPromptBlocks.of(body.toArray(), prefixCache.blockTokens()), promptTokens);
    return Math.round(ttftNanos * (double) (promptTokens - cached) / promptTokens);
  }

  void finished(int tokens) {
    completed.increment();
    outputTokens.add(tokens);
  }

  private static long millisToNanos(double ms) {
    return Math.round(ms * 1_000_000d);
  }
}
