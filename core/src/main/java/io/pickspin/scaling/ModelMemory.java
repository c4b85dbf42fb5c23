package io.pickspin.scaling;

import io.pickspin.CborSerializable;

/**
 * What the scaling loop remembers about one model between ticks, and what survives a restart: the supervisor rebuilds
 * it from its journal. Times are ms (epoch or virtual), -1 when the thing never happened.
 *
 * @param desired replicas last asked of the driver
 * @param lastScaleUpMs when desired last went up
 * @param lastScaleDownMs when desired last went down
 * @param lastArrivalMs the latest request arrival known from a decision's inputs
 * @param limits an operator's override of the bounds, or null for the catalogue's
 */
public record ModelMemory(
    int desired, long lastScaleUpMs, long lastScaleDownMs, long lastArrivalMs, ReplicaLimits limits)
    implements CborSerializable {
  public static final long NEVER = -1;
  /** {@link #desired} of a model whose bounds an operator set before any decision. */
  public static final int NEVER_DECIDED = -1;

  /** A model the loop has not decided anything for yet, currently at {@code replicas}. */
  public static ModelMemory initial(int replicas) {
    return new ModelMemory(replicas, NEVER, NEVER, NEVER, null);
  }

  /** The cooldown clock: the last change in either direction, -1 if none. */
  public long lastChangeMs() {
    return Math.max(lastScaleUpMs, lastScaleDownMs);
  }

  /** The memory once {@code d} has been carried out. */
  public ModelMemory after(ScaleDecision d) {
    return new ModelMemory(
        d.to(),
        d.scalesUp() ? d.atMs() : lastScaleUpMs,
        d.scalesUp() ? lastScaleDownMs : d.atMs(),
        Math.max(lastArrivalMs, d.inputs().telemetry().lastArrivalMs()),
        limits);
  }

  public ModelMemory withLimits(ReplicaLimits l) {
    return new ModelMemory(desired, lastScaleUpMs, lastScaleDownMs, lastArrivalMs, l);
  }
}
