package io.pickspin.http.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.actors.ScalingSupervisor;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolStatus;
import io.pickspin.scaling.ScaleReason;
import io.pickspin.scaling.driver.ReplicaPhase;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plain parts of the pool metrics: cold-start timing, counting each scale decision once, router labels. */
class PoolMetricsLogicTest {
  static final BackendEndpoint ENDPOINT = new BackendEndpoint("r", "sim", URI.create("http://127.0.0.1:9"));

  static PoolStatus.ReplicaView starting(String id) {
    return new PoolStatus.ReplicaView(id, ReplicaPhase.STARTING, PoolCore.Health.HEALTHY, false, 0, null);
  }

  static PoolStatus.ReplicaView ready(String id) {
    return new PoolStatus.ReplicaView(id, ReplicaPhase.READY, PoolCore.Health.HEALTHY, true, 0, ENDPOINT);
  }

  static PoolStatus pool(PoolStatus.ReplicaView... replicas) {
    return new PoolStatus("m", replicas.length, 4, 0, 0, List.of(replicas));
  }

  @Test
  void aColdStartRunsFromTheFirstStartingReadingToTheFirstReadyOne() {
    ColdStarts c = new ColdStarts();
    assertEquals(List.of(), c.observe(pool(ready("a")), 0));
    assertEquals(List.of(), c.observe(pool(ready("a"), starting("b")), 1_000));
    assertEquals(List.of(), c.observe(pool(ready("a"), starting("b")), 2_000));
    assertEquals(List.of(3_500L), c.observe(pool(ready("a"), ready("b")), 4_500));
    // timed once
    assertEquals(List.of(), c.observe(pool(ready("a"), ready("b")), 5_000));
  }

  @Test
  void replicasAlreadyStartingAtTheFirstReadingOrThatVanishAreNotTimed() {
    ColdStarts c = new ColdStarts();
    c.observe(pool(starting("a")), 0);
    assertEquals(List.of(), c.observe(pool(ready("a")), 9_000), "when a was asked for is unknown");
    c.observe(pool(ready("a"), starting("b")), 10_000);
    c.observe(pool(ready("a")), 11_000);
    assertEquals(List.of(), c.observe(pool(ready("a"), ready("b")), 12_000), "b left and came back: a new replica");
  }

  static ScalingSupervisor.ScaleDecided decision(String model, int from, int to, long atMs) {
    return new ScalingSupervisor.ScaleDecided(model, from, to, ScaleReason.LOAD, null, atMs);
  }

  @Test
  void eachDecisionIsCountedOnceAndOnlyThoseSinceTheReporterStarted() {
    ScaleEvents e = new ScaleEvents();
    var old = decision("m", 0, 1, 500);
    var first = decision("m", 1, 2, 1_500);
    assertEquals(List.of(), e.fresh(List.of(old, first)), "not counting before start");
    e.start(1_000);
    assertEquals(List.of(first), e.fresh(List.of(old, first)));
    assertEquals(List.of(), e.fresh(List.of(old, first)));
    var second = decision("m", 2, 1, 2_500);
    assertEquals(List.of(second), e.fresh(List.of(first, second)));
    e.stop();
    assertEquals(List.of(), e.fresh(List.of(first, second, decision("m", 1, 3, 3_000))));
  }

  @Test
  void routerLabelsAreTheRouterFamily() {
    assertEquals("hybrid", KamonGatewayObserver.routerLabel("hybrid/keyword"));
    assertEquals("hybrid", KamonGatewayObserver.routerLabel("hybrid/keyword(no classifier)"));
    assertEquals("rl", KamonGatewayObserver.routerLabel("rl->hybrid/classifier"));
    assertEquals("classifier", KamonGatewayObserver.routerLabel("classifier-unavailable/keyword"));
    assertEquals("explicit", KamonGatewayObserver.routerLabel("explicit"));
    assertEquals("unknown", KamonGatewayObserver.routerLabel(""));
    assertTrue(KamonGatewayObserver.routerLabel("keyword").equals("keyword"));
  }
}
