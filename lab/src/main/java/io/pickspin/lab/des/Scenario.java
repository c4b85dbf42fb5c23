package io.pickspin.lab.des;

import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.rl.PoolStateView;
import java.time.Clock;
import java.util.Map;

/**
 * One deployment strategy to simulate.
 *
 * @param staticReplicas replicas per model that run the whole time (a static deployment: no scaler); null = Pick and
 *     Spin: every model starts at its warm-pool floor and the production scaling loop sizes it
 * @param explicitModel every request names this model; null = "auto" with {@code router} and {@code profile}
 * @param routers builds the routing policy of one run (a fresh service matrix per run)
 */
public record Scenario(
    String name,
    Map<String, Integer> staticReplicas,
    String explicitModel,
    RouterKind router,
    Profile profile,
    RouterFactory routers) {

  /** Builds a run's routing policy; the simulator passes its pools' live load and its virtual clock. */
  @FunctionalInterface
  public interface RouterFactory {
    RoutingPolicy create(PoolStateView pools, Clock clock);
  }

  public Scenario {
    staticReplicas = staticReplicas == null ? null : Map.copyOf(staticReplicas);
  }

  public boolean scales() {
    return staticReplicas == null;
  }
}
