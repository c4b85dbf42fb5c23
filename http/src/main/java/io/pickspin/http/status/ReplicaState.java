package io.pickspin.http.status;

import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolStatus;
import io.pickspin.scaling.driver.ReplicaPhase;
import java.util.Locale;

/**
 * The one state a replica is shown and counted in (status page, admin API, the {@code pickspin_replicas} metric),
 * from the driver's phase, the pool's health verdict and an operator's drain.
 */
public enum ReplicaState {
  /** Asked for, not serving yet (or READY without an address yet). */
  STARTING,
  /** In rotation: gets new leases. */
  READY,
  /** Being removed by the driver, or drained by an operator: finishes what it has, takes nothing new. */
  DRAINING,
  /** Crashed, or taken out of rotation by the pool after faults or failed health checks. */
  FAILED;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static ReplicaState of(PoolStatus.ReplicaView r) {
    if (r.mode() == PoolCore.Mode.DRAINED || r.phase() == ReplicaPhase.DRAINING) return DRAINING;
    if (r.phase() == ReplicaPhase.FAILED || r.health() == PoolCore.Health.FAILED) return FAILED;
    if (r.phase() == ReplicaPhase.READY && r.inRotation()) return READY;
    return STARTING;
  }
}
