package io.pickspin.pool;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.pickspin.CborSerializable;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.scaling.driver.ReplicaPhase;
import java.util.List;

/**
 * A model pool's state for status pages and tests.
 *
 * @param desired replicas the scaling supervisor last asked for, -1 if not told yet
 * @param maxReplicas the most replicas the model may get
 * @param inFlight leased requests
 * @param held requests in the hold queue
 */
public record PoolStatus(String model, int desired, int maxReplicas, int inFlight, int held, List<ReplicaView> replicas)
    implements CborSerializable {

  /**
   * One replica as the pool sees it.
   *
   * @param phase the driver's phase
   * @param health the pool's own verdict from outcomes and health checks
   * @param inRotation READY, healthy enough, not drained and with an address: gets new leases
   * @param mode an operator's drain or pin (admin API)
   */
  public record ReplicaView(
      String id,
      ReplicaPhase phase,
      PoolCore.Health health,
      boolean inRotation,
      int inFlight,
      BackendEndpoint endpoint,
      PoolCore.Mode mode)
      implements CborSerializable {
    @JsonCreator
    public ReplicaView {
      if (mode == null) mode = PoolCore.Mode.NORMAL;
    }

    /** A replica no operator drained or pinned. */
    public ReplicaView(
        String id, ReplicaPhase phase, PoolCore.Health health, boolean inRotation, int inFlight, BackendEndpoint endpoint) {
      this(id, phase, health, inRotation, inFlight, endpoint, PoolCore.Mode.NORMAL);
    }
  }

  public long readyCount() {
    return replicas.stream().filter(ReplicaView::inRotation).count();
  }
}
