package io.pickspin.scaling;

import io.pickspin.CborSerializable;

/**
 * How much slowdown the requests a pool completed within the telemetry window tolerated: for each request with a
 * deadline, f = deadline / its idle service time on the model; here the quantiles of f at the {@link #LEVELS}, each
 * rounded down to the bin of {@link ArrivalStats} (so a little tighter than measured). A request with f below 1 could
 * not be on time even on an idle replica.
 *
 * @param samples requests with a deadline in the window (0: none, and every quantile is 0)
 * @param late how many of them completed after their deadline
 */
public record DeadlineSlack(long samples, double p01, double p05, double p10, double p25, double p50, long late)
    implements CborSerializable {
  /** The quantile levels kept. */
  static final double[] LEVELS = {0.01, 0.05, 0.10, 0.25, 0.50};

  public static final DeadlineSlack NONE = new DeadlineSlack(0, 0, 0, 0, 0, 0, 0);

  /** The share of the window's requests with a deadline that met it; NaN without any. */
  public double onTimeShare() {
    return samples == 0 ? Double.NaN : 1 - (double) late / samples;
  }

  /**
   * The tolerated slowdown at quantile {@code level}, interpolated linearly between the kept levels (below 1 %: the
   * 1 % quantile; above the median: the median, i.e. conservatively).
   */
  public double quantile(double level) {
    double[] v = {p01, p05, p10, p25, p50};
    if (level <= LEVELS[0]) return v[0];
    for (int i = 1; i < LEVELS.length; i++) {
      if (level <= LEVELS[i]) {
        double w = (level - LEVELS[i - 1]) / (LEVELS[i] - LEVELS[i - 1]);
        return v[i - 1] + w * (v[i] - v[i - 1]);
      }
    }
    return v[v.length - 1];
  }
}
