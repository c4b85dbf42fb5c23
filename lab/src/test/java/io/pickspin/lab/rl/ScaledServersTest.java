package io.pickspin.lab.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.PoolStateView;
import io.pickspin.scaling.ScaleDecision;
import io.pickspin.scaling.ScaleReason;
import io.pickspin.scaling.ScalingSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The product's scaler in the loop of the RL environment's servers. */
class ScaledServersTest {
  /** The shipped settings with the anchor keeping one replica warm, the count these tests are written for. */
  static final ScalingSettings SCALING = anchorWarm(
      ScalingSettings.fromConfig(RlExperiment.loadConfig(Map.of()).getConfig("pickspin.scaling")), 1);

  static ScalingSettings anchorWarm(ScalingSettings s, int replicas) {
    ScalingSettings.Consolidation c = s.consolidation();
    return s.withConsolidation(
        new ScalingSettings.Consolidation(c.enabled(), c.qualityTolerance(), replicas, c.toleranceByProfile()));
  }

  static ScaledServers scaled(int[] replicas) {
    CalibratedServers.Model m = DesFixture.servers(8, 8);
    return new ScaledServers(m.newSimulator(replicas), m, DesFixture.catalog(8, 8).models(), SCALING, replicas);
  }

  record Done(double at, boolean served, double latency) {}

  /** The slow model is the fleet's anchor (consolidation keeps one replica of it warm); the fast one may close. */
  @Test
  void aRequestForAColdPoolWaitsForAScaleFromZeroAndTheStateShowsItStarting() {
    ScaledServers s = scaled(new int[] {0, 1});
    RoutingEnv env = new RoutingEnv(DesFixture.catalog(8, 8), DesFixture.servers(8, 8), new DqnPolicy.Reward("hard", 0.5), 0);
    List<Done> done = new ArrayList<>();
    s.runUntil(1000);
    assertEquals(0, s.replicas(0) + s.starting(0));
    s.submit(0, 500, 100, 1e12, 1e12, false, (ok, lat) -> done.add(new Done(s.nowMs(), ok, lat)));
    assertTrue(done.isEmpty(), "held, not refused as a fixed deployment without a replica refuses it");
    assertEquals(1, s.queued(0));
    assertEquals(1, s.starting(0), "the held request nudged the scaler: scale from zero at once");
    assertEquals(new PoolStateView.ModelLoad(0, 1, 0, 1), env.poolView(s).load("fast"));
    double cold = DesFixture.latency().coldStartMs(DesFixture.SMALL);
    s.runUntil(1000 + cold - 1);
    assertTrue(done.isEmpty());
    assertEquals(0, s.replicas(0));
    s.runToEnd();
    assertEquals(1, done.size());
    assertTrue(done.get(0).served());
    assertTrue(done.get(0).latency() > cold, done.get(0).latency() + " vs cold start " + cold);
    assertEquals(List.of(ScaleReason.SCALE_FROM_ZERO),
        s.decisions().stream().filter(d -> d.model().equals("fast")).map(ScaleDecision::reason).toList());
  }

  @Test
  void aBacklogScalesThePoolUpAndTheRunStillEnds() {
    ScaledServers s = scaled(new int[] {1, 1});
    List<Done> done = new ArrayList<>();
    double t = 0;
    // 4 requests a second, each several seconds on a replica of 8 slots: beyond one replica
    for (int i = 0; i < 400; i++) {
      t += 250;
      s.runUntil(t);
      s.submit(0, 1000, 600, t + 600_000, 600_000, false, (ok, lat) -> done.add(new Done(s.nowMs(), ok, lat)));
    }
    List<ScaleDecision> ups = s.decisions().stream().filter(d -> d.model().equals("fast") && d.to() > d.from()).toList();
    assertFalse(ups.isEmpty(), "the scaler added replicas: " + s.decisions());
    assertTrue(s.replicas(0) > 1, "they serve by the end of the arrivals");
    s.runToEnd();
    assertEquals(400, done.size());
    assertTrue(done.stream().allMatch(Done::served));
    // one fast replica all along and more since the first scale-up, the slow anchor all along
    double end = s.nowMs();
    assertTrue(s.gpuMs(end) > end + 2 * end + (end - ups.get(0).atMs()), s.gpuMs(end) + " GPU-ms in " + end + " ms");
    assertTrue(s.gpuMs(end) <= 4 * end + 2 * end);
  }

  @Test
  void anIdlePoolIsClosedAndStopsCostingGpuTime() {
    ScaledServers s = scaled(new int[] {1, 1});
    s.runUntil(400_000);
    // the fast pool closes after the idle timeout; the slow one is the anchor and stays warm
    long idleMs = SCALING.idleTimeout().toMillis();
    assertEquals(List.of(ScaleReason.IDLE_TIMEOUT), s.decisions().stream().map(ScaleDecision::reason).toList());
    assertEquals(0, s.replicas(0));
    assertEquals(1, s.replicas(1));
    assertEquals(idleMs * 1 + 400_000 * 2, s.gpuMs(400_000), 1000 + 1e-6);
    s.runToEnd();
  }

  /** {@code fallback} after {@code model}, and every outcome the environment reports, with the model it names. */
  static final class Recording implements RoutingEnv.Router {
    final RoutingEnv.Choice choice;
    final List<Integer> outcomeModels = new ArrayList<>();

    Recording(int model, int fallback) {
      this.choice = new RoutingEnv.Choice(model, List.of(fallback));
    }

    @Override
    public RoutingEnv.Choice route(Workload.Arrival a) {
      return choice;
    }

    @Override
    public void outcome(Workload.Arrival a, int model, boolean served, double latencyMs, boolean onTime) {
      outcomeModels.add(model);
    }
  }

  static Workload.Arrival arrival(double t, long deadlineMs) {
    return new Workload.Arrival(0, t, new Workload.Prompt("p", Tier.HIGH, Tier.HIGH, new double[] {0.6, 0.8}), 500, 100, deadlineMs);
  }

  static RoutingEnv env(Catalog catalog) {
    return new RoutingEnv(catalog, DesFixture.servers(8, 8), new DqnPolicy.Reward("hard", 0.5), 0);
  }

  /** The fixture's models, the slow one cheaper per GPU: it has the higher value, and the scaler consolidates into it. */
  static Catalog consolidating() {
    return new Catalog(List.of(
        new ModelSpec("fast", Tier.LOW, "fast", 0.5, 1, 1, new LatencyProfile(50, 12, 8, 0), 0, 4, List.of()),
        new ModelSpec("slow", Tier.HIGH, "slow", 1.0, 2, 0.4, new LatencyProfile(85, 19, 8, 0), 0, 4, List.of())));
  }

  @Test
  void aRequestForAPoolTheScalerKeepsClosedSpillsToTheWarmModelAndIsCreditedToIt() {
    Catalog catalog = consolidating();
    CalibratedServers.Model m = DesFixture.servers(8, 8);
    ScaledServers s = new ScaledServers(m.newSimulator(new int[] {0, 1}), m, catalog.models(), SCALING, new int[] {0, 1});
    Recording router = new Recording(0, 1);
    // a deadline the fast model's cold start would meet: only the consolidation sends it away
    long deadline = Math.round(DesFixture.latency().coldStartMs(DesFixture.SMALL) * 10);
    List<ServingMetrics.Served> served = env(catalog).run(List.of(arrival(30_000, deadline)), s, router);
    assertEquals(1, served.size());
    assertEquals(1, served.get(0).model(), "served by the warm slow model");
    assertTrue(served.get(0).onTime());
    assertEquals(0.8, served.get(0).credit(), 1e-12, "credited with the slow model's utility");
    assertEquals(List.of(1), router.outcomeModels);
    assertTrue(s.decisions().stream().noneMatch(d -> d.model().equals("fast")), "the closed pool stays closed: " + s.decisions());
  }

  @Test
  void aRequestWhoseDeadlineTheColdStartMeetsWaitsForItsModel() {
    // fast warm; slow, the anchor, starts its warm replica at the first tick
    ScaledServers s = scaled(new int[] {1, 0});
    s.runUntil(1000);
    assertEquals(1, s.starting(1));
    double coldLeft = DesFixture.latency().coldStartMs(DesFixture.LARGE) - 1000;
    double service = DesFixture.catalog(8, 8).models().get(1).latency().serviceMs(SCALING.assumedOutputTokens());
    assertEquals(1, s.destination(1, List.of(0), coldLeft + service + 1000), "the cold start meets the deadline");
    assertEquals(0, s.destination(1, List.of(0), coldLeft + service - 1000), "it would miss this one");
    Recording router = new Recording(1, 0);
    List<ServingMetrics.Served> served =
        env(DesFixture.catalog(8, 8)).run(List.of(arrival(1000, Math.round(coldLeft + service + 60_000))), s, router);
    assertEquals(1, served.get(0).model());
    assertTrue(served.get(0).onTime());
    assertEquals(List.of(1), router.outcomeModels);
  }

  @Test
  void aPoolWhoseRequestsNamedItsModelIsNotConsolidatedAway() {
    // ten minutes of 1 req/s for the fast model, both pools warm: routed with a fallback, the scaler closes the fast
    // pool into the slow one (of higher value); named (no fallback, as a client that asked for it), it stays open
    List<Workload.Arrival> arrivals = new ArrayList<>();
    for (int i = 0; i < 600; i++) arrivals.add(arrival(1000 + 1000.0 * i, 600_000));
    Catalog catalog = consolidating();
    CalibratedServers.Model m = DesFixture.servers(8, 8);
    ScaledServers routed = new ScaledServers(m.newSimulator(new int[] {1, 1}), m, catalog.models(), SCALING, new int[] {1, 1});
    env(catalog).run(arrivals, routed, new Recording(0, 1));
    assertTrue(routed.decisions().stream().anyMatch(d -> d.model().equals("fast") && d.to() == 0),
        "routed traffic is consolidated: " + routed.decisions());
    ScaledServers named = new ScaledServers(m.newSimulator(new int[] {1, 1}), m, catalog.models(), SCALING, new int[] {1, 1});
    List<ServingMetrics.Served> served = env(catalog).run(arrivals, named, a -> RoutingEnv.Choice.only(0));
    assertTrue(named.decisions().stream().noneMatch(d -> d.model().equals("fast") && d.to() == 0),
        "named traffic keeps its pool: " + named.decisions());
    assertTrue(served.stream().allMatch(ServingMetrics.Served::onTime), "no named request waits out a cold start");
  }

  @Test
  void withNoWarmModelARequestWaitsInItsOwnPool() {
    ScaledServers s = scaled(new int[] {0, 0});
    s.runUntil(1000);
    assertEquals(0, s.replicas(0) + s.replicas(1));
    // a deadline the cold start misses, and the fallback is cold as well
    Recording router = new Recording(0, 1);
    List<ServingMetrics.Served> served = env(DesFixture.catalog(8, 8)).run(List.of(arrival(1000, 5_000)), s, router);
    assertEquals(0, served.get(0).model());
    assertFalse(served.get(0).onTime());
    assertEquals(List.of(0), router.outcomeModels);
    assertTrue(s.decisions().stream().anyMatch(d -> d.model().equals("fast") && d.from() == 0 && d.to() > 0),
        "it waits in its own pool, which scales from zero: " + s.decisions());
  }
}
