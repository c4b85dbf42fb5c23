package io.pickspin.routing.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.pickspin.model.Tier;
import io.pickspin.pool.Outcome;
import io.pickspin.routing.Profile;
import io.pickspin.routing.TestCatalogs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceMatrixTest {
  final ServiceMatrix matrix = TestCatalogs.matrix(TestCatalogs.threeTiers());

  @Test
  void oneEntryPerModelAndBackendKindSeededFromTheLatencyProfile() {
    assertEquals(4, matrix.entries().size());
    ServiceMatrix.Entry e = matrix.find("large", "tgi");
    assertEquals(600, e.latencyMs(), 1e-9);
    assertEquals(300, e.ttftMs(), 1e-9);
    assertEquals(0, e.errorRate(), 1e-9);
    assertEquals(8 * 600 / 3.6e6 / 10, e.costPerRequest(), 1e-15);
  }

  @Test
  void outcomesMoveTheMovingAverages() {
    matrix.record("small", "vllm", Outcome.success(400, 300, 20));
    ServiceMatrix.Entry e = matrix.find("small", "vllm");
    assertEquals(300, e.latencyMs(), 1e-9); // 200 + 0.5 * (400 - 200)
    assertEquals(200, e.ttftMs(), 1e-9); // 100 + 0.5 * (300 - 100)
    assertEquals(2.0 * 300 / 3.6e6 / 10, e.costPerRequest(), 1e-15);
    matrix.record("small", "vllm", Outcome.failure(50, "backend-5xx", true));
    assertEquals(0.5, e.errorRate(), 1e-9);
    assertEquals(300, e.latencyMs(), 1e-9); // a fast failure says nothing about latency
    matrix.record("small", "vllm", Outcome.failure(5000, "timeout", false));
    assertEquals(0.75, e.errorRate(), 1e-9);
    assertEquals(2650, e.latencyMs(), 1e-9); // a timeout does
    matrix.record("small", "vllm", Outcome.success(300, -1, 1));
    assertEquals(0.375, e.errorRate(), 1e-9);
    assertEquals(200, e.ttftMs(), 1e-9); // no first token: TTFT unchanged
    assertEquals(4, e.observations());
  }

  @Test
  void errorsLowerRelevanceAndCanChangeTheWinner() {
    assertEquals("large", Scorer.rank(matrix, Tier.LOW, Scorer.Weights.of(Profile.QUALITY), 0)[0].model());
    for (int i = 0; i < 3; i++) {
      matrix.record("large", "vllm", Outcome.failure(10, "connect", true));
      matrix.record("large", "tgi", Outcome.failure(10, "connect", true));
    }
    assertEquals(0.9 * (1 - 0.875), matrix.relevance(matrix.find("large", "vllm"), Tier.LOW), 1e-9);
    assertEquals("medium", Scorer.rank(matrix, Tier.LOW, Scorer.Weights.of(Profile.QUALITY), 0)[0].model());
  }

  @Test
  void newBackendKindsGetEntriesAndUnknownModelsAreIgnored() {
    matrix.record("medium", "tensorrt", Outcome.success(100, 10, 5));
    assertNotNull(matrix.find("medium", "tensorrt"));
    assertEquals(5, matrix.entries().size());
    matrix.record("nope", "vllm", Outcome.success(1, 1, 1));
    assertNull(matrix.find("nope", "vllm"));
    assertEquals(5, matrix.entries().size());
  }

  @Test
  void concurrentUpdatesAreNotLost() throws InterruptedException {
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th = new Thread(() -> {
        for (int i = 0; i < 5000; i++) matrix.record("medium", "vllm", Outcome.success(400, 200, 10));
      });
      ts.add(th);
      th.start();
    }
    for (Thread th : ts) th.join();
    assertEquals(20000, matrix.find("medium", "vllm").observations());
    assertEquals(400, matrix.find("medium", "vllm").latencyMs(), 1e-9);
  }
}
