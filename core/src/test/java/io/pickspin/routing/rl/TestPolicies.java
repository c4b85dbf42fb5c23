package io.pickspin.routing.rl;

import io.pickspin.model.Tier;
import java.util.List;

/** Hand-made networks and actions for the RL inference tests. */
final class TestPolicies {
  private TestPolicies() {}

  static final List<DqnPolicy.Action> ACTIONS = List.of(
      new DqnPolicy.Action("small", Tier.LOW, 16), new DqnPolicy.Action("medium", Tier.MEDIUM, 8),
      new DqnPolicy.Action("large", Tier.HIGH, 8));

  static QNetwork.Dense dense(int in, int out, float[] weight, float[] bias) {
    return new QNetwork.Dense(in, out, weight, bias);
  }
}
