package io.pickspin.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** Every chaos scenario against one cluster (slow: several minutes). Run with {@code mvn -Pslow test -pl chaos}. */
@Tag("slow")
class ChaosSuiteTest {
  @Test
  void noScenarioLosesAnAcceptedRequestOrSplitsTheBrain(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
    List<ScenarioResult> results = new ArrayList<>();
    try (ChaosCluster cluster = ChaosCluster.start(dir, 3)) {
      ChaosScenarios scenarios = new ChaosScenarios(cluster, ChaosScenarios.Settings.defaults());
      for (String name : scenarios.names()) results.add(scenarios.run(name));
    }
    System.out.print(ChaosScenarios.table(results));
    for (ScenarioResult r : results) {
      assertEquals(0, r.lost(), r.name() + ": lost requests");
      assertTrue(r.singletonsAfter() <= 1, r.name() + ": the singleton started on " + r.singletonsAfter() + " nodes");
      assertTrue(r.routingNormalMs() != Long.MAX_VALUE, r.name() + ": routing never became normal again");
    }
    ScenarioResult kill = ChaosScenarios.find(results, "kill-9-singleton-node").orElseThrow();
    assertEquals(kill.desiredBefore(), kill.desiredAfter());
  }
}
