package io.pickspin.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Tier;
import io.pickspin.routing.classify.Classifiers;
import io.pickspin.routing.classify.KeywordClassifier;
import io.pickspin.routing.matrix.Scorer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The {@code pickspin.routing} block is read into one record, and a bad value is an error that names its key. */
class RoutingSettingsTest {

  static RoutingSettings parse(String overrides) {
    Config c = ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve();
    return RoutingSettings.fromConfig(c.getConfig("pickspin.routing"));
  }

  static String error(String overrides) {
    return assertThrows(IllegalArgumentException.class, () -> parse(overrides)).getMessage();
  }

  @Test
  void theShippedBlockParses() {
    RoutingSettings s = parse("pickspin.routing { default-profile = balanced, default-router = hybrid }");
    assertEquals(Profile.BALANCED, s.defaultProfile());
    assertEquals(RouterKind.HYBRID, s.defaultRouter());
    assertEquals("what is", s.keyword().low().get(0));
    assertEquals(12, s.keyword().low().size());
    assertEquals("formulate", s.keyword().high().get(12));
    assertEquals(13, s.keyword().high().size());
    assertEquals(0.7, s.hybrid().overrideConfidence());
    assertEquals(0.2, s.matrix().ewmaAlpha());
    assertEquals(256, s.matrix().expectedOutputTokens());
    assertEquals(0.6, s.matrix().tierFit().factor(Tier.LOW, Tier.MEDIUM));
    assertEquals(new Scorer.Weights(0.5, 0.3, 0.3), s.profiles().get(Profile.BALANCED));
    assertEquals(Duration.ofSeconds(5), s.rl().rateTimeConstant());
    assertEquals("pickspin/classifier", s.classifier().builtinResource());
  }

  @Test
  void everyPartCanBeOverridden() {
    RoutingSettings s =
        parse(
            """
            pickspin.routing {
              default-profile = cost, default-router = keyword
              keyword { low = ["tiny"], high = ["huge"] }
              classifier.kind = none
              hybrid.classifier-override = 0.9
              profiles.speed { relevance = 0, latency = 1, cost = 0 }
              matrix { ewma-alpha = 0.5, tier-fit.low = [1, 0.5, 0.25] }
              rl.default-deadline-ms = 1500
            }""");
    assertEquals(Profile.COST, s.defaultProfile());
    assertEquals(RouterKind.KEYWORD, s.defaultRouter());
    assertEquals(new KeywordClassifier.Settings(java.util.List.of("tiny"), java.util.List.of("huge")), s.keyword());
    assertEquals(Classifiers.Kind.NONE, s.classifier().kind());
    assertNull(s.classifier().operator());
    assertEquals(0.9, s.hybrid().overrideConfidence());
    assertEquals(new Scorer.Weights(0, 1, 0), s.profiles().get(Profile.SPEED));
    assertEquals(0.5, s.matrix().ewmaAlpha());
    assertEquals(0.25, s.matrix().tierFit().factor(Tier.LOW, Tier.HIGH));
    assertEquals(1500, s.rl().defaultDeadlineMs());
  }

  @Test
  void aProfileLeftOutKeepsItsBuiltInWeights() {
    Config c = ConfigFactory.defaultReference().resolve().getConfig("pickspin.routing").withoutPath("profiles.quality");
    RoutingSettings s = RoutingSettings.fromConfig(c);
    assertFalse(s.profiles().containsKey(Profile.QUALITY));
    assertEquals(3, s.profiles().size());
    ComplexityRoutingPolicy p = ComplexityRoutingPolicy.create(TestCatalogs.threeTiers(), s, null);
    assertEquals(Scorer.Weights.of(Profile.QUALITY), p.weights(Profile.QUALITY));
  }

  @Test
  void badValuesNameTheirKey() {
    String router = error("pickspin.routing.default-router = telepathy");
    assertTrue(router.startsWith("pickspin.routing.default-router: unknown router 'telepathy'"), router);
    String profile = error("pickspin.routing.default-profile = cheapest");
    assertTrue(profile.startsWith("pickspin.routing.default-profile: unknown profile 'cheapest'"), profile);
    String weight = error("pickspin.routing.profiles.cost.latency = -1");
    assertEquals("pickspin.routing.profiles.cost: weights must be >= 0", weight);
    String alpha = error("pickspin.routing.matrix.ewma-alpha = 0");
    assertEquals("pickspin.routing.matrix.ewma-alpha must be in (0,1]", alpha);
    String fit = error("pickspin.routing.matrix.tier-fit.medium = [1, 1]");
    assertEquals("pickspin.routing.matrix.tier-fit: tier-fit needs 3 columns", fit);
    String kind = error("pickspin.routing.classifier.kind = psychic");
    assertEquals("pickspin.routing.classifier.kind: unknown kind 'psychic', expected builtin, encoder, operator or none", kind);
    String operator = error("pickspin.routing.classifier { kind = operator, operator.path = \"\" }");
    assertTrue(operator.contains("pickspin.routing.classifier.operator.path is required"), operator);
    String override = error("pickspin.routing.hybrid.classifier-override = 1.5");
    assertEquals("pickspin.routing.hybrid: classifier-override must be in [0,1], got 1.5", override);
    String deadline = error("pickspin.routing.rl.default-deadline-ms = -5");
    assertEquals("pickspin.routing.rl.default-deadline-ms must be >= 0", deadline);
  }

  @Test
  void aMissingOrMistypedKeyNamesItsBlock() {
    String missing =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    RoutingSettings.fromConfig(
                        ConfigFactory.defaultReference().resolve().getConfig("pickspin.routing").withoutPath("matrix.ewma-alpha")))
            .getMessage();
    assertTrue(missing.startsWith("pickspin.routing.matrix: "), missing);
    assertTrue(missing.contains("ewma-alpha"), missing);
    String mistyped = error("pickspin.routing.keyword.low = 3");
    assertTrue(mistyped.startsWith("pickspin.routing.keyword: "), mistyped);
    assertFalse(mistyped.contains("pickspin.routing.keyword: pickspin.routing.keyword"), mistyped);
  }
}
