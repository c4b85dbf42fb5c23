package io.pickspin.lab.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Tier;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.PoolStateView;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoutingEnvTest {
  static RoutingEnv env(String mode, double regretWeight, int slowBatch) {
    return new RoutingEnv(DesFixture.catalog(64, slowBatch), DesFixture.servers(64, slowBatch),
        new DqnPolicy.Reward(mode, 0.5), regretWeight);
  }

  static Workload.Arrival arrival(long id, double t, long deadline) {
    return new Workload.Arrival(id, t, new Workload.Prompt("p", Tier.HIGH, Tier.HIGH, new double[] {0.6, 0.8}), 500, 100, deadline);
  }

  @Test
  void theLargeModelIsThePeakAndGpusCountPerReplica() {
    RoutingEnv e = env("hard", 0, 1);
    assertEquals(1, e.peakModel());
    assertEquals(2 * 1 + 3 * 2, e.gpus(new int[] {2, 3}));
  }

  @Test
  void rewardsFollowTheDeadlineModeAndTheShaping() {
    Workload.Arrival a = arrival(0, 0, 1000);
    assertEquals(0.8, env("hard", 0, 1).reward(1, a, true, 900), 1e-12);
    assertEquals(0.6, env("hard", 0, 1).reward(0, a, true, 900), 1e-12);
    assertEquals(-0.5, env("hard", 0, 1).reward(1, a, true, 1100), 1e-12);
    assertEquals(-0.5, env("hard", 0, 1).reward(1, a, false, 300), 1e-12);
    assertEquals(0.6, env("soft", 0, 1).reward(1, a, true, 1250), 1e-12);
    assertEquals(0.0, env("soft", 0, 1).reward(1, a, false, 300), 1e-12);
    // shaping: 1 - k x (u_peak - u_m) on time; the metrics still credit the raw utility
    RoutingEnv shaped = env("hard", 2, 1);
    assertEquals(1.0, shaped.reward(1, a, true, 900), 1e-12);
    assertEquals(1 - 2 * 0.2, shaped.reward(0, a, true, 900), 1e-12);
    assertEquals(-0.5, shaped.reward(0, a, true, 1100), 1e-12);
    assertEquals((1 - 2 * 0.2) * 0.75, new RoutingEnv(DesFixture.catalog(64, 1), DesFixture.servers(64, 1),
        new DqnPolicy.Reward("soft", 0.5), 2).reward(0, a, true, 1250), 1e-12);
    assertEquals(0.6, shaped.credit(0, a, true, 900), 1e-12);
    assertEquals(0.0, shaped.credit(0, a, true, 1100), 1e-12);
  }

  @Test
  void aGpuWeightChargesTheChoicesGpuSecondsOnTimeOrLate() {
    Workload.Arrival a = arrival(0, 0, 1000);
    RoutingEnv plain = new RoutingEnv(DesFixture.catalog(64, 1), DesFixture.servers(64, 1), new DqnPolicy.Reward("hard", 0.5), 2);
    RoutingEnv charged = new RoutingEnv(DesFixture.catalog(64, 1), DesFixture.servers(64, 1), new DqnPolicy.Reward("hard", 0.5), 2, 3);
    // fast: 1 GPU, 64 slots; slow: 2 GPUs, 1 slot
    double fast = DesFixture.servers(64, 1).fullBatchServiceMs(0, 500, 100) / 64 / 1000.0;
    double slow = 2 * DesFixture.servers(64, 1).fullBatchServiceMs(1, 500, 100) / 1000.0;
    assertEquals(fast, charged.gpuSeconds(0, a), 1e-12);
    assertEquals(slow, charged.gpuSeconds(1, a), 1e-12);
    assertEquals(plain.reward(0, a, true, 900) - 3 * fast, charged.reward(0, a, true, 900), 1e-12);
    assertEquals(plain.reward(1, a, true, 900) - 3 * slow, charged.reward(1, a, true, 900), 1e-12);
    assertEquals(-0.5 - 3 * slow, charged.reward(1, a, true, 1100), 1e-12);
    assertEquals(plain.credit(1, a, true, 900), charged.credit(1, a, true, 900), 1e-12, "the metrics credit utility only");
  }

  @Test
  void overloadedModelTurnsAwayWhatCannotFinishInTime() {
    RoutingEnv e = env("hard", 0, 1);
    double service = e.servers().idleServiceMs(1, 500, 100);
    long deadline = Math.round(2.5 * service);
    // five requests at once to the one-slot slow model: two fit in the deadline, the others give up while queued
    List<Workload.Arrival> burst = new ArrayList<>();
    for (int i = 0; i < 5; i++) burst.add(arrival(i, 0, deadline));
    List<ServingMetrics.Served> served = e.run(burst, e.newSimulator(new int[] {0, 1}), a -> RoutingEnv.Choice.only(1));
    assertEquals(5, served.size());
    assertEquals(2, served.stream().filter(ServingMetrics.Served::onTime).count());
    assertEquals(2 * 0.8, served.stream().mapToDouble(ServingMetrics.Served::credit).sum(), 1e-9);
    assertTrue(served.stream().allMatch(s -> s.peakUtility() == 0.8));
  }

  @Test
  void routersSeeTheQueuesAtTheirArrivalTime() {
    RoutingEnv e = env("hard", 0, 1);
    ServingSimulator sim = e.newSimulator(new int[] {1, 1});
    PoolStateView view = e.poolView(sim);
    double service = e.servers().idleServiceMs(1, 500, 100);
    List<PoolStateView.ModelLoad> seen = new ArrayList<>();
    List<Workload.Arrival> arrivals = List.of(arrival(0, 0, 100_000), arrival(1, service * 0.25, 100_000),
        arrival(2, service * 0.3, 100_000), arrival(3, service * 1.5, 100_000));
    e.run(arrivals, sim, a -> {
      seen.add(view.load("slow"));
      return RoutingEnv.Choice.only(1);
    });
    assertEquals(List.of(new PoolStateView.ModelLoad(0, 0, 1), new PoolStateView.ModelLoad(1, 0, 1),
        new PoolStateView.ModelLoad(1, 1, 1), new PoolStateView.ModelLoad(1, 1, 1)), seen);
    assertTrue(RoutingEnv.clock(sim).millis() >= service * 1.5);
  }
}
