package io.pickspin.scaling;

/**
 * A pool's arrival rate averaged over a long time constant: the range its workload usually moves in. The scale-up's
 * burst rule compares the last seconds' rate with it ({@link ScalingSettings.Burst}): a spike within that range is
 * queued through, a rate well above it (a ramp, a cold pool waking) is met at once.
 *
 * <p>It starts from zero, so a new pool meets every burst at once until its average has grown. Soft state: lost on a
 * fail-over, it starts from zero again.
 *
 * @param rate requests per second, averaged exponentially over time
 * @param updatedMs when the average last advanced, -1 before the first reading
 */
public record LongRunRate(double rate, long updatedMs) {
  public static final LongRunRate NONE = new LongRunRate(0, -1);

  /** After a reading of {@code ratePerSecond} (the telemetry window's rate), averaged over time constant {@code tauMs}. */
  public LongRunRate after(double ratePerSecond, long nowMs, long tauMs) {
    if (tauMs <= 0) return this;
    long elapsedMs = updatedMs < 0 ? 0 : Math.max(0, nowMs - updatedMs);
    double alpha = 1 - Math.exp(-(double) elapsedMs / tauMs);
    return new LongRunRate(rate + alpha * (ratePerSecond - rate), nowMs);
  }

  /** Whether {@code recentRate} is at least {@code factor} times the long-run rate (always, with factor 0). */
  public boolean exceeds(double recentRate, double factor) {
    return factor <= 0 || recentRate >= factor * rate;
  }
}
