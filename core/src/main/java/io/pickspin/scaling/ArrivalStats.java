package io.pickspin.scaling;

import java.time.Duration;

/**
 * Sliding-window telemetry of one model: how many requests arrived and how long completed ones took, over the last
 * {@code window}. The window is cut into equal buckets so that recording is O(1) and old data ages out bucket by
 * bucket; a reading therefore covers between {@code window - bucket} and {@code window} of history.
 *
 * <p>The rate always divides by the full window, even just after start: it underestimates while the window fills
 * rather than reading one early request as a burst. The scaling policy covers the ramp with its backlog rule.
 *
 * <p>Time is passed in ({@code nowMs}) so the simulator can drive it in virtual time. Not thread-safe: one owner (the
 * pool actor, or the simulator loop).
 */
public final class ArrivalStats {
  private final long windowMs;
  private final long bucketMs;
  private final long[] bucketEpoch;
  private final long[] arrivals;
  private final long[] completions;
  private final double[] latencySumMs;
  private long lastArrivalMs = -1;

  /**
   * @param window how far back the rate and mean latency look
   * @param buckets resolution of the window; 60 buckets give 1 s steps for a 60 s window
   */
  public ArrivalStats(Duration window, int buckets) {
    if (window.toMillis() < buckets || buckets < 1) {
      throw new IllegalArgumentException("telemetry window must be >= 1 ms per bucket, got " + window);
    }
    this.bucketMs = window.toMillis() / buckets;
    this.windowMs = bucketMs * buckets;
    this.bucketEpoch = new long[buckets];
    this.arrivals = new long[buckets];
    this.completions = new long[buckets];
    this.latencySumMs = new double[buckets];
    java.util.Arrays.fill(bucketEpoch, Long.MIN_VALUE);
  }

  /** A 60-bucket window. */
  public ArrivalStats(Duration window) {
    this(window, (int) Math.min(60, Math.max(1, window.toMillis())));
  }

  public void recordArrival(long nowMs) {
    arrivals[bucket(nowMs)]++;
    lastArrivalMs = Math.max(lastArrivalMs, nowMs);
  }

  /** A request finished successfully after {@code latencyMs}. */
  public void recordCompletion(long nowMs, long latencyMs) {
    int i = bucket(nowMs);
    completions[i]++;
    latencySumMs[i] += Math.max(0, latencyMs);
  }

  /** Arrivals per second over the window. */
  public double ratePerSecond(long nowMs) {
    return arrivals(nowMs) * 1000.0 / windowMs;
  }

  public long arrivals(long nowMs) {
    long n = 0;
    for (int i = 0; i < arrivals.length; i++) if (live(i, nowMs)) n += arrivals[i];
    return n;
  }

  public long completions(long nowMs) {
    long n = 0;
    for (int i = 0; i < completions.length; i++) if (live(i, nowMs)) n += completions[i];
    return n;
  }

  /** Mean latency of the requests completed within the window, or -1 when none completed. */
  public double meanLatencyMs(long nowMs) {
    long n = 0;
    double sum = 0;
    for (int i = 0; i < completions.length; i++) {
      if (live(i, nowMs)) {
        n += completions[i];
        sum += latencySumMs[i];
      }
    }
    return n == 0 ? -1 : sum / n;
  }

  /** When the last request arrived, or -1 if none ever did. */
  public long lastArrivalMs() {
    return lastArrivalMs;
  }

  public long windowMs() {
    return windowMs;
  }

  private int bucket(long nowMs) {
    long epoch = Math.floorDiv(nowMs, bucketMs);
    int i = (int) Math.floorMod(epoch, (long) bucketEpoch.length);
    if (bucketEpoch[i] != epoch) {
      bucketEpoch[i] = epoch;
      arrivals[i] = 0;
      completions[i] = 0;
      latencySumMs[i] = 0;
    }
    return i;
  }

  private boolean live(int i, long nowMs) {
    long current = Math.floorDiv(nowMs, bucketMs);
    long e = bucketEpoch[i];
    return e != Long.MIN_VALUE && e <= current && e > current - bucketEpoch.length;
  }
}
