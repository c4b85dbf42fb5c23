package io.pickspin.scaling;

/**
 * How far the scaler's latency model is off for one pool, learned from the pool's own telemetry. The model predicts how
 * much slower than idle a replica serves at a given load (see {@link ScalingPolicy}); the pool measures it ({@link
 * Telemetry#meanSlowdown}). kappa is the ratio of the two excesses over 1, each averaged exponentially over time constant
 * {@code tau}, counting only readings taken after the pool's ready replicas stayed the same for a whole telemetry window
 * (a reading just after a change mixes two fleets and would feed a scale-up back into itself) and at a load where the
 * model predicts a measurable slowdown. The policy plans at sigma / kappa: when requests are twice as much slower than
 * idle as the model predicts at that load (they queue behind bursts the window's mean rate does not show, or their
 * prompts stall the batch more than the profile's TTFT says), the replicas are spread twice as far. kappa is 1 until
 * measured, and within [{@link #MIN_KAPPA}, {@link #MAX_KAPPA}].
 *
 * <p>Soft state: lost on a fail-over, it starts again from 1 (the uncalibrated model).
 *
 * @param measuredExcess averaged measured slowdown - 1
 * @param predictedExcess averaged predicted slowdown - 1, 0 before the first reading counted
 * @param ready the ready replicas of the last reading
 * @param readySinceMs since when the pool has had that many ready replicas
 * @param updatedMs when the averages last advanced
 */
public record SlowdownCalibration(
    double measuredExcess, double predictedExcess, int ready, long readySinceMs, long updatedMs) {
  public static final SlowdownCalibration NONE = new SlowdownCalibration(0, 0, -1, -1, -1);

  /**
   * kappa never packs replicas denser than the model: between bursts a pool often serves faster than the model says
   * (its prefill term counts a prompt's whole idle TTFT as stalling the batch), and planning on that leaves too little
   * room for the next burst: on the simulator's validation halves a lower bound of 0.25 or 0.75 lost success on the
   * bursty traces that 1 keeps. What the model misses most is queueing behind bursts, which makes requests slower than
   * predicted.
   */
  static final double MIN_KAPPA = 1, MAX_KAPPA = 4;

  /** A predicted excess below this is too small to compare with: the pool is nearly idle. */
  static final double MIN_PREDICTED_EXCESS = 0.05;

  /** The model's error factor (1: none known). */
  public double kappa() {
    if (!(predictedExcess > 0)) return 1;
    return Math.max(MIN_KAPPA, Math.min(MAX_KAPPA, measuredExcess / predictedExcess));
  }

  /**
   * After reading {@code t}, for which the model predicts a slowdown of {@code predicted} at the pool's ready replicas
   * (NaN when the model has no batch curve: the reading does not count).
   *
   * @param windowMs the telemetry window: how long the ready count must hold before a reading counts
   * @param tauMs time constant of the averages; 0 turns calibration off
   */
  public SlowdownCalibration after(Telemetry t, double predicted, long nowMs, long windowMs, long tauMs) {
    if (tauMs <= 0) return this;
    if (t.ready() != ready) return new SlowdownCalibration(measuredExcess, predictedExcess, t.ready(), nowMs, nowMs);
    boolean counts = t.ready() > 0 && t.meanSlowdown() > 0 && nowMs - readySinceMs >= windowMs
        && predicted - 1 >= MIN_PREDICTED_EXCESS;
    if (!counts) return new SlowdownCalibration(measuredExcess, predictedExcess, ready, readySinceMs, nowMs);
    double alpha = 1 - Math.exp(-(double) Math.max(0, nowMs - updatedMs) / tauMs);
    return new SlowdownCalibration(
        measuredExcess + alpha * (Math.max(0, t.meanSlowdown() - 1) - measuredExcess),
        predictedExcess + alpha * (predicted - 1 - predictedExcess),
        ready,
        readySinceMs,
        nowMs);
  }
}
