package io.pickspin.lab.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
  static final ScalingSettings SCALING =
      ScalingSettings.fromConfig(RlExperiment.loadConfig(Map.of()).getConfig("pickspin.scaling"));

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
    s.submit(0, 500, 100, 1e12, 1e12, (ok, lat) -> done.add(new Done(s.nowMs(), ok, lat)));
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
      s.submit(0, 1000, 600, t + 600_000, 600_000, (ok, lat) -> done.add(new Done(s.nowMs(), ok, lat)));
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
}
