package io.pickspin.scaling;

import io.pickspin.CborSerializable;

/**
 * Everything a scaling decision was computed from, persisted with it.
 *
 * @param telemetry the pool's reading
 * @param latencyMs latency W used (measured mean, or the profile's estimate when nothing completed yet)
 * @param perReplicaConcurrency c: requests one replica is planned to hold at once (the target concurrency at the
 *     latency slack, or the profile's max batch; see ScalingPolicy)
 * @param demand lambda x W: requests in the system by Little's law
 * @param needed replicas the load asks for before clamping: max(ceil(demand / c + prefill), backlog), see
 *     ScalingPolicy
 * @param neededWithHeadroom what a scale-down would keep: max(ceil((demand / c + prefill) x (1 + headroom)), backlog)
 * @param floor lower clamp: warm pool / model minimum
 * @param ceiling upper clamp: model maximum
 * @param latencySlack sigma the replicas were planned at: from the pool's deadlines (see ScalingSettings.Slo), else
 *     the configured latency slack
 * @param consolidatedInto the warm model that absorbs this model's traffic while it is at zero, or null
 * @param absorbing replicas this model needs to absorb other models' traffic as well (0: it absorbs none)
 */
public record ScalingInputs(
    Telemetry telemetry,
    double latencyMs,
    int perReplicaConcurrency,
    double demand,
    int needed,
    int neededWithHeadroom,
    int floor,
    int ceiling,
    double latencySlack,
    String consolidatedInto,
    int absorbing)
    implements CborSerializable {

  /** Inputs without SLO-driven slack or consolidation. */
  public ScalingInputs(
      Telemetry telemetry,
      double latencyMs,
      int perReplicaConcurrency,
      double demand,
      int needed,
      int neededWithHeadroom,
      int floor,
      int ceiling) {
    this(telemetry, latencyMs, perReplicaConcurrency, demand, needed, neededWithHeadroom, floor, ceiling, 0, null, 0);
  }
}
