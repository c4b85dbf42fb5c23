package io.pickspin.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Catalog;
import io.pickspin.model.Tier;
import io.pickspin.pool.Outcome;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.RoutingSettings;
import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.matrix.ServiceMatrix;
import io.pickspin.routing.rl.PoolStateView;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Scoring on the demo catalogue that bin/pickspin serves (application.conf's pickspin.models) with the shipped routing
 * settings: an easy prompt goes to the LOW-tier model under the default profile whenever every model is warm, unless
 * the request's deadline or that model's saturation says otherwise, and then the decision says why. A stub classifier
 * labels every prompt LOW, so that this is about scoring, not classification.
 */
class DemoCatalogueRoutingTest {
  static final Config NODE = ConfigFactory.load();
  static final Catalog DEMO = Catalog.fromConfig(NODE.getConfigList("pickspin.models"));
  static final List<String> EASY =
      List.of("What is the capital city of Portugal?", "Convert 5 kilometers to meters.", "List three primary colors.",
          "What is 2+2?");

  /** LOW with probability 0.9, whatever the prompt. */
  static final ComplexityClassifier SAYS_LOW =
      new ComplexityClassifier() {
        @Override
        public Classification classify(String prompt) {
          return Classification.fromProbabilities(new float[] {0.9f, 0.07f, 0.03f}, "classifier");
        }

        @Override
        public String name() {
          return "says-low";
        }
      };

  /** Every model warm (one idle replica) unless a test says otherwise. */
  final Map<String, PoolStateView.ModelLoad> loads = new HashMap<>();

  final ComplexityRoutingPolicy policy =
      ComplexityRoutingPolicy.create(
          DEMO, RoutingSettings.fromConfig(NODE.getConfig("pickspin.routing")), SAYS_LOW,
          m -> loads.getOrDefault(m, new PoolStateView.ModelLoad(0, 0, 1)));

  RouteDecision route(String prompt, Profile profile, RouterKind router, long deadlineMs) {
    return policy.decide(new RouteRequest(RouteRequest.AUTO, prompt, profile, router, deadlineMs));
  }

  @Test
  void theDemoCatalogueIsTheOneThisTestIsAbout() {
    assertEquals(List.of("demo-small", "demo-medium", "demo-large"), DEMO.models().stream().map(m -> m.id()).toList());
    assertEquals(Tier.LOW, DEMO.find("demo-small").orElseThrow().tier());
  }

  @Test
  void underTheDefaultProfileEveryEasyPromptGoesToTheSmallModel() {
    for (RouterKind router : List.of(RouterKind.CLASSIFIER, RouterKind.HYBRID)) {
      for (String prompt : EASY) {
        RouteDecision d = route(prompt, null, router, 0); // no profile: the default, balanced
        assertEquals(Tier.LOW, d.tier(), prompt);
        assertEquals("demo-small", d.model(), router + ": " + prompt);
        assertNull(d.reason(), prompt);
        assertEquals(List.of("demo-medium", "demo-large"), d.fallbacks());
      }
    }
    assertEquals("demo-small", route("What is 2+2?", Profile.BALANCED, RouterKind.KEYWORD, 0).model());
  }

  @Test
  void answersOfOtherLengthsFromBiggerModelsDoNotDrawEasyPromptsAway() {
    // what the issue saw end to end: every model warmed with a few short requests (the gateway reports no output length)
    for (int i = 0; i < 8; i++) policy.record("demo-medium", ServiceMatrix.ANY_BACKEND, Outcome.success(170, 170, 0));
    for (int i = 0; i < 2; i++) policy.record("demo-large", ServiceMatrix.ANY_BACKEND, Outcome.success(520, 520, 0));
    for (int i = 0; i < 4; i++) policy.record("demo-small", ServiceMatrix.ANY_BACKEND, Outcome.success(1000, 60, 0));
    for (String prompt : EASY) assertEquals("demo-small", route(prompt, Profile.BALANCED, RouterKind.HYBRID, 0).model(), prompt);
    // and with known lengths at the profiles' own speeds: short answers from medium, long ones from small
    for (int i = 0; i < 10; i++) {
      policy.record("demo-medium", ServiceMatrix.ANY_BACKEND, Outcome.success(110 + 18 * 3, 110, 4));
      policy.record("demo-small", ServiceMatrix.ANY_BACKEND, Outcome.success(60 + 9 * 499, 60, 500));
    }
    assertEquals("demo-small", route("What is 2+2?", Profile.BALANCED, RouterKind.HYBRID, 0).model());
    assertEquals("demo-small", route("What is 2+2?", Profile.SPEED, RouterKind.HYBRID, 0).model());
  }

  @Test
  void theProfilesKeepTheirMeaning() {
    assertEquals("demo-small", route("What is 2+2?", Profile.COST, RouterKind.CLASSIFIER, 0).model());
    assertEquals("demo-small", route("What is 2+2?", Profile.SPEED, RouterKind.CLASSIFIER, 0).model());
    // quality pays for a larger model, even on an easy prompt
    RouteDecision quality = route("What is 2+2?", Profile.QUALITY, RouterKind.CLASSIFIER, 0);
    assertNotEquals("demo-small", quality.model());
    assertNull(quality.reason(), "that is the quality profile's own pick");
  }

  @Test
  void aDeadlineTheSmallModelCannotMeetGoesElsewhereAndSaysWhy() {
    // 256 expected tokens: demo-small 2355 ms, demo-medium 4700 ms, demo-large 6525 ms when idle. demo-small has 17
    // requests ahead of one beyond its 1 x 16 slots: ~2502 ms wait, 4857 ms in all
    loads.put("demo-small", new PoolStateView.ModelLoad(16, 16, 1));
    RouteDecision d = route("What is 2+2?", Profile.BALANCED, RouterKind.HYBRID, 4800);
    assertEquals(Tier.LOW, d.tier());
    assertEquals("demo-medium", d.model());
    assertTrue(d.reason().startsWith("demo-small expects 4857 ms, over the 4800 ms deadline, is saturated"), d.reason());
    assertEquals(List.of("demo-small", "demo-large"), d.fallbacks(), "the small model stays a fallback");
    // a deadline no model meets is ignored: on an idle fleet, the small model again
    loads.clear();
    RouteDecision none = route("What is 2+2?", Profile.BALANCED, RouterKind.HYBRID, 1000);
    assertEquals("demo-small", none.model());
    assertNull(none.reason());
  }

  @Test
  void aSaturatedSmallModelGoesElsewhereAndSaysWhy() {
    loads.put("demo-small", new PoolStateView.ModelLoad(16, 8, 1)); // 9 beyond 16 slots: ~1325 ms wait, still fastest
    assertEquals("demo-small", route("What is 2+2?", Profile.BALANCED, RouterKind.HYBRID, 0).model());
    loads.put("demo-small", new PoolStateView.ModelLoad(16, 64, 1)); // 65 beyond: ~9567 ms wait
    RouteDecision d = route("What is 2+2?", Profile.BALANCED, RouterKind.HYBRID, 0);
    assertEquals("demo-medium", d.model());
    assertTrue(d.reason().startsWith("demo-small is saturated: 16 in flight and 64 queued for 1 x 16 slots"), d.reason());
    // a second warm replica takes the queue back
    loads.put("demo-small", new PoolStateView.ModelLoad(16, 8, 2));
    assertEquals("demo-small", route("What is 2+2?", Profile.BALANCED, RouterKind.HYBRID, 0).model());
  }
}
