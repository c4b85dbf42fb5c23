package io.pickspin.model;

/**
 * How fast one replica of a model answers: time to first token, time per output token, how many requests it batches
 * at once, and how long a new replica takes to become ready. The sim backend serves with these numbers; the scaling
 * policy and the simulator plan with them.
 *
 * @param ttftMs time to first token of a typical prompt on an idle replica (its prefill)
 * @param tpotMs time per output token of a lone sequence
 * @param maxBatch sequences one replica runs at once (the engine's batch and KV-cache limit)
 * @param coldStartMs how long a new replica takes to serve
 * @param tpotAtMaxBatchMs time per output token when {@code maxBatch} sequences of a typical context decode together,
 *     0 when unknown. With it the scaler knows how fast latency degrades with concurrency and plans each replica at
 *     the concurrency that keeps latency near idle latency (see ScalingPolicy); without it, at {@code maxBatch}
 */
public record LatencyProfile(double ttftMs, double tpotMs, int maxBatch, double coldStartMs, double tpotAtMaxBatchMs) {
  public LatencyProfile {
    if (ttftMs < 0 || tpotMs < 0 || coldStartMs < 0 || tpotAtMaxBatchMs < 0) {
      throw new IllegalArgumentException("latencies must be >= 0");
    }
    if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be >= 1");
  }

  /** A profile without a measured batch curve. */
  public LatencyProfile(double ttftMs, double tpotMs, int maxBatch, double coldStartMs) {
    this(ttftMs, tpotMs, maxBatch, coldStartMs, 0);
  }

  /** Expected service time of a request with the given number of output tokens, without queueing. */
  public double serviceMs(int outputTokens) {
    return ttftMs + tpotMs * Math.max(0, outputTokens - 1);
  }

  /** Whether {@link #tpotAtMaxBatchMs} describes how decoding slows down with the batch. */
  public boolean hasBatchCurve() {
    return tpotAtMaxBatchMs > 0 && tpotMs > 0;
  }

  /**
   * How much one more decoding sequence adds to every sequence's time per output token, ms: the slope of the line
   * through (1, tpot) and (maxBatch, tpotAtMaxBatch). Decoding is memory-bound, so each sequence adds its KV-cache
   * read to every step: the line is what the engine does up to its batch limit. 0 without a batch curve.
   */
  public double tpotPerSequenceMs() {
    if (!hasBatchCurve() || maxBatch < 2) return 0;
    return Math.max(0, (tpotAtMaxBatchMs - tpotMs) / (maxBatch - 1));
  }
}
