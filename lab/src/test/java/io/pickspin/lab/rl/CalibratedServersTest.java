package io.pickspin.lab.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Tier;
import io.pickspin.pool.PoolSettings;
import io.pickspin.routing.RouteDecision;
import io.pickspin.lab.train.LabelledPrompt;
import io.pickspin.lab.train.PromptCorpus;
import io.pickspin.scaling.ScalingSettings;
import io.pickspin.lab.des.AnswerModel;
import io.pickspin.lab.des.LatencyModel;
import io.pickspin.lab.des.ModelFleet;
import io.pickspin.lab.des.ReplayStream;
import io.pickspin.lab.des.RunResult;
import io.pickspin.lab.des.Scenario;
import io.pickspin.lab.des.SimRequest;
import io.pickspin.lab.des.Simulation;
import io.pickspin.lab.des.Trace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CalibratedServersTest {
  record Done(double at, boolean served, double latency) {}

  @Test
  void aLoneRequestTakesTheLatencyModelsIdleServiceTime() {
    CalibratedServers.Model m = DesFixture.servers(8, 8);
    ServingSimulator s = m.newSimulator(new int[] {1, 1});
    List<Done> done = new ArrayList<>();
    s.submit(1, 1000, 200, 1e12, (ok, lat) -> done.add(new Done(s.nowMs(), ok, lat)));
    s.runToEnd();
    assertEquals(1, done.size());
    assertTrue(done.get(0).served());
    // the replica reads the KV cache of the context it has, the idle formula its mean: within a percent
    assertEquals(m.idleServiceMs(1, 1000, 200), done.get(0).latency(), 0.01 * m.idleServiceMs(1, 1000, 200));
    assertTrue(m.idleServiceMs(0, 1000, 200) < m.idleServiceMs(1, 1000, 200), "8B is faster than 32B");
    assertTrue(m.fullBatchServiceMs(1, 1000, 200) > m.idleServiceMs(1, 1000, 200));
  }

  @Test
  void slotsThenAFifoHoldQueueThatRequestsLeaveAtTheirGiveUpTime() {
    ServingSimulator s = DesFixture.servers(2, 2).newSimulator(new int[] {1, 0});
    List<Done> done = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      double giveUp = i == 3 ? 100 : 1e12;
      s.submit(0, 500, 50, giveUp, (ok, lat) -> done.add(new Done(s.nowMs(), ok, lat)));
    }
    assertEquals(2, s.inFlight(0));
    assertEquals(2, s.queued(0));
    s.runUntil(150);
    assertEquals(List.of(new Done(100, false, 100)), done, "the fourth gave up while waiting");
    assertEquals(1, s.queued(0));
    s.runToEnd();
    assertEquals(4, done.size());
    double first = done.get(1).latency();
    assertEquals(first, done.get(2).latency(), 1e-6, "the two batched requests finish together");
    assertTrue(done.get(3).served() && done.get(3).latency() > first, "the third waited for a slot");
    assertEquals(0, s.inFlight(0));
    assertEquals(0, s.queued(0));
    // no replica at all: refused at once (no scaler could start one)
    List<Done> none = new ArrayList<>();
    s.submit(1, 10, 10, 1e12, (ok, lat) -> none.add(new Done(s.nowMs(), ok, lat)));
    assertFalse(none.get(0).served());
  }

  @Test
  void aResizedPoolServesOnAStartedReplicaOnlyAfterTheColdStartAndCountsEachReplicaFromStartToRemoval() {
    CalibratedServers s = DesFixture.servers(2, 2).newSimulator(new int[] {1, 0});
    double cold = DesFixture.latency().coldStartMs(DesFixture.SMALL);
    s.runUntil(1000);
    s.resize(0, 2);
    assertEquals(1, s.replicas(0));
    assertEquals(1, s.starting(0));
    for (int i = 0; i < 3; i++) s.submit(0, 500, 50, 1e7, (ok, lat) -> {});
    assertEquals(1, s.queued(0), "the starting replica takes nothing yet");
    s.runUntil(1000 + cold + 1);
    assertEquals(2, s.replicas(0));
    assertEquals(0, s.starting(0));
    assertEquals(0, s.queued(0), "the new replica took the held request");
    double t = s.nowMs();
    assertEquals(t + (t - 1000), s.replicaMs(0, t), 1e-6);
    s.runToEnd();
    // down to one: the first of the two idle replicas (started at 0) drains at once and stops counting
    double at = s.nowMs();
    s.resize(0, 1);
    assertEquals(1, s.replicas(0));
    assertEquals(at + (at + 5000 - 1000), s.replicaMs(0, at + 5000), 1e-6);
    // a start cancelled at once never counts
    s.resize(0, 2);
    s.resize(0, 1);
    assertEquals(0, s.starting(0));
    assertEquals(at + (at + 5000 - 1000), s.replicaMs(0, at + 5000), 1e-6);
  }

  @Test
  void aFullerBatchDecodesSlowerPerRequestButFasterInTotal() {
    CalibratedServers.Model m = DesFixture.servers(64, 8);
    double alone = m.idleServiceMs(0, 500, 300);
    ServingSimulator s = m.newSimulator(new int[] {1, 0});
    List<Double> lat = new ArrayList<>();
    for (int i = 0; i < 32; i++) s.submit(0, 500, 300, 1e12, (ok, l) -> lat.add(l));
    s.runToEnd();
    double worst = lat.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    assertTrue(worst > 1.05 * alone && worst < 4 * alone, worst + " vs " + alone);
  }

  /** The same requests through the DES (production pool, ReplicaServer) and through the adapter: the same latencies. */
  @Test
  void agreesWithTheDiscreteEventSimulatorOnAStaticDeployment() throws Exception {
    List<LabelledPrompt> prompts = new ArrayList<>();
    for (int i = 0; i < 50; i++) prompts.add(new LabelledPrompt("mmlu:" + i, "mmlu", "question " + i, Tier.LOW, "weak-correct"));
    AnswerModel answers = AnswerModel.fit(PromptCorpus.sharedDir(), List.of(), 1);
    LatencyModel latency = DesFixture.latency();
    ModelFleet fleet = new ModelFleet("qwen3", ModelFleet.qwen3Family(), latency, answers, prompts);
    SplittableRandom rng = new SplittableRandom(5);
    List<Trace.Request> reqs = new ArrayList<>();
    for (double t = 0; t < 120_000; ) {
      t += -Math.log(1 - rng.nextDouble()) / (4 / 1000.0);
      reqs.add(new Trace.Request(t, 200 + rng.nextInt(2000), 1 + rng.nextInt(400)));
    }
    Trace trace = new Trace("t", "t", reqs, 120_000);
    List<SimRequest> stream = SimRequest.stream(trace, prompts, (in, out) -> 1e9, 1);
    String model = "qwen3-14b";
    Scenario scenario = new Scenario("static", Map.of(model, 1), model, null, null,
        (pools, clock) -> request -> new RouteDecision(request.requestedModel(), Tier.MEDIUM, "explicit", List.of()));
    var config = RlExperiment.loadConfig(Map.of());
    ScalingSettings scaling = ScalingSettings.fromConfig(config.getConfig("pickspin.scaling"));
    PoolSettings pool = PoolSettings.fromConfig(config.getConfig("pickspin.pool"));
    RunResult des = new Simulation(fleet, scenario, scaling, pool, new Simulation.Settings(Duration.ofSeconds(600), 1))
        .run(ReplayStream.of("t", stream));

    int idx = fleet.catalog().models().stream().map(m -> m.id()).toList().indexOf(model);
    List<LatencyModel.Deployment> deployments = fleet.catalog().models().stream().map(m -> fleet.model(m.id()).deployment()).toList();
    int[] batch = fleet.catalog().models().stream().mapToInt(m -> m.latency().maxBatch()).toArray();
    int[] replicas = new int[batch.length];
    replicas[idx] = 1;
    ServingSimulator s = new CalibratedServers.Model(latency, deployments, batch).newSimulator(replicas);
    double[] sum = {0};
    int[] n = {0};
    for (SimRequest r : stream) {
      s.runUntil(r.atMs());
      s.submit(idx, r.inputTokens(), r.outputTokens(), 1e12, (ok, l) -> {
        sum[0] += l;
        n[0]++;
      });
    }
    s.runToEnd();
    assertEquals(des.completed(), n[0]);
    assertEquals(des.meanLatencyMs(), sum[0] / n[0], 0.02 * des.meanLatencyMs(), "mean latency, DES vs adapter");
  }
}
