package io.pickspin.sim.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.routing.matrix.TierFit;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.PoolStateView;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoutingEnvTest {
  static final Catalog CATALOG = new Catalog(List.of(
      new ModelSpec("fast", Tier.LOW, "fast", 0.5, 1, 1, new LatencyProfile(10, 1, 64, 0), 0, 4, List.of()),
      new ModelSpec("slow", Tier.HIGH, "slow", 1.0, 2, 1, new LatencyProfile(100, 10, 1, 0), 0, 4, List.of())));

  static RoutingEnv env(String mode) {
    return new RoutingEnv(CATALOG, TierFit.defaults(), new DqnPolicy.Reward(mode, 0.5), 0);
  }

  static Workload.Arrival arrival(long id, double t, Tier tier, long deadline) {
    return new Workload.Arrival(id, t, new Workload.Prompt("p", tier, tier), 11, deadline);
  }

  @Test
  void utilityIsQualityTimesTierFitAndTheLargeModelIsThePeak() {
    RoutingEnv e = env("hard");
    assertEquals(1, e.peakModel());
    assertEquals(0.5 * 0.3, e.utility(0, Tier.HIGH), 1e-12);
    assertEquals(0.5, e.utility(0, Tier.LOW), 1e-12);
    assertEquals(1.0, e.utility(1, Tier.MEDIUM), 1e-12);
    assertEquals(2 * 1 + 3 * 2, e.gpus(new int[] {2, 3}));
  }

  @Test
  void rewardsFollowTheDeadlineMode() {
    Workload.Arrival a = arrival(0, 0, Tier.HIGH, 1000);
    assertEquals(1.0, env("hard").reward(1, a, true, 900), 1e-12);
    assertEquals(-0.5, env("hard").reward(1, a, true, 1100), 1e-12);
    assertEquals(-0.5, env("hard").reward(1, a, false, 300), 1e-12);
    assertEquals(0.75, env("soft").reward(1, a, true, 1250), 1e-12);
    assertEquals(0.0, env("soft").reward(1, a, false, 300), 1e-12);
  }

  @Test
  void overloadedModelTurnsAwayWhatCannotFinishInTime() {
    RoutingEnv e = env("hard");
    // five requests at once to the one-slot slow model: 200 ms each, deadline 500 ms
    List<Workload.Arrival> burst = new ArrayList<>();
    for (int i = 0; i < 5; i++) burst.add(arrival(i, 0, Tier.HIGH, 500));
    List<ServingMetrics.Served> served = e.run(burst, e.newSimulator(new int[] {0, 1}), a -> 1);
    assertEquals(5, served.size());
    // the first finishes at 200, the second at 400; the rest leave once less than 200 ms of budget is left (at 300)
    assertEquals(2, served.stream().filter(ServingMetrics.Served::onTime).count());
  }

  @Test
  void routersSeeTheQueuesAtTheirArrivalTime() {
    RoutingEnv e = env("hard");
    ServingSimulator sim = e.newSimulator(new int[] {1, 1});
    PoolStateView view = e.poolView(sim);
    List<PoolStateView.ModelLoad> seen = new ArrayList<>();
    List<Workload.Arrival> arrivals = List.of(arrival(0, 0, Tier.HIGH, 5000), arrival(1, 50, Tier.HIGH, 5000),
        arrival(2, 60, Tier.HIGH, 5000), arrival(3, 250, Tier.HIGH, 5000));
    e.run(arrivals, sim, a -> {
      seen.add(view.load("slow"));
      return 1;
    });
    assertEquals(List.of(new PoolStateView.ModelLoad(0, 0, 1), new PoolStateView.ModelLoad(1, 0, 1),
        new PoolStateView.ModelLoad(1, 1, 1), new PoolStateView.ModelLoad(1, 1, 1)), seen);
    assertTrue(RoutingEnv.clock(sim).millis() >= 250);
  }
}
