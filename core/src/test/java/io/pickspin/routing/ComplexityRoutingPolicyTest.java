package io.pickspin.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Tier;
import io.pickspin.pool.Outcome;
import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.rl.PoolStateView;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** End to end on the three-model catalogue with the shipped routing configuration and a scripted classifier. */
class ComplexityRoutingPolicyTest {
  /** Says HIGH for prompts containing "hard" (unsure, at 0.5, when they also contain "unsure"), LOW otherwise. */
  static final ComplexityClassifier SCRIPTED =
      new ComplexityClassifier() {
        @Override
        public Classification classify(String prompt) {
          float[] p =
              prompt.contains("unsure")
                  ? new float[] {0.2f, 0.3f, 0.5f}
                  : prompt.contains("hard") ? new float[] {0.1f, 0.1f, 0.8f} : new float[] {0.8f, 0.1f, 0.1f};
          return Classification.fromProbabilities(p, "classifier");
        }

        @Override
        public String name() {
          return "scripted";
        }
      };

  final ComplexityRoutingPolicy policy =
      ComplexityRoutingPolicy.create(
          TestCatalogs.threeTiers(), RoutingSettings.fromConfig(ConfigFactory.load().getConfig("pickspin.routing")), SCRIPTED);

  static RouteRequest auto(String prompt, Profile p, RouterKind k) {
    return new RouteRequest("auto", prompt, p, k, 0);
  }

  @Test
  void aNamedModelGoesToItself() {
    RouteDecision d = policy.decide(new RouteRequest("medium", "prove it", Profile.COST, RouterKind.HYBRID, 0));
    assertEquals(new RouteDecision("medium", Tier.MEDIUM, "explicit", List.of()), d);
    assertThrows(UnknownModelException.class, () -> policy.decide(new RouteRequest("gpt-9", "", null, null, 0)));
  }

  @Test
  void anEmbeddingsModelIsNeverAChoiceNorAFallbackForAuto() {
    List<io.pickspin.model.ModelSpec> models = new java.util.ArrayList<>(TestCatalogs.threeTiers().models());
    io.pickspin.model.ModelSpec cheap = TestCatalogs.model("embed", Tier.LOW, 1.0, 0, 1, 1, "vllm");
    models.add(0, new io.pickspin.model.ModelSpec(cheap.id(), cheap.tier(), cheap.servedName(), cheap.quality(), 0, 0,
        cheap.latency(), 0, 2, cheap.backends(), true));
    ComplexityRoutingPolicy withEmbeddings =
        ComplexityRoutingPolicy.create(new io.pickspin.model.Catalog(models),
            RoutingSettings.fromConfig(ConfigFactory.load().getConfig("pickspin.routing")), SCRIPTED);
    for (Profile p : Profile.values()) {
      for (String prompt : List.of("What is the capital of France?", "a hard question", "Prove that sqrt(2) is irrational.")) {
        RouteExplanation x = withEmbeddings.explain(auto(prompt, p, RouterKind.HYBRID));
        assertTrue(!x.decision().model().equals("embed") && !x.decision().fallbacks().contains("embed"), x.toString());
        assertTrue(!x.scores().containsKey("embed"), x.toString());
      }
    }
  }

  @Test
  void keywordRouterTiersAndTheProfileChooses() {
    RouteDecision easy = policy.decide(auto("What is the capital of France?", Profile.BALANCED, RouterKind.KEYWORD));
    assertEquals(new RouteDecision("small", Tier.LOW, "keyword", List.of("medium", "large")), easy);
    RouteDecision quality = policy.decide(auto("What is the capital of France?", Profile.QUALITY, RouterKind.KEYWORD));
    assertEquals("large", quality.model());
    RouteDecision hard = policy.decide(auto("Prove that sqrt(2) is irrational.", Profile.COST, RouterKind.KEYWORD));
    assertEquals(new RouteDecision("large", Tier.HIGH, "keyword", List.of("small", "medium")), hard);
    RouteDecision medium = policy.decide(auto("Translate to French: hello", Profile.COST, RouterKind.KEYWORD));
    assertEquals(Tier.MEDIUM, medium.tier());
    assertEquals("medium", medium.model());
  }

  @Test
  void classifierAndHybridRouters() {
    assertEquals(
        new RouteDecision("large", Tier.HIGH, "classifier", List.of("small", "medium")),
        policy.decide(auto("a hard question: what is x?", Profile.BALANCED, RouterKind.CLASSIFIER)));
    // hybrid: a confident classifier (HIGH at 0.8 >= 0.7) overrides the keyword match ("what is" -> LOW)
    assertEquals(
        new RouteDecision("large", Tier.HIGH, "hybrid/classifier", List.of("small", "medium")),
        policy.decide(auto("a hard question: what is x?", Profile.BALANCED, RouterKind.HYBRID)));
    // an unsure one (HIGH at 0.5) does not: the keyword match decides
    assertEquals(
        new RouteDecision("small", Tier.LOW, "hybrid/keyword", List.of("medium", "large")),
        policy.decide(auto("an unsure hard question: what is x?", Profile.BALANCED, RouterKind.HYBRID)));
    // no phrase: the classifier decides
    RouteDecision d = policy.decide(auto("a hard riddle", Profile.BALANCED, RouterKind.HYBRID));
    assertEquals("hybrid/classifier", d.router());
    assertEquals(Tier.HIGH, d.tier());
    assertEquals("large", d.model());
  }

  @Test
  void rlFallsBackToHybridAndSaysSo() {
    RouteDecision d = policy.decide(auto("a hard riddle", Profile.BALANCED, RouterKind.RL));
    assertEquals("rl->hybrid/classifier", d.router());
    assertEquals("large", d.model());
  }

  @Test
  void defaultsComeFromConfiguration() {
    // default router hybrid, default profile balanced
    RouteDecision d = policy.decide(new RouteRequest("auto", "a hard riddle", null, null, 0));
    assertEquals("hybrid/classifier", d.router());
    assertEquals("large", d.model());
  }

  @Test
  void withoutAClassifierTheKeywordRulesRunAndTheRouterFieldSaysSo() {
    ComplexityRoutingPolicy p =
        ComplexityRoutingPolicy.fromConfig(TestCatalogs.threeTiers(), ConfigFactory.load().getConfig("pickspin.routing"), null);
    assertEquals("classifier-unavailable/keyword", p.decide(auto("a hard riddle", Profile.COST, RouterKind.CLASSIFIER)).router());
    assertEquals("hybrid/keyword(no classifier)", p.decide(auto("a hard riddle", Profile.COST, RouterKind.HYBRID)).router());
  }

  @Test
  void aDeadlineThatOnlyASmallerModelMeetsDowngrades() {
    // 256 expected tokens: small 2650 ms, medium 5300 ms, large 7950 ms
    RouteDecision d = policy.decide(new RouteRequest("auto", "a hard riddle", Profile.BALANCED, RouterKind.CLASSIFIER, 3000));
    assertEquals(Tier.HIGH, d.tier());
    assertEquals("small", d.model());
    assertEquals(List.of("medium", "large"), d.fallbacks());
  }

  @Test
  void telemetryChangesLaterDecisions() {
    assertEquals("large", policy.decide(auto("What is 2+2?", Profile.QUALITY, RouterKind.KEYWORD)).model());
    for (int i = 0; i < 4; i++) {
      policy.record("large", "vllm", Outcome.failure(10, "backend-5xx", true));
      policy.record("large", "tgi", Outcome.failure(10, "backend-5xx", true));
    }
    assertEquals("medium", policy.decide(auto("What is 2+2?", Profile.QUALITY, RouterKind.KEYWORD)).model());
  }

  @Test
  void shortAnswersFromABiggerModelDoNotDrawEasyPromptsToIt() {
    // the gateway reports no output length: medium answering quickly says nothing about the same request on small
    for (int i = 0; i < 20; i++) policy.record("medium", "vllm", Outcome.success(150, 150, 0));
    RouteDecision d = policy.decide(auto("What is 2+2?", Profile.BALANCED, RouterKind.KEYWORD));
    assertEquals("small", d.model());
    assertNull(d.reason());
    assertEquals("small", policy.decide(auto("What is 2+2?", Profile.SPEED, RouterKind.KEYWORD)).model());
  }

  /** Loads that tests set per model; models not set are idle with one replica. */
  final Map<String, PoolStateView.ModelLoad> loads = new HashMap<>();

  ComplexityRoutingPolicy loaded() {
    return ComplexityRoutingPolicy.create(
        TestCatalogs.threeTiers(), RoutingSettings.fromConfig(ConfigFactory.load().getConfig("pickspin.routing")), SCRIPTED,
        m -> loads.getOrDefault(m, PoolStateView.ModelLoad.IDLE));
  }

  @Test
  void aSaturatedSmallModelSendsAnEasyPromptElsewhereAndTheDecisionSaysWhy() {
    ComplexityRoutingPolicy p = loaded();
    // 256 expected tokens: small 2650 ms, medium 5300 ms, large 7950 ms; small has 1 replica x 10 slots
    loads.put("small", new PoolStateView.ModelLoad(10, 5, 1)); // 6 ahead beyond 10 slots: ~1590 ms, still the fastest
    RouteDecision busy = p.decide(auto("What is 2+2?", Profile.BALANCED, RouterKind.KEYWORD));
    assertEquals("small", busy.model());
    assertNull(busy.reason());
    loads.put("small", new PoolStateView.ModelLoad(10, 20, 1)); // 21 ahead: ~5565 ms wait, 8215 ms in all
    RouteDecision d = p.decide(auto("What is 2+2?", Profile.BALANCED, RouterKind.KEYWORD));
    assertEquals("medium", d.model());
    assertEquals(Tier.LOW, d.tier());
    assertEquals(List.of("small", "large"), d.fallbacks());
    assertTrue(d.reason().startsWith("small is saturated: 10 in flight and 20 queued for 1 x 10 slots (~5565 ms wait)"), d.reason());
    assertTrue(d.reason().contains("medium scores"), d.reason());
  }

  @Test
  void aDeadlineTheSmallModelMissesSendsAnEasyPromptElsewhereAndTheDecisionSaysWhy() {
    ComplexityRoutingPolicy p = loaded();
    loads.put("small", new PoolStateView.ModelLoad(10, 10, 1)); // 11 ahead: ~2915 ms wait, 5565 ms in all
    RouteDecision d = p.decide(new RouteRequest("auto", "What is 2+2?", Profile.BALANCED, RouterKind.KEYWORD, 5500));
    assertEquals("medium", d.model()); // 5300 ms meets it
    assertTrue(d.reason().startsWith("small expects 5565 ms, over the 5500 ms deadline, is saturated"), d.reason());
    // without the deadline the queue alone says why: small at 5565 ms is now slower than medium
    RouteDecision noDeadline = p.decide(auto("What is 2+2?", Profile.BALANCED, RouterKind.KEYWORD));
    assertEquals("medium", noDeadline.model());
    assertTrue(noDeadline.reason().startsWith("small is saturated"), noDeadline.reason());
    // under the cost profile the cheap small model is worth the wait, unless the deadline says otherwise
    assertEquals("small", p.decide(auto("What is 2+2?", Profile.COST, RouterKind.KEYWORD)).model());
    RouteDecision cost = p.decide(new RouteRequest("auto", "What is 2+2?", Profile.COST, RouterKind.KEYWORD, 5500));
    assertEquals("medium", cost.model());
    assertTrue(cost.reason().startsWith("small expects 5565 ms, over the 5500 ms deadline"), cost.reason());
  }

  @Test
  void aColdPoolWaitsForItsColdStart() {
    ComplexityRoutingPolicy p = loaded();
    loads.put("small", new PoolStateView.ModelLoad(0, 0, 0)); // 1000 ms cold start: 3650 ms, still the fastest
    assertEquals("small", p.decide(auto("What is 2+2?", Profile.BALANCED, RouterKind.KEYWORD)).model());
    RouteDecision d = p.decide(new RouteRequest("auto", "What is 2+2?", Profile.BALANCED, RouterKind.KEYWORD, 3000));
    assertEquals("small", d.model(), "no model meets 3000 ms: the deadline is ignored");
    d = p.decide(new RouteRequest("auto", "What is 2+2?", Profile.SPEED, RouterKind.KEYWORD, 3000));
    assertEquals("small", d.model());
    // a medium prompt under speed: medium cold (6300 ms) misses a 6000 ms deadline, large warm (7950 ms) too; small
    // (2650 ms when warm) meets it
    loads.clear();
    loads.put("medium", new PoolStateView.ModelLoad(0, 0, 0));
    d = p.decide(new RouteRequest("auto", "Translate to French: hello", Profile.COST, RouterKind.KEYWORD, 6000));
    assertEquals(Tier.MEDIUM, d.tier());
    assertEquals("small", d.model());
    assertTrue(d.reason().startsWith("medium expects 6300 ms, over the 6000 ms deadline, has no ready replica (cold start ~1000 ms)"),
        d.reason());
  }

  @Test
  void explainGivesTheClassificationAndEveryModelsScore() {
    RouteExplanation x = policy.explain(auto("a hard riddle", Profile.COST, RouterKind.CLASSIFIER));
    assertEquals("large", x.decision().model());
    assertEquals(Profile.COST, x.profile());
    assertEquals(Tier.HIGH, x.classification().tier());
    assertEquals(0.1 * 0.5 + 0.8, x.complexity(), 1e-6);
    assertEquals(List.of("large", "small", "medium"), List.copyOf(x.scores().keySet()));
    assertEquals(0.3, x.scores().get("large"), 1e-9); // capable, but the dearest and slowest
    RouteExplanation keyword = policy.explain(auto("What is 2+2?", null, RouterKind.KEYWORD));
    assertEquals(Profile.BALANCED, keyword.profile()); // the default
    assertEquals(0.0, keyword.complexity()); // LOW by keyword
    RouteExplanation named = policy.explain(new RouteRequest("medium", "x", Profile.QUALITY, null, 0));
    assertNull(named.complexity());
    assertTrue(named.scores().isEmpty());
    assertEquals(policy.decide(auto("a hard riddle", Profile.COST, RouterKind.CLASSIFIER)), x.decision());
  }

  @Test
  void profileWeightsAreConfigurable() {
    var cfg =
        ConfigFactory.parseString("pickspin.routing.profiles.quality { relevance = 0, latency = 1, cost = 0 }")
            .withFallback(ConfigFactory.load())
            .getConfig("pickspin.routing");
    ComplexityRoutingPolicy p = ComplexityRoutingPolicy.create(TestCatalogs.threeTiers(), RoutingSettings.fromConfig(cfg), SCRIPTED);
    assertEquals("small", p.decide(auto("What is 2+2?", Profile.QUALITY, RouterKind.KEYWORD)).model());
  }
}
