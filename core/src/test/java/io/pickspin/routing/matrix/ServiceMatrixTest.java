package io.pickspin.routing.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
  void theScorerComparesTheSameRequestOnEveryModelNotTheAnswersEachHappenedToServe() {
    // at exactly their profiles' speed, small serves 41-token answers (500 ms) and medium 1-token answers (200 ms)
    for (int i = 0; i < 10; i++) {
      matrix.record("small", "vllm", Outcome.success(500, 100, 41));
      matrix.record("medium", "vllm", Outcome.success(200, 200, 1));
    }
    ServiceMatrix.Entry small = matrix.find("small", "vllm"), medium = matrix.find("medium", "vllm");
    assertTrue(medium.latencyMs() < small.latencyMs(), "served averages: medium looks faster");
    assertTrue(medium.costPerRequest() < small.costPerRequest() * 2, "and nearly as cheap");
    assertEquals(1.0, small.slowdown(), 1e-9);
    assertEquals(1.0, medium.slowdown(), 1e-9);
    // the same typical request on each model's profile: 11 expected tokens, moved a little towards the answers' 21
    int n = (int) Math.round(matrix.typicalOutputTokens());
    assertEquals(14, n);
    assertEquals(small.model().latency().serviceMs(n), small.expectedLatencyMs(), 1e-9);
    assertEquals(medium.model().latency().serviceMs(n), medium.expectedLatencyMs(), 1e-9);
    assertEquals(2.0 * small.expectedLatencyMs() / 3.6e6 / 10, small.expectedCostPerRequest(), 1e-15);
    // so speed still prefers small for an easy prompt, as with no telemetry at all
    assertEquals("small", Scorer.rank(matrix, Tier.LOW, Scorer.Weights.of(Profile.SPEED), 0)[0].model());
    assertEquals("small", Scorer.rank(matrix, Tier.LOW, Scorer.Weights.of(Profile.BALANCED), 0)[0].model());
  }

  @Test
  void measuredSlownessMovesTheExpectedLatency() {
    ServiceMatrix.Entry e = matrix.find("medium", "vllm");
    matrix.record("medium", "vllm", Outcome.success(2 * 260, 400, 4)); // twice the profile's 260 ms for 4 tokens
    assertEquals(1.5, e.slowdown(), 1e-9); // 1 + 0.5 * (2 - 1)
    assertEquals(600, e.expectedLatencyMs(), 1e-9);
    assertEquals(4 * 600 / 3.6e6 / 10, e.expectedCostPerRequest(), 1e-15);
    matrix.record("medium", "vllm", Outcome.success(50, 50, 0)); // length unknown: it works, as its profile says
    assertEquals(1.25, e.slowdown(), 1e-9);
    matrix.record("medium", "vllm", Outcome.failure(10, "connect", true)); // a failure says nothing about speed
    assertEquals(1.25, e.slowdown(), 1e-9);
    matrix.record("medium", "vllm", Outcome.failure(4000, "timeout", false)); // at least 4000 / 400 = 10x
    assertEquals(5.625, e.slowdown(), 1e-9);
    matrix.record("medium", "vllm", Outcome.failure(100, "timeout", false)); // a quick timeout never speeds it up
    assertEquals(3.3125, e.slowdown(), 1e-9);
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

  @Test
  void theTypicalRequestFollowsTheAnswersOfEveryModelEvenForAModelThatNeverServed() {
    // every expected latency is quoted for the configured prior until answers come back
    assertEquals(matrix.settings().expectedOutputTokens(), matrix.typicalOutputTokens(), 1e-9);
    ServiceMatrix.Entry unused = matrix.find("large", "vllm");
    double before = unused.expectedLatencyMs();
    // a workload of longer answers, all served by another model
    for (int i = 0; i < 500; i++) matrix.record("small", "vllm", Outcome.success(100, 50, 28));
    assertEquals(28, matrix.typicalOutputTokens(), 0.5);
    assertEquals(0, unused.observations(), "large never served");
    assertEquals(unused.model().latency().serviceMs(28), unused.expectedLatencyMs(), 1e-9);
    assertTrue(unused.expectedLatencyMs() > before, "its expected latency follows the workload: " + before + " -> " + unused.expectedLatencyMs());
    // failures and answers of unknown length say nothing about lengths
    matrix.record("small", "vllm", Outcome.failure(5000, "timeout", false));
    matrix.record("small", "vllm", Outcome.success(300, -1, 0));
    assertEquals(28, matrix.typicalOutputTokens(), 0.5);
  }
}
