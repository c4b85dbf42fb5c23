package io.pickspin.model;

/**
 * How fast one replica of a model answers: time to first token, time per output token, how many requests it batches
 * at once, and how long a new replica takes to become ready. The sim backend serves with these numbers; the scaling
 * policy and the simulator plan with them.
 */
public record LatencyProfile(double ttftMs, double tpotMs, int maxBatch, double coldStartMs) {
  public LatencyProfile {
    if (ttftMs < 0 || tpotMs < 0 || coldStartMs < 0) throw new IllegalArgumentException("latencies must be >= 0");
    if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be >= 1");
  }

  /** Expected service time of a request with the given number of output tokens, without queueing. */
  public double serviceMs(int outputTokens) {
    return ttftMs + tpotMs * Math.max(0, outputTokens - 1);
  }
}
