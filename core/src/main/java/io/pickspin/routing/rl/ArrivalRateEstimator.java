package io.pickspin.routing.rl;

/**
 * Arrival rate as an exponentially weighted moving average in continuous time: every arrival adds {@code 1/tau} and
 * the estimate decays by {@code exp(-dt/tau)} between readings. For Poisson arrivals of rate lambda the estimate has
 * mean lambda and relative noise {@code 1/sqrt(2 lambda tau)}, and it falls on its own when traffic stops, which a
 * count over a fixed window only does once the window has passed.
 *
 * <p>Time is passed in (milliseconds of a wall or virtual clock) so the simulator can drive it. Thread-safe: the
 * gateway records arrivals from many threads; readings that come with an older time than the last arrival (clocks
 * read on different threads) count as "now".
 */
public final class ArrivalRateEstimator {
  private final double tauMs;
  private double ratePerSecond;
  private long lastMs = Long.MIN_VALUE;

  /** @param timeConstantMs how far back the estimate effectively looks (its 1/e memory) */
  public ArrivalRateEstimator(double timeConstantMs) {
    if (!(timeConstantMs > 0)) throw new IllegalArgumentException("rate time constant must be > 0 ms");
    this.tauMs = timeConstantMs;
  }

  public synchronized void recordArrival(long nowMs) {
    decayTo(nowMs);
    ratePerSecond += 1000.0 / tauMs;
  }

  /** The estimated arrivals per second at {@code nowMs}; 0 before the first arrival. */
  public synchronized double ratePerSecond(long nowMs) {
    if (lastMs == Long.MIN_VALUE) return 0;
    return ratePerSecond * Math.exp(-Math.max(0, nowMs - lastMs) / tauMs);
  }

  public double timeConstantMs() {
    return tauMs;
  }

  private void decayTo(long nowMs) {
    if (lastMs == Long.MIN_VALUE) {
      lastMs = nowMs;
      return;
    }
    if (nowMs > lastMs) {
      ratePerSecond *= Math.exp(-(nowMs - lastMs) / tauMs);
      lastMs = nowMs;
    }
  }
}
