package io.pickspin.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RouteLlmCurveTest {
  private static final double EPS = 1e-12;

  /**
   * Four prompts, weak right on 1 and 2, strong right on all: weak mean 0.5, strong mean 1. Scores rank prompt 3 first,
   * then 0, 1, 2. Strong calls 0/4: perf 0.5, PGR 0; 1/4 (prompt 3): 0.75, PGR 0.5; 2/4 (+ prompt 0): 1.0, PGR 1;
   * 3/4 and 4/4: PGR 1. Area by trapezoids: 0.0625 + 0.1875 + 0.25 + 0.25 = 0.75. CPT(50%) = 0.25; CPT(80%) inside
   * the second segment: 0.25 + (0.8 - 0.5) / 0.5 * 0.25 = 0.40.
   */
  @Test
  void handComputedExample() {
    RouteLlmCurve c = RouteLlmCurve.of(new double[] {0.9, 0.7, 0.3, 0.95}, new double[] {0, 1, 1, 0}, new double[] {1, 1, 1, 1});
    assertEquals(0.5, c.weakMean(), EPS);
    assertEquals(1.0, c.strongMean(), EPS);
    assertEquals(5, c.points().size());
    assertEquals(0.75, c.apgr(), EPS);
    assertEquals(0.25, c.cpt(0.5), EPS);
    assertEquals(0.40, c.cpt(0.8), EPS);
  }

  /** The worst order (the prompts that need the strong model last): PGR 0, 0, 0, 0.5, 1; area 0.0625 + 0.1875 = 0.25. */
  @Test
  void reversedOrderIsWorseThanRandom() {
    RouteLlmCurve c = RouteLlmCurve.of(new double[] {0.2, 0.9, 0.8, 0.1}, new double[] {0, 1, 1, 0}, new double[] {1, 1, 1, 1});
    assertEquals(0.25, c.apgr(), EPS);
    assertEquals(0.75, c.cpt(0.5), EPS);
    assertEquals(0.75 + 0.3 / 0.5 * 0.25, c.cpt(0.8), EPS);
  }

  /** Equal scores move together: one constant score gives the straight line from (0,0) to (1,1), APGR 0.5. */
  @Test
  void tiesMoveTogether() {
    RouteLlmCurve c = RouteLlmCurve.of(new double[] {0.5, 0.5, 0.5, 0.5}, new double[] {0, 1, 1, 0}, new double[] {1, 1, 1, 1});
    assertEquals(2, c.points().size());
    assertEquals(0.5, c.apgr(), EPS);
    assertEquals(0.5, c.cpt(0.5), EPS);
    assertEquals(0.8, c.cpt(0.8), EPS);
  }

  /** Judge scores (MT-bench) work the same: weak 6, 8; strong 9, 8. Scoring prompt 0 first recovers the whole gap at 1/2. */
  @Test
  void judgeScores() {
    RouteLlmCurve c = RouteLlmCurve.of(new double[] {1, 0}, new double[] {6, 8}, new double[] {9, 8});
    assertEquals(0.5 * 0.5 * 1 + 0.5 * 1, c.apgr(), EPS);
    assertEquals(0.25, c.cpt(0.5), EPS);
  }

  @Test
  void randomRoutingAveragesToAHalf() {
    int n = 400;
    double[] w = new double[n], s = new double[n];
    for (int i = 0; i < n; i++) {
      w[i] = i % 3 == 0 ? 1 : 0;
      s[i] = i % 5 == 0 ? 0 : 1;
    }
    double[] m = RouteLlmCurve.randomMean(w, s, 200);
    assertEquals(0.5, m[0], 0.02);
    assertEquals(0.5, m[1], 0.05);
    assertEquals(0.8, m[2], 0.05);
  }

  @Test
  void equalMeansAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> RouteLlmCurve.of(new double[] {1}, new double[] {1}, new double[] {1}));
  }
}
