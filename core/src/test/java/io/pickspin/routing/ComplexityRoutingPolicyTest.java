package io.pickspin.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Tier;
import io.pickspin.pool.Outcome;
import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.ComplexityClassifier;
import java.util.List;
import org.junit.jupiter.api.Test;

/** End to end on the three-model catalogue with the shipped routing configuration and a scripted classifier. */
class ComplexityRoutingPolicyTest {
  /** Says HIGH for prompts containing "hard", LOW otherwise. */
  static final ComplexityClassifier SCRIPTED =
      new ComplexityClassifier() {
        @Override
        public Classification classify(String prompt) {
          float[] p = prompt.contains("hard") ? new float[] {0.1f, 0.1f, 0.8f} : new float[] {0.8f, 0.1f, 0.1f};
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
    // hybrid: a keyword match decides ("what is" -> LOW) even though the classifier would say HIGH
    assertEquals(
        new RouteDecision("small", Tier.LOW, "hybrid/keyword", List.of("medium", "large")),
        policy.decide(auto("a hard question: what is x?", Profile.BALANCED, RouterKind.HYBRID)));
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
  void profileWeightsAreConfigurable() {
    var cfg =
        ConfigFactory.parseString("pickspin.routing.profiles.quality { relevance = 0, latency = 1, cost = 0 }")
            .withFallback(ConfigFactory.load())
            .getConfig("pickspin.routing");
    ComplexityRoutingPolicy p = ComplexityRoutingPolicy.create(TestCatalogs.threeTiers(), RoutingSettings.fromConfig(cfg), SCRIPTED);
    assertEquals("small", p.decide(auto("What is 2+2?", Profile.QUALITY, RouterKind.KEYWORD)).model());
  }
}
