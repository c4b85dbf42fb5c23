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
 * <p>It also keeps, per completed request that had a deadline, the slowdown that request tolerated: its deadline over
 * its idle service time on the model ({@link #recordDeadline}), in log-spaced bins, so that the scaling policy can size
 * the pool to the deadlines of the requests routed to it ({@link #deadlines}).
 *
 * <p>Time is passed in ({@code nowMs}) so the simulator can drive it in virtual time. Not thread-safe: one owner (the
 * pool actor, or the simulator loop).
 */
public final class ArrivalStats {
  private final long windowMs;
  private final long bucketMs;
  private final long[] bucketEpoch;
  private final long[] arrivals;
  private final long[] namedArrivals; // arrivals whose client named this model
  private final long[] completions;
  private final double[] latencySumMs;
  private final int[][] slack; // [time bucket][slowdown bin]
  private final long[] slackSamples;
  private final long[] lateSamples;
  private final double[] servedSumMs; // service time of completions with a known idle service time
  private final double[] idleSumMs; // and their idle service times
  private long lastArrivalMs = -1;

  /** Slowdown bins: bin i holds f in [MIN_FACTOR x STEP^i, MIN_FACTOR x STEP^(i+1)); the outer bins are open. */
  static final int BINS = 72;
  static final double MIN_FACTOR = 0.25, STEP = Math.pow(2, 1.0 / 8);

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
    this.namedArrivals = new long[buckets];
    this.completions = new long[buckets];
    this.latencySumMs = new double[buckets];
    this.slack = new int[buckets][BINS];
    this.slackSamples = new long[buckets];
    this.lateSamples = new long[buckets];
    this.servedSumMs = new double[buckets];
    this.idleSumMs = new double[buckets];
    java.util.Arrays.fill(bucketEpoch, Long.MIN_VALUE);
  }

  /** A 60-bucket window. */
  public ArrivalStats(Duration window) {
    this(window, (int) Math.min(60, Math.max(1, window.toMillis())));
  }

  /** An arrival the router chose this model for. */
  public void recordArrival(long nowMs) {
    recordArrival(nowMs, false);
  }

  /** An arrival; {@code named}: its client named this model, so no other model can take it. */
  public void recordArrival(long nowMs, boolean named) {
    int i = bucket(nowMs);
    arrivals[i]++;
    if (named) namedArrivals[i]++;
    lastArrivalMs = Math.max(lastArrivalMs, nowMs);
  }

  /**
   * A request served: {@code serviceMs} on a replica (its latency for Little's law and its slowdown), against its idle
   * service time; with a deadline, also what it tolerated and whether it met it, {@code sinceArrivalMs} after it arrived.
   * What a pool records of every successful completion.
   */
  public void recordServed(long nowMs, double serviceMs, double idleServiceMs, double deadlineMs, double sinceArrivalMs) {
    recordCompletion(nowMs, Math.round(serviceMs));
    recordSlowdown(nowMs, idleServiceMs, serviceMs);
    recordDeadline(nowMs, deadlineMs, idleServiceMs, sinceArrivalMs);
  }

  /** A request finished successfully after {@code latencyMs}. */
  public void recordCompletion(long nowMs, long latencyMs) {
    int i = bucket(nowMs);
    completions[i]++;
    latencySumMs[i] += Math.max(0, latencyMs);
  }

  /**
   * A request with a deadline completed after {@code latencyMs}: it tolerated a slowdown of {@code deadlineMs /
   * idleServiceMs} against its idle service time on this model (its deadline over what it would take alone on an idle
   * replica), and it was late if it took longer than its deadline. Ignored without a positive deadline or service time.
   */
  public void recordDeadline(long nowMs, double deadlineMs, double idleServiceMs, double latencyMs) {
    if (!(deadlineMs > 0 && idleServiceMs > 0)) return;
    int i = bucket(nowMs);
    slack[i][bin(deadlineMs / idleServiceMs)]++;
    slackSamples[i]++;
    if (latencyMs > deadlineMs) lateSamples[i]++;
  }

  /**
   * A request completed after {@code serviceMs} at its replica that would have taken {@code idleServiceMs} alone on an
   * idle replica: the window's slowdown ({@link #meanSlowdown}) is what the load made of its requests. Ignored without a
   * positive idle service time.
   */
  public void recordSlowdown(long nowMs, double idleServiceMs, double serviceMs) {
    if (!(idleServiceMs > 0) || serviceMs < 0) return;
    int i = bucket(nowMs);
    servedSumMs[i] += serviceMs;
    idleSumMs[i] += idleServiceMs;
  }

  /**
   * How much slower than alone on an idle replica the window's requests were served: their summed service time over
   * their summed idle service time (long requests weigh as much as they take); -1 when none was recorded.
   */
  public double meanSlowdown(long nowMs) {
    double served = 0, idle = 0;
    for (int i = 0; i < idleSumMs.length; i++) {
      if (live(i, nowMs)) {
        served += servedSumMs[i];
        idle += idleSumMs[i];
      }
    }
    return idle > 0 ? served / idle : -1;
  }

  static int bin(double factor) {
    if (!(factor > MIN_FACTOR)) return 0;
    int b = (int) Math.floor(Math.log(factor / MIN_FACTOR) / Math.log(STEP));
    return Math.max(0, Math.min(BINS - 1, b));
  }

  /** The lower edge of bin {@code b}: a request in it tolerated at least this slowdown. */
  static double lowerEdge(int b) {
    return MIN_FACTOR * Math.pow(STEP, b);
  }

  /** The tolerated slowdowns of the window's completed requests with deadlines, as quantiles. */
  public DeadlineSlack deadlines(long nowMs) {
    int[] sum = new int[BINS];
    long n = 0, late = 0;
    for (int i = 0; i < slack.length; i++) {
      if (!live(i, nowMs)) continue;
      n += slackSamples[i];
      late += lateSamples[i];
      for (int b = 0; b < BINS; b++) sum[b] += slack[i][b];
    }
    if (n == 0) return DeadlineSlack.NONE;
    double[] q = new double[DeadlineSlack.LEVELS.length];
    for (int k = 0; k < q.length; k++) {
      long rank = Math.max(1, (long) Math.ceil(DeadlineSlack.LEVELS[k] * n - 1e-9)); // nearest rank
      long seen = 0;
      for (int b = 0; b < BINS; b++) {
        seen += sum[b];
        if (seen >= rank) {
          q[k] = lowerEdge(b);
          break;
        }
      }
    }
    return new DeadlineSlack(n, q[0], q[1], q[2], q[3], q[4], late);
  }

  /** Arrivals per second over the window. */
  public double ratePerSecond(long nowMs) {
    return arrivals(nowMs) * 1000.0 / windowMs;
  }

  /**
   * Arrivals per second over the last {@code spanMs} (whole buckets, the current one included): the burst a 60 s
   * window shows only gradually.
   */
  public double recentRatePerSecond(long nowMs, long spanMs) {
    long k = Math.max(1, Math.min(arrivals.length, spanMs / bucketMs));
    long current = Math.floorDiv(nowMs, bucketMs);
    long n = 0;
    for (int i = 0; i < arrivals.length; i++) {
      long e = bucketEpoch[i];
      if (e != Long.MIN_VALUE && e <= current && e > current - k) n += arrivals[i];
    }
    return n * 1000.0 / (k * bucketMs);
  }

  public long arrivals(long nowMs) {
    return windowSum(arrivals, nowMs);
  }

  /** Arrivals within the window whose client named this model. */
  public long namedArrivals(long nowMs) {
    return windowSum(namedArrivals, nowMs);
  }

  private long windowSum(long[] perBucket, long nowMs) {
    long n = 0;
    for (int i = 0; i < perBucket.length; i++) if (live(i, nowMs)) n += perBucket[i];
    return n;
  }

  public long completions(long nowMs) {
    return windowSum(completions, nowMs);
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
      namedArrivals[i] = 0;
      completions[i] = 0;
      latencySumMs[i] = 0;
      java.util.Arrays.fill(slack[i], 0);
      slackSamples[i] = 0;
      lateSamples[i] = 0;
      servedSumMs[i] = 0;
      idleSumMs[i] = 0;
    }
    return i;
  }

  private boolean live(int i, long nowMs) {
    long current = Math.floorDiv(nowMs, bucketMs);
    long e = bucketEpoch[i];
    return e != Long.MIN_VALUE && e <= current && e > current - bucketEpoch.length;
  }
}
