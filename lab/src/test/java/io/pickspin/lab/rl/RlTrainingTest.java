package io.pickspin.lab.rl;

import io.pickspin.time.MillisClock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Catalog;
import io.pickspin.model.Tier;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.classify.KeywordClassifier;
import io.pickspin.routing.rl.ArrivalRateEstimator;
import io.pickspin.lab.rl.DoubleDqnTrainer;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.PoolStateView;
import io.pickspin.routing.rl.RlRoutingPolicy;
import io.pickspin.routing.rl.RouterState;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end through the environment on the DES's calibrated servers: a fast model (Qwen3-8B) of little use for hard
 * prompts and a slow, single-slot one (Qwen3-32B) that answers them well. The optimal router sends a hard prompt to the slow model while it is free and to the fast one when
 * the slow one is backed up (the queued request would miss its deadline). The trained policy, saved and loaded into the
 * product's router, must do both.
 */
class RlTrainingTest {
  static final Catalog CATALOG = DesFixture.catalog(64, 1);
  static final RouterState.Scales SCALES = new RouterState.Scales(10, 2000, 4, 4);

  @Test
  void learnsToUseTheSlowModelWhenFreeAndTheFastOneWhenItIsBackedUp(@TempDir Path dir) throws Exception {
    RoutingEnv env = new RoutingEnv(CATALOG, DesFixture.servers(64, 1), new DqnPolicy.Reward("hard", 0.5), 0);
    RouterState.Encoder encoder = new RouterState.Encoder(env.modelIds(), new int[] {64, 1}, SCALES, RouterState.Layout.CURRENT);
    Map<Tier, List<Workload.Prompt>> prompts = new HashMap<>();
    for (Tier t : Tier.values()) prompts.put(t, List.of(new Workload.Prompt("prove it", t, Tier.HIGH, new double[] {0.5, 1.0})));
    Workload.PromptPool pool = new Workload.PromptPool(prompts);
    double[] flat = new double[100];
    Arrays.fill(flat, 1.0);
    java.util.function.ToDoubleBiFunction<Integer, Integer> slow = (in, out) -> env.servers().idleServiceMs(1, in, out);
    DoubleDqnTrainer.Settings s = new DoubleDqnTrainer.Settings(
        List.of(32, 32), 0.5, 0.001, 32, 20_000, 500, 200, 1.0, 1.0, 0.05, 6000, 10.0, 17, 1);
    Random rng = new Random(23);
    int[] replicas = {1, 1};
    DqnPolicy policy;
    try (DoubleDqnTrainer trainer = new DoubleDqnTrainer(encoder.size(), 2, s)) {
      for (int ep = 0; ep < 16; ep++) {
        double rate = ep % 2 == 0 ? 0.5 : 20;
        Workload.Spec spec = new Workload.Spec(rate, flat, 10_000, new double[] {0, 0, 1}, 60_000, List.of(2.5), slow, 60_000);
        TrainRlRouter.runTrainingEpisode(env, encoder, trainer, Workload.generate(spec, pool, new int[][] {{100, 11}}, rng),
            env.newSimulator(replicas), 5000, 1);
      }
      assertTrue(trainer.updates() > 5000, "updates " + trainer.updates());
      policy = new DqnPolicy(List.of(new DqnPolicy.Action("fast", Tier.LOW, 64), new DqnPolicy.Action("slow", Tier.HIGH, 1)),
          SCALES, 500, env.reward(), trainer.exportOnline(), Map.of());
    }
    Path file = dir.resolve("policy.json");
    policy.write(file);
    DqnPolicy loaded = DqnPolicy.read(file);

    Map<String, PoolStateView.ModelLoad> loads = new HashMap<>();
    long[] now = {1_000_000};
    Clock clock = new MillisClock(() -> now[0]);
    RlRoutingPolicy router = new RlRoutingPolicy(CATALOG, loaded, KeywordClassifier.paper(),
        m -> loads.getOrDefault(m, new PoolStateView.ModelLoad(0, 0, 1)), new ArrivalRateEstimator(5000), clock, 0);
    RouteRequest hard = new RouteRequest("auto", "prove it", Profile.BALANCED, RouterKind.RL, 500);
    assertEquals("slow", router.decide(hard).model(), "idle slow model at a low rate");

    for (int i = 0; i < 400; i++) { // 20 requests per second for 20 s
      now[0] += 50;
      router.observeArrival();
    }
    loads.put("slow", new PoolStateView.ModelLoad(1, 3, 1));
    loads.put("fast", new PoolStateView.ModelLoad(2, 0, 1));
    assertEquals("fast", router.decide(hard).model(), "slow model backed up at a high rate");
  }
}
