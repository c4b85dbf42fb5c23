package io.pickspin.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fast fail-over scenario of the default suite: Cassandra, 3 node JVMs and 2 sim backends; kill -9 of the node
 * that hosts the scaling supervisor under load. The full suite is {@link ChaosSuiteTest} (slow) and bin/chaos.
 */
class ChaosFailoverTest {
  @Test
  void killingTheSingletonsNodeLosesNoRequestAndTheSupervisorResumesWithItsStateOnASurvivor(
      @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir)
      throws Exception {
    try (ChaosCluster cluster = ChaosCluster.start(dir, 3)) {
      int before = cluster.singleton().orElseThrow().getKey();
      ChaosScenarios scenarios =
          new ChaosScenarios(
              cluster, new ChaosScenarios.Settings(10, Duration.ofSeconds(6), Duration.ofSeconds(14), Duration.ofSeconds(30)));
      ScenarioResult r = scenarios.run("kill-9-singleton-node");
      System.out.print(ChaosScenarios.table(java.util.List.of(r)));

      assertEquals(0, r.lost(), "accepted requests must never be lost");
      assertTrue(r.answered() > 0.9 * r.sent(), "most requests must be answered: " + r);
      assertTrue(r.singletonRecoveredMs() >= 0, "the supervisor must recover on a surviving node: " + r.notes());
      assertEquals(1, r.singletonsAfter(), "exactly one node may start the singleton (no split brain)");
      int after = cluster.singleton().orElseThrow().getKey();
      assertTrue(after != before, "the singleton must move off the killed node-" + before);
      assertEquals(r.desiredBefore(), r.desiredAfter(), "the recovered supervisor must resume the same desired state");
      // the target; the tuned Pekko baseline without dead-member downing measured 8.6 s here
      assertTrue(r.singletonRecoveredMs() < 5_000, "singleton recovery took " + r.singletonRecoveredMs() + " ms");
    }
  }
}
