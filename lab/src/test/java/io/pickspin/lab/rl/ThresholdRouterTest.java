package io.pickspin.lab.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ThresholdRouterTest {
  @Test
  void theLargeModelWhileTheEstimatedRateIsAtMostTheThresholdTheSmallOneAbove() {
    ServingSimulator sim = DesFixture.servers(8, 8).newSimulator(new int[] {1, 1});
    RoutingEnv.Router router = Routers.threshold(5_000, 0, 1, 5, 2, sim);
    int last = -1;
    for (int i = 1; i <= 60; i++) { // 1 request per second for a minute
      sim.runUntil(i * 1000.0);
      last = router.route(null).model();
    }
    assertEquals(1, last, "1/s is below the 5/s threshold: the large model");
    for (int i = 1; i <= 600; i++) { // then 20 per second for 30 s
      sim.runUntil(60_000 + i * 50.0);
      last = router.route(null).model();
    }
    assertEquals(0, last, "20/s is above it: the small model");
  }

  @Test
  void itsFallbacksAreTheOtherOfItsTwoModelsThenTheFleetsRemainingOnes() {
    ServingSimulator sim = DesFixture.servers(8, 8).newSimulator(new int[] {1, 1});
    // models 0 (small), 1 (a middle one) and 2 (large); at a quiet start the large one
    RoutingEnv.Choice c = Routers.threshold(5_000, 0, 2, 5, 3, sim).route(null);
    assertEquals(new RoutingEnv.Choice(2, List.of(0, 1)), c);
  }
}
