package io.pickspin.routing.rl;

import io.pickspin.pool.PoolStatus;
import io.pickspin.scaling.driver.ReplicaPhase;

/**
 * The live load of the model pools that the RL router reads on every decision. The product backs it with the pool
 * actors' status; the simulator with its virtual servers. Implementations must be cheap and thread-safe (a snapshot
 * that is a little stale is fine: the policy was trained on the same kind of reading).
 */
@FunctionalInterface
public interface PoolStateView {
  /** The current load of a model, or {@link ModelLoad#IDLE} when nothing is known about it. */
  ModelLoad load(String model);

  /**
   * One model's load.
   *
   * @param inFlight requests being served (leased to a replica)
   * @param queued requests waiting for a replica slot (the pool's hold queue)
   * @param replicas replicas in rotation; the capacity the load is measured against is {@code replicas x maxBatch}
   * @param starting replicas asked for that are not serving yet (a scale-up on its way)
   */
  record ModelLoad(int inFlight, int queued, int replicas, int starting) {
    public static final ModelLoad IDLE = new ModelLoad(0, 0, 1);

    public ModelLoad {
      if (inFlight < 0 || queued < 0 || replicas < 0 || starting < 0)
        throw new IllegalArgumentException("load counts must be >= 0");
    }

    /** A pool with no replica starting. */
    public ModelLoad(int inFlight, int queued, int replicas) {
      this(inFlight, queued, replicas, 0);
    }

    public static ModelLoad of(PoolStatus status) {
      int starting = (int) status.replicas().stream().filter(r -> r.phase() == ReplicaPhase.STARTING).count();
      return new ModelLoad(status.inFlight(), status.held(), (int) status.readyCount(), starting);
    }
  }
}
