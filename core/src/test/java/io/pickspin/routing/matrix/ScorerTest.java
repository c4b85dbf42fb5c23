package io.pickspin.routing.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Tier;
import io.pickspin.routing.Profile;
import io.pickspin.routing.TestCatalogs;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Scores checked against values computed by hand from {@link TestCatalogs#threeTiers()}. */
class ScorerTest {
  static final double EPS = 1e-6;
  final ServiceMatrix matrix = TestCatalogs.matrix(TestCatalogs.threeTiers());

  // relevance over all tiers: small .6/.36/.18, medium .8/.8/.48, large .9/.9/.9 -> bounds [.18, .9]
  // latency 200/400/600 -> T^ 1, .5, 0; cost 2*200, 4*400, 8*600 (x 1/3.6e7) -> C^ 1, 8/11, 0

  @Test
  void normalisesWithMatrixWideBoundsAndThePaperWeights() {
    Scorer.Scored[] r = Scorer.rank(matrix, Tier.LOW, Scorer.Weights.of(Profile.BALANCED), 0);
    assertEquals(List.of("small", "medium", "large", "large"), models(r));
    double rSmall = (0.6 - 0.18) / 0.72, rMedium = (0.8 - 0.18) / 0.72;
    assertEquals(0.5 * rSmall + 0.3 + 0.3, r[0].score(), EPS);
    assertEquals(0.5 * rMedium + 0.3 * 0.5 + 0.3 * 8 / 11.0, r[1].score(), EPS);
    assertEquals(0.5, r[2].score(), EPS);
    assertEquals(200, r[0].latencyMs(), EPS);
    assertEquals(2.0 * 200 / 3.6e6 / 10, r[0].cost(), 1e-12);
    assertTrue(Arrays.stream(r).allMatch(Scorer.Scored::eligible));
  }

  @Test
  void qualityProfilePrefersTheBestModelForAnEasyPrompt() {
    Scorer.Scored[] r = Scorer.rank(matrix, Tier.LOW, Scorer.Weights.of(Profile.QUALITY), 0);
    assertEquals("large", r[0].model());
    assertEquals(1.0, r[0].score(), EPS);
    assertEquals((0.8 - 0.18) / 0.72 + 0.05 + 0.1 * 8 / 11.0, r[2].score(), EPS);
  }

  @Test
  void onlyCapableModelsMayWinAHardPrompt() {
    Scorer.Scored[] r = Scorer.rank(matrix, Tier.HIGH, Scorer.Weights.of(Profile.COST), 0);
    assertEquals(List.of("large", "large", "small", "medium"), models(r));
    assertTrue(r[0].eligible() && r[1].eligible());
    assertFalse(r[2].eligible());
    assertEquals(0.3 * 1 + 0 + 0, r[0].score(), EPS);
    assertEquals(0 + 0.2 + 0.8, r[2].score(), EPS); // small scores higher but is not capable
    assertEquals("vllm", r[0].entry().backendKind()); // ties keep matrix order
  }

  @Test
  void aDeadlineExcludesSlowCandidatesWhenAnyFits() {
    // capable large (600 ms) misses 500 ms: the fastest answers that meet it compete instead
    Scorer.Scored[] r = Scorer.rank(matrix, Tier.HIGH, Scorer.Weights.of(Profile.BALANCED), 500);
    assertEquals(List.of("small", "medium", "large", "large"), models(r));
    assertTrue(r[0].eligible() && r[1].eligible());
    assertFalse(r[2].eligible());
    // a capable model that meets the deadline keeps the smaller ones out
    r = Scorer.rank(matrix, Tier.MEDIUM, Scorer.Weights.of(Profile.COST), 450);
    assertEquals("medium", r[0].model());
    assertFalse(r[1].eligible());
    // nobody meets 100 ms: the deadline is ignored
    r = Scorer.rank(matrix, Tier.HIGH, Scorer.Weights.of(Profile.BALANCED), 100);
    assertEquals("large", r[0].model());
  }

  @Test
  void aWaitForAReplicaAddsToLatencyButNotToCost() {
    // small waits 1000 ms (a full pool): 1200 ms, now the slowest; medium 400 ms is the fastest
    Scorer.Scored[] r =
        Scorer.rank(matrix, Tier.LOW, Scorer.Weights.of(Profile.BALANCED), 0, e -> e.model().id().equals("small") ? 1000 : 0);
    Scorer.Scored small = Arrays.stream(r).filter(x -> x.model().equals("small")).findFirst().orElseThrow();
    assertEquals(1200, small.latencyMs(), EPS);
    assertEquals(1000, small.waitMs(), EPS);
    assertEquals(2.0 * 200 / 3.6e6 / 10, small.cost(), 1e-12); // waiting uses no GPU
    double rSmall = (0.6 - 0.18) / 0.72, rMedium = (0.8 - 0.18) / 0.72;
    assertEquals(0.5 * rSmall + 0 + 0.3, small.score(), EPS);
    assertEquals("medium", r[0].model());
    assertEquals(0.5 * rMedium + 0.3 + 0.3 * 8 / 11.0, r[0].score(), EPS);
    assertEquals(0, r[0].waitMs(), EPS);
    // a deadline the waiting small model misses and medium meets keeps small out
    r = Scorer.rank(matrix, Tier.LOW, Scorer.Weights.of(Profile.COST), 500, e -> e.model().id().equals("small") ? 1000 : 0);
    assertEquals("medium", r[0].model());
    assertFalse(Arrays.stream(r).filter(x -> x.model().equals("small")).findFirst().orElseThrow().eligible());
  }

  @Test
  void equalBoundsNormaliseToOne() {
    assertEquals(1.0, Scorer.higherIsBetter(3, 3, 3));
    assertEquals(1.0, Scorer.lowerIsBetter(3, 3, 3));
    assertEquals(0.0, Scorer.higherIsBetter(-1, 0, 2)); // clamped
    assertEquals(0.25, Scorer.lowerIsBetter(1.5, 0, 2), EPS);
  }

  static List<String> models(Scorer.Scored[] r) {
    return Arrays.stream(r).map(Scorer.Scored::model).toList();
  }
}
