package io.pickspin.lab.des;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Tier;
import io.pickspin.pool.PoolSettings;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.classify.KeywordClassifier;
import io.pickspin.routing.matrix.ServiceMatrix;
import io.pickspin.lab.train.LabelledPrompt;
import io.pickspin.lab.train.PromptCorpus;
import io.pickspin.scaling.ScaleDecision;
import io.pickspin.scaling.ScaleReason;
import io.pickspin.scaling.ScalingSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The discrete-event simulator over the production routing, pool and scaling classes, on small synthetic traces. */
class SimulationTest {
  static ModelFleet fleet;
  static List<LabelledPrompt> prompts;

  @BeforeAll
  static void setUp() throws IOException {
    Path shared = PromptCorpus.sharedDir();
    LatencyModel latency = LatencyCalibration.fit(shared).model();
    AnswerModel answers = AnswerModel.fit(shared, List.of(), 1);
    prompts = new ArrayList<>();
    String[] forms = {"What is the capital of country %d?", "Summarise the history of town %d.", "Prove that %d has a prime factor."};
    String[] signals = {"weak-correct", "strong-only", "both-wrong"};
    for (int i = 0; i < 300; i++) {
      prompts.add(new LabelledPrompt("mmlu:" + i, "mmlu", String.format(forms[i % 3], i), Tier.values()[i % 3], signals[i % 3]));
    }
    fleet = new ModelFleet("mixed", ModelFleet.mixedFamilies(), latency, answers, prompts).forContext(2048);
  }

  static ScalingSettings scaling(int warmLow) {
    return new ScalingSettings(Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(300),
        0.1, Map.of(Tier.LOW, warmLow, Tier.MEDIUM, 0, Tier.HIGH, 0), 128, Duration.ofSeconds(1), 100, 2, 50, 0);
  }

  static PoolSettings pool(int holdCapacity) {
    return new PoolSettings(holdCapacity, 1.0, 3, Duration.ofSeconds(5), Duration.ofSeconds(2), 3, Duration.ofSeconds(60),
        Duration.ofSeconds(2));
  }

  static final Scenario.RouterFactory KEYWORD = (pools, clock) -> new ComplexityRoutingPolicy(fleet.catalog(),
      new ServiceMatrix(fleet.catalog(), ServiceMatrix.Settings.defaults()), KeywordClassifier.paper(), null, Map.of(),
      Profile.BALANCED, RouterKind.KEYWORD);

  static Scenario pickAndSpin() {
    return new Scenario("pick and spin keyword", null, null, RouterKind.KEYWORD, Profile.BALANCED, KEYWORD);
  }

  /** Poisson arrivals at each phase's rate: {seconds, requests per second}, ... */
  static Trace trace(long seed, double[][] phases, int maxOutput) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Trace.Request> l = new ArrayList<>();
    double start = 0;
    for (double[] ph : phases) {
      double t = start, end = start + ph[0] * 1000;
      while (ph[1] > 0) {
        t += -Math.log(1 - rng.nextDouble()) / (ph[1] / 1000);
        if (t >= end) break;
        l.add(new Trace.Request(t, 200 + rng.nextInt(1500), 1 + rng.nextInt(maxOutput)));
      }
      start = end;
    }
    return new Trace("synthetic", "synthetic", l, start);
  }

  static ReplayStream stream(Trace t, long seed) {
    ModelFleet.Model ref = fleet.reference();
    return ReplayStream.build(t, 0, prompts, (in, out) -> fleet.latency().idleServiceMs(ref.deployment(), in, out), seed);
  }

  /** 5 min at 3/s, 7 min silent (longer than tau), 3 min at 6/s. */
  static final double[][] BURSTY = {{300, 3}, {420, 0}, {180, 6}};

  static RunResult run(Scenario s, ScalingSettings scaling, PoolSettings pool, Simulation.Settings settings, ReplayStream r) {
    return new Simulation(fleet, s, scaling, pool, settings).run(r);
  }

  @Test
  void deterministicForASeed() {
    ReplayStream r = stream(trace(7, BURSTY, 300), 7);
    // nothing warm: the load opens pools from zero (with a warm model the cold ones' traffic would spill to it)
    Simulation a = new Simulation(fleet, pickAndSpin(), scaling(0), pool(256), Simulation.Settings.defaults());
    Simulation b = new Simulation(fleet, pickAndSpin(), scaling(0), pool(256), Simulation.Settings.defaults());
    RunResult x = a.run(r), y = b.run(stream(trace(7, BURSTY, 300), 7));
    assertTrue(x.requests() > 1500, "enough load to matter: " + x.requests());
    assertTrue(x.scaleEvents() > 0, "the scaler acted");
    assertEquals(summary(x), summary(y));
    assertEquals(a.decisions(), b.decisions(), "same scaling decisions at the same virtual times");
    RunResult z = run(pickAndSpin(), scaling(0), pool(256), Simulation.Settings.defaults(), stream(trace(8, BURSTY, 300), 8));
    assertNotEquals(summary(x), summary(z), "another seed is another run");
  }

  static String summary(RunResult r) {
    return String.format("%d %d %d %d %d %d %.9f %.9f %.9f %.9f %d %d %s", r.requests(), r.completed(), r.rejected(), r.timedOut(),
        r.successes(), r.correct(), r.meanLatencyMs(), r.p99LatencyMs(), r.meanTtftMs(), r.gpuHours(), r.coldStarts(),
        r.scaleEvents(), r.servedBy());
  }

  @Test
  void everyRequestEndsExactlyOnce() {
    // one 32B replica, 4 hold slots and a 2 s max hold under 25 req/s of long answers: all three endings happen
    Scenario overloaded = new Scenario("static qwen x1", Map.of("qwen3-32b", 1), "qwen3-32b", null, null, KEYWORD);
    ReplayStream heavy = stream(trace(3, new double[][] {{90, 25}}, 800), 3);
    RunResult r = run(overloaded, scaling(1), pool(4), new Simulation.Settings(Duration.ofSeconds(2), 3), heavy);
    assertEquals(heavy.measured(), r.requests());
    assertEquals(r.requests(), r.completed() + r.rejected() + r.timedOut());
    assertTrue(r.completed() > 0 && r.rejected() > 0 && r.timedOut() > 0, summary(r));
    assertTrue(r.conserved());
    assertEquals(r.completed(), r.servedBy().values().stream().mapToInt(Integer::intValue).sum());

    ReplayStream bursty = stream(trace(4, BURSTY, 300), 4);
    RunResult s = run(pickAndSpin(), scaling(1), pool(256), Simulation.Settings.defaults(), bursty);
    assertEquals(bursty.measured(), s.requests());
    assertTrue(s.conserved(), summary(s));
  }

  @Test
  void scaleFromZeroIncursAColdStart() {
    // nothing warm: one LOW prompt at t = 5 s goes to the 8B model, which has no replica
    LabelledPrompt low = prompts.get(0);
    ReplayStream one = ReplayStream.of("one", List.of(new SimRequest(0, 5_000, low, 500, 50, 60_000)));
    Simulation sim = new Simulation(fleet, pickAndSpin(), scaling(0), pool(256), new Simulation.Settings(Duration.ofMinutes(5), 3));
    RunResult r = sim.run(one);
    assertEquals(1, r.completed(), summary(r));
    ScaleDecision first = sim.decisions().get(0);
    assertEquals(ScaleReason.SCALE_FROM_ZERO, first.reason());
    assertEquals(0, first.from());
    assertEquals("llama-3.1-8b", first.model());
    assertEquals(5_000, first.atMs(), "the held request nudges the scaler at once");
    assertEquals(1, r.coldStarts());
    double cold = fleet.latency().coldStartMs(fleet.model("llama-3.1-8b").deployment());
    assertTrue(r.meanTtftMs() >= cold, "the request waits for the cold start: TTFT " + r.meanTtftMs() + " < " + cold);
    assertTrue(r.meanLatencyMs() < cold + 10_000, "and is then served promptly: " + r.meanLatencyMs());
  }

  @Test
  void staticDeploymentNeverScales() {
    Scenario fixed = new Scenario("static all", Map.of("llama-3.1-8b", 2, "gemma-3-27b", 0, "qwen3-32b", 1), null,
        RouterKind.KEYWORD, Profile.BALANCED, KEYWORD);
    Simulation sim = new Simulation(fleet, fixed, scaling(1), pool(256), Simulation.Settings.defaults());
    RunResult r = sim.run(stream(trace(5, BURSTY, 300), 5));
    assertTrue(r.completed() > 1500);
    assertEquals(0, r.scaleEvents());
    assertEquals(0, r.coldStarts());
    assertTrue(sim.decisions().isEmpty());
    int gpus = 2 * 1 + 1 * 2;
    double[] perMinute = r.gpusPerMinute();
    assertTrue(perMinute.length >= 14, "the silent minutes are still paid for");
    for (int i = 0; i < perMinute.length - 1; i++) assertEquals(gpus, perMinute[i], 1e-9, "minute " + i);
    assertEquals(gpus * r.horizonMs() / 3.6e6, r.gpuHours(), 1e-9);
    assertEquals(Map.of("llama-3.1-8b", 2, "gemma-3-27b", 0, "qwen3-32b", 1), r.peakReplicas());
  }

  @Test
  void anAutoRoutedRequestSpillsToAWarmModelRatherThanWaitForAColdStart() {
    // a HIGH prompt with a deadline no model meets: the router falls back to the capable model, qwen3-32b, which is
    // cold; the LOW model is warm, and the cold start would miss the deadline
    LabelledPrompt high = prompts.get(2);
    ReplayStream one = ReplayStream.of("one", List.of(new SimRequest(0, 5_000, high, 500, 50, 100)));
    Simulation spill = new Simulation(fleet, pickAndSpin(), scaling(1), pool(256), Simulation.Settings.defaults());
    RunResult r = spill.run(one);
    assertEquals(1, r.completed());
    assertEquals(1, r.spilled());
    assertEquals(1, r.servedBy().get("llama-3.1-8b"), r.servedBy().toString());
    assertTrue(spill.decisions().stream().noneMatch(d -> d.model().equals("qwen3-32b")), "no cold start for it: " + spill.decisions());

    Simulation hold = new Simulation(fleet, pickAndSpin(), scaling(1), pool(256),
        new Simulation.Settings(Duration.ofMinutes(5), 3).withoutSpill());
    RunResult h = hold.run(ReplayStream.of("one", List.of(new SimRequest(0, 5_000, high, 500, 50, 100))));
    assertEquals(0, h.spilled());
    assertEquals(1, h.servedBy().get("qwen3-32b"), "without spill it waits for the cold start");
    // a client that named the model waits too
    Scenario named = new Scenario("named", null, "qwen3-32b", null, null, KEYWORD);
    RunResult n = new Simulation(fleet, named, scaling(1), pool(256), new Simulation.Settings(Duration.ofMinutes(5), 3))
        .run(ReplayStream.of("one", List.of(new SimRequest(0, 5_000, high, 500, 50, 100))));
    assertEquals(0, n.spilled());
    assertEquals(1, n.servedBy().get("qwen3-32b"));
  }

  @Test
  void aFullHoldQueueRefusesLikeTheGatewayInsteadOfOpeningAColdFallback() {
    // LOW prompts only, 40/s for 20 s at one warm LOW replica with 4 hold slots: the queue overflows at once
    List<SimRequest> burst = new ArrayList<>();
    LabelledPrompt low = prompts.get(0);
    for (int i = 0; i < 800; i++) burst.add(new SimRequest(i, i * 25.0, low, 500, 200, 60_000));
    Simulation refusing = new Simulation(fleet, pickAndSpin(), scaling(1), pool(4), Simulation.Settings.defaults());
    RunResult refused = refusing.run(ReplayStream.of("burst", burst));
    assertTrue(refused.rejected() > 0, summary(refused));
    assertEquals(Set.of("llama-3.1-8b"), scaled(refusing), "no other pool opened: " + refusing.decisions());

    Simulation retrying = new Simulation(fleet, pickAndSpin(), scaling(1), pool(4),
        Simulation.Settings.defaults().withFallbackOnOverload());
    retrying.run(ReplayStream.of("burst", burst));
    assertTrue(scaled(retrying).size() > 1, "as LiteLLM retries a 429 elsewhere: " + retrying.decisions());
  }

  private static Set<String> scaled(Simulation sim) {
    return sim.decisions().stream().filter(d -> d.to() > 0).map(d -> d.model()).collect(java.util.stream.Collectors.toSet());
  }

  @Test
  void consolidationMovesLightTrafficToTheWarmModelOfHighestValueAndSavesGpus() {
    // 15 minutes at 1.5/s over all three tiers; the MEDIUM model (gemma, the highest quality per GPU) is warm
    ScalingSettings base = scaling(0).withWarmPool(Map.of(Tier.LOW, 0, Tier.MEDIUM, 1, Tier.HIGH, 0))
        .withScaleDown(Duration.ofSeconds(60), new ScalingSettings.ScaleDown(Duration.ofSeconds(120), 0.9));
    ScalingSettings consolidating = base.withConsolidation(new ScalingSettings.Consolidation(true, 0.10));
    // deadlines of 10 minutes: a request could wait for any cold start, so routing alone would open every pool
    List<SimRequest> reqs = new ArrayList<>();
    for (SimRequest q : stream(trace(9, new double[][] {{900, 1.5}}, 300), 9).requests()) {
      reqs.add(new SimRequest(q.id(), q.atMs(), q.prompt(), q.inputTokens(), q.outputTokens(), 600_000));
    }
    ReplayStream r = ReplayStream.of("long deadlines", reqs);
    Simulation on = new Simulation(fleet, pickAndSpin(), consolidating, pool(256), Simulation.Settings.defaults());
    Simulation off = new Simulation(fleet, pickAndSpin(), base, pool(256), Simulation.Settings.defaults());
    RunResult a = on.run(r), b = off.run(r);
    // without consolidation, requests whose deadline outlasts a cold start wait for one and open the other pools
    assertTrue(off.decisions().stream().anyMatch(d -> d.reason() == ScaleReason.SCALE_FROM_ZERO && !d.model().equals("gemma-3-27b")),
        off.decisions().toString());
    // with it, the warm model absorbs them: the other pools are never opened
    assertTrue(on.decisions().stream().noneMatch(d -> d.scalesUp() && !d.model().equals("gemma-3-27b")), on.decisions().toString());
    assertTrue(a.spilled() > 0);
    assertEquals(a.completed(), (int) a.servedBy().get("gemma-3-27b"), "all on the absorbing model: " + a.servedBy());
    assertTrue(a.gpuHours() < b.gpuHours(), "fewer GPU-hours: " + a.gpuHours() + " vs " + b.gpuHours());
    assertTrue(a.conserved() && b.conserved());
  }
}
