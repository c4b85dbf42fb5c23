package io.pickspin.scaling;

import io.pickspin.CborSerializable;
import io.pickspin.model.ModelSpec;

/**
 * An operator's override of a model's replica bounds, set through the admin API and persisted by the supervisor. It
 * replaces the catalogue's min/max replicas and the tier's warm pool for that model.
 *
 * @param minReplicas never below this
 * @param maxReplicas never above this
 * @param warm warm-pool minimum: keeps this many replicas even when idle
 */
public record ReplicaLimits(int minReplicas, int maxReplicas, int warm) implements CborSerializable {
  public ReplicaLimits {
    if (minReplicas < 0 || maxReplicas < minReplicas) {
      throw new IllegalArgumentException(
          "need 0 <= min <= max replicas, got min " + minReplicas + ", max " + maxReplicas);
    }
    if (warm < 0) throw new IllegalArgumentException("warm must be >= 0, got " + warm);
  }

  /** The catalogue's bounds with the tier's warm pool. */
  public static ReplicaLimits of(ModelSpec spec, int tierWarm) {
    return new ReplicaLimits(spec.minReplicas(), spec.maxReplicas(), tierWarm);
  }

  /** The fewest replicas the policy may leave: the larger of min and warm, but never above max. */
  public int floor() {
    return Math.min(Math.max(minReplicas, warm), maxReplicas);
  }
}
