package io.pickspin.lab.des;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.classify.KeywordClassifier;
import io.pickspin.routing.matrix.ServiceMatrix;
import io.pickspin.lab.train.LabelledPrompt;
import io.pickspin.lab.train.PromptCorpus;
import io.pickspin.scaling.ScaleDecision;
import io.pickspin.scaling.ScalingPolicy;
import io.pickspin.scaling.ScalingSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The latency slack in the simulator: on a prefill-heavy workload (mooncake-like 12k-token prompts) the production
 * scaler with a latency slack keeps requests on time where planning every replica at its max batch lets them queue in
 * the engine.
 */
class LatencySlackSimulationTest {
  static final int INPUT = 12_000, OUTPUT = 200;

  @Test
  void plansBelowMaxBatchAndKeepsAPrefillHeavyLoadOnTime() throws IOException {
    Path shared = PromptCorpus.sharedDir();
    LatencyModel latency = LatencyCalibration.fit(shared).model();
    AnswerModel answers = AnswerModel.fit(shared, List.of(), 1);
    List<LabelledPrompt> prompts = new ArrayList<>();
    for (int i = 0; i < 50; i++) prompts.add(new LabelledPrompt("mmlu:" + i, "mmlu", "Question " + i, Tier.LOW, "both-wrong"));
    ModelFleet fleet = new ModelFleet("qwen3", ModelFleet.qwen3Family(), latency, answers, prompts)
        .forWorkload(INPUT + OUTPUT, INPUT, OUTPUT);
    ModelSpec spec = fleet.catalog().get("qwen3-8b");
    assertTrue(spec.latency().hasBatchCurve(), "the simulator's catalogue carries the batch curve");

    // 20 minutes of Poisson arrivals at 1.5 req/s, all named to the 8B model (warm pool: one replica)
    SplittableRandom rng = new SplittableRandom(11);
    List<Trace.Request> l = new ArrayList<>();
    for (double t = 0; ; ) {
      t += -Math.log(1 - rng.nextDouble()) / (1.5 / 1000);
      if (t >= 1_200_000) break;
      l.add(new Trace.Request(t, INPUT - 2000 + rng.nextInt(4000), OUTPUT / 2 + rng.nextInt(OUTPUT)));
    }
    Trace trace = new Trace("prefill-heavy", "synthetic", l, 1_200_000);
    ModelFleet.Model ref = fleet.reference();
    Scenario.RouterFactory keyword = (pools, clock) -> new ComplexityRoutingPolicy(fleet.catalog(),
        new ServiceMatrix(fleet.catalog(), ServiceMatrix.Settings.defaults()), KeywordClassifier.paper(), null, Map.of(),
        Profile.BALANCED, RouterKind.KEYWORD);
    Scenario scaled = new Scenario("8b scaled", null, "qwen3-8b", null, null, keyword);

    ScalingSettings withSlack = SimulationTest.scaling(1).withLatencySlack(0.3);
    Simulation slack = new Simulation(fleet, scaled, withSlack, SimulationTest.pool(256), Simulation.Settings.defaults());
    Simulation maxBatch = new Simulation(fleet, scaled, withSlack.withLatencySlack(0), SimulationTest.pool(256),
        Simulation.Settings.defaults());
    ReplayStream stream = ReplayStream.build(trace, 0, prompts, (in, out) -> fleet.latency().idleServiceMs(ref.deployment(), in, out), 11);
    RunResult a = slack.run(stream), b = maxBatch.run(stream);

    int c = new ScalingPolicy(withSlack).targetConcurrency(spec);
    assertTrue(c < spec.latency().maxBatch(), "target concurrency " + c + " below max batch " + spec.latency().maxBatch());
    for (ScaleDecision d : slack.decisions()) assertTrue(d.inputs().perReplicaConcurrency() == c);
    int peakSlack = a.peakReplicas().get("qwen3-8b"), peakMaxBatch = b.peakReplicas().get("qwen3-8b");
    assertTrue(peakSlack > peakMaxBatch, "more replicas for the prefill load: " + peakSlack + " vs " + peakMaxBatch);
    double onTimeSlack = (double) a.onTime() / a.requests(), onTimeMaxBatch = (double) b.onTime() / b.requests();
    assertTrue(onTimeSlack > onTimeMaxBatch + 0.1, "on time " + onTimeSlack + " vs " + onTimeMaxBatch + " at max batch");
    assertTrue(a.meanLatencyMs() < b.meanLatencyMs(), a.meanLatencyMs() + " vs " + b.meanLatencyMs());
  }
}
