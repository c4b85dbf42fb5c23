package io.pickspin.routing.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.UnknownModelException;
import io.pickspin.routing.classify.KeywordClassifier;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RlRoutingPolicyTest {
  static final Catalog CATALOG = new Catalog(List.of(
      model("small", Tier.LOW, 16), model("medium", Tier.MEDIUM, 8), model("large", Tier.HIGH, 8)));

  static ModelSpec model(String id, Tier tier, int maxBatch) {
    return new ModelSpec(id, tier, id, 0.5, 1, 2.0, new LatencyProfile(50, 10, maxBatch, 0), 0, 2, List.of());
  }

  /**
   * A linear Q-function over the state (tier one-hot 0-2, inflight/queued of small 3-4, medium 5-6, large 7-8, rate 9,
   * deadline 10): large is worth 1.0 on a HIGH prompt and loses 1.0 per full batch queued on it and 0.5 per unit of
   * rate; medium is worth 0.6 flat; small 0.3 plus 0.4 on a LOW prompt.
   */
  static QNetwork handMade() {
    int n = RouterState.Layout.LOAD.size(3);
    float[] w = new float[3 * n];
    w[0 * n + 0] = 0.4f; // small: tier=low
    w[2 * n + 2] = 1.0f; // large: tier=high
    w[2 * n + 8] = -1.0f; // large: queued[large]
    w[2 * n + 9] = -0.5f; // large: rate
    return new QNetwork(List.of(TestPolicies.dense(n, 3, w, new float[] {0.3f, 0.6f, 0f})));
  }

  static DqnPolicy policy() {
    return new DqnPolicy(TestPolicies.ACTIONS, new RouterState.Scales(20, 2000, 4), 1500,
        new DqnPolicy.Reward("hard", 0.5), handMade(), Map.of());
  }

  final Map<String, PoolStateView.ModelLoad> loads = new HashMap<>();
  final MutableClock clock = new MutableClock();

  RlRoutingPolicy router(DqnPolicy p, Catalog catalog) {
    return new RlRoutingPolicy(catalog, p, KeywordClassifier.paper(), m -> loads.getOrDefault(m, PoolStateView.ModelLoad.IDLE),
        new ArrivalRateEstimator(5000), clock, 0);
  }

  static RouteRequest auto(String prompt) {
    return new RouteRequest("auto", prompt, Profile.BALANCED, RouterKind.RL, 0);
  }

  @Test
  void followsTheLoadedQValues() {
    RlRoutingPolicy r = router(policy(), CATALOG);
    RouteDecision hard = r.decide(auto("Prove that there are infinitely many primes"));
    assertEquals(new RouteDecision("large", Tier.HIGH, "rl", List.of("medium", "small")), hard);
    // what is -> LOW: small 0.7, medium 0.6, large ~0 -> small first
    assertEquals(List.of("small", "medium", "large"), order(r.decide(auto("What is the capital of France?"))));
    // a full batch queued on each large replica (2 x 8 = 16 queued) costs the large model 1.0
    loads.put("large", new PoolStateView.ModelLoad(16, 16, 2));
    clock.advance(60_000); // let the rate estimate fall back to ~0
    assertEquals(List.of("medium", "small", "large"), order(r.decide(auto("Prove it"))));
  }

  @Test
  void risingArrivalRateMovesHardPromptsOffTheLargeModel() {
    RlRoutingPolicy r = router(policy(), CATALOG);
    assertEquals("large", r.decide(auto("derive the formula")).model());
    // 100 requests per second for 20 s: rate feature -> 5 (clipped at 4), large's Q drops below medium's 0.6
    for (int i = 0; i < 2000; i++) {
      clock.advance(10);
      r.decide(new RouteRequest("small", "x", Profile.BALANCED, RouterKind.RL, 0));
    }
    assertEquals(100, r.estimatedRatePerSecond(), 10);
    assertEquals("medium", r.decide(auto("derive the formula")).model());
  }

  @Test
  void namedModelsAreExplicitAndUnknownOnesRejected() {
    RlRoutingPolicy r = router(policy(), CATALOG);
    assertEquals(new RouteDecision("medium", Tier.MEDIUM, "explicit", List.of()),
        r.decide(new RouteRequest("medium", "prove", Profile.BALANCED, RouterKind.RL, 0)));
    assertThrows(UnknownModelException.class,
        () -> r.decide(new RouteRequest("gpt-9", "", Profile.BALANCED, RouterKind.RL, 0)));
  }

  @Test
  void actionsMapToTheCatalogueByTierWhenIdsDiffer() {
    Catalog other = new Catalog(List.of(model("demo-small", Tier.LOW, 16), model("demo-large", Tier.HIGH, 8)));
    RlRoutingPolicy r = router(policy(), other);
    // medium is absent: its action goes to the nearest larger tier's default
    assertEquals(List.of("demo-small", "demo-large", "demo-large"), r.actionModels());
    RouteDecision d = r.decide(auto("What is 2+2"));
    assertEquals("demo-small", d.model());
    assertEquals(List.of("demo-large"), d.fallbacks());
  }

  /**
   * The shipped policy is trained on the DES fleet (qwen3-8b/14b/32b): the demo node's catalogue has none of those ids,
   * so each action must bind to the demo model of its tier, one model per action.
   */
  @Test
  void theShippedPolicyBindsToTheDemoCatalogueByTier() throws Exception {
    DqnPolicy shipped = DqnPolicy.fromClasspath("pickspin/rl/policy.json");
    assertEquals(List.of(Tier.LOW, Tier.MEDIUM, Tier.HIGH), shipped.actions().stream().map(DqnPolicy.Action::tier).toList());
    Catalog demo = new Catalog(List.of(
        model("demo-small", Tier.LOW, 16), model("demo-medium", Tier.MEDIUM, 8), model("demo-large", Tier.HIGH, 8)));
    RlRoutingPolicy r = router(shipped, demo);
    assertEquals(List.of("demo-small", "demo-medium", "demo-large"), r.actionModels());
    RouteDecision d = r.decide(auto("Prove that there are infinitely many primes"));
    assertEquals("rl", d.router());
    assertEquals(3, 1 + d.fallbacks().size(), "the other two demo models follow as fallbacks");
  }

  @Test
  void loadsThePolicyNamedInSettings(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("policy.json");
    policy().write(file);
    RlSettings s = new RlSettings("pickspin/rl/none.json", file.toString(), 0, Duration.ofSeconds(5));
    RlRoutingPolicy r = RlRoutingPolicy.fromSettings(CATALOG, s, KeywordClassifier.paper(), m -> PoolStateView.ModelLoad.IDLE, clock);
    assertEquals("large", r.decide(auto("critique this essay")).model());
    assertEquals(1500, r.policy().defaultDeadlineMs());
  }

  @Test
  void selectingPolicySendsOnlyRlAutoRequestsToTheRlRouter() {
    RlRoutingPolicy rl = router(policy(), CATALOG);
    RoutingPolicy others = req -> new RouteDecision("small", Tier.LOW, "keyword", List.of());
    RlSelectingPolicy p = new RlSelectingPolicy(others, rl, RouterKind.RL);
    assertEquals("rl", p.decide(new RouteRequest("auto", "prove", Profile.BALANCED, null, 0)).router());
    assertEquals("keyword", p.decide(new RouteRequest("auto", "prove", Profile.BALANCED, RouterKind.KEYWORD, 0)).router());
    RlSelectingPolicy hybridDefault = new RlSelectingPolicy(others, rl, RouterKind.HYBRID);
    assertEquals("keyword", hybridDefault.decide(new RouteRequest("auto", "prove", Profile.BALANCED, null, 0)).router());
    assertEquals("rl", hybridDefault.decide(auto("prove")).router());
  }

  @Test
  void loadBoardFeedsTheRouterWhatThePoolsPublish() {
    PoolLoadBoard board = new PoolLoadBoard();
    RlRoutingPolicy r = new RlRoutingPolicy(CATALOG, policy(), KeywordClassifier.paper(), board,
        new ArrivalRateEstimator(5000), clock, 0);
    assertEquals("large", r.decide(auto("prove it")).model());
    board.update("large", new PoolStateView.ModelLoad(16, 16, 2));
    assertEquals(PoolStateView.ModelLoad.IDLE, board.load("unknown"));
    assertEquals("medium", r.decide(auto("prove it")).model());
  }

  static List<String> order(RouteDecision d) {
    List<String> l = new java.util.ArrayList<>();
    l.add(d.model());
    l.addAll(d.fallbacks());
    return l;
  }

  static final class MutableClock extends Clock {
    private long ms = 1_000_000;

    void advance(long d) {
      ms += d;
    }

    @Override
    public long millis() {
      return ms;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(ms);
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
