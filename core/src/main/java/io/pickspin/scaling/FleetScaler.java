package io.pickspin.scaling;

import io.pickspin.model.ModelSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The scaling loop of a whole fleet without persistence: one {@link ModelScaler} per model over one
 * {@link ScalingPolicy}, each tick planned with the {@link Consolidator}'s advice over every model's telemetry. The
 * simulators (the discrete-event one and the RL router's environment) drive it in virtual time and carry the
 * decisions out themselves; the supervisor takes the same steps but persists each decision first.
 */
public final class FleetScaler {
  private final ScalingPolicy policy;
  private final Consolidator consolidator;
  private final Map<String, ModelScaler> scalers = new LinkedHashMap<>();
  /** The consolidation advice of the last tick, per model (a nudge between ticks reuses it). */
  private final Map<String, ScalingPolicy.Advice> advice = new LinkedHashMap<>();

  public FleetScaler(ScalingPolicy policy) {
    this.policy = policy;
    this.consolidator = new Consolidator(policy);
  }

  public ScalingPolicy policy() {
    return policy;
  }

  /** Starts scaling {@code spec} from {@code initialReplicas}; ticks visit models in the order they were added. */
  public ModelScaler add(ModelSpec spec, int initialReplicas, long nowMs) {
    ModelScaler s = new ModelScaler(policy, spec, initialReplicas, nowMs);
    if (scalers.putIfAbsent(spec.id(), s) != null) throw new IllegalArgumentException(spec.id() + " is scaled already");
    return s;
  }

  /**
   * One tick: the fleet's consolidation advice from every model's reading, then each model's decision in order.
   *
   * @param telemetry a reading of every model added
   * @return the changes to carry out, already reflected in each scaler's desired count
   */
  public List<ScaleDecision> tick(Map<String, Telemetry> telemetry, long nowMs) {
    List<Consolidator.Pool> readings = new ArrayList<>();
    for (ModelScaler s : scalers.values()) {
      Telemetry t = telemetry.get(s.spec().id());
      if (t == null) throw new IllegalArgumentException("no reading of " + s.spec().id());
      readings.add(new Consolidator.Pool(s.spec(), t, s.memory()));
    }
    advice.clear();
    advice.putAll(consolidator.advise(readings));
    List<ScaleDecision> decisions = new ArrayList<>();
    for (ModelScaler s : scalers.values()) nudge(s.spec().id(), telemetry.get(s.spec().id()), nowMs).ifPresent(decisions::add);
    return decisions;
  }

  /** One model's step between ticks (a pool that holds a request with nothing free), with the last tick's advice. */
  public Optional<ScaleDecision> nudge(String model, Telemetry telemetry, long nowMs) {
    return scalers.get(model).tick(telemetry, advice(model), nowMs);
  }

  /** The last tick's consolidation advice for {@code model}. */
  public ScalingPolicy.Advice advice(String model) {
    return advice.getOrDefault(model, ScalingPolicy.Advice.NONE);
  }
}
