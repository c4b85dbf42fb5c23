package io.pickspin.scaling;

import io.pickspin.model.ModelSpec;
import java.util.Optional;

/**
 * The scaling loop for one model without persistence: evaluate, then apply the decision to the memory at once. The
 * simulator drives one per model in virtual time; the supervisor does the same steps but persists each decision before
 * it applies it.
 */
public final class ModelScaler {
  private final ScalingPolicy policy;
  private final ModelSpec spec;
  private ModelMemory memory;
  private ScalingPolicy.Watch watch;
  private int lastTarget;

  public ModelScaler(ScalingPolicy policy, ModelSpec spec, int initialReplicas, long nowMs) {
    this.policy = policy;
    this.spec = spec;
    this.memory = ModelMemory.initial(initialReplicas);
    this.watch = ScalingPolicy.Watch.startedAt(nowMs);
    this.lastTarget = initialReplicas;
  }

  /** Plans with the pool's telemetry; returns the change to carry out, already reflected in {@link #desired()}. */
  public Optional<ScaleDecision> tick(Telemetry telemetry, long nowMs) {
    return tick(telemetry, ScalingPolicy.Advice.NONE, nowMs);
  }

  /** As {@link #tick(Telemetry, long)} with the fleet's consolidation advice for this model. */
  public Optional<ScaleDecision> tick(Telemetry telemetry, ScalingPolicy.Advice advice, long nowMs) {
    ScalingPolicy.Evaluation e = policy.evaluate(spec, telemetry, memory, watch, nowMs, advice);
    watch = e.watch();
    lastTarget = e.target();
    e.decision().ifPresent(d -> memory = memory.after(d));
    return e.decision();
  }

  public void setLimits(ReplicaLimits limits) {
    memory = memory.withLimits(limits);
  }

  public int desired() {
    return memory.desired();
  }

  /** The unthrottled target of the last tick. */
  public int lastTarget() {
    return lastTarget;
  }

  /** The policy's soft state after the last tick. */
  public ScalingPolicy.Watch watch() {
    return watch;
  }

  public ModelMemory memory() {
    return memory;
  }

  public ModelSpec spec() {
    return spec;
  }
}
