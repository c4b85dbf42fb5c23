package io.pickspin.pool;

import static io.pickspin.pool.PoolCoreTest.WAIT;
import static io.pickspin.pool.PoolCoreTest.core;
import static io.pickspin.pool.PoolCoreTest.granted;
import static io.pickspin.pool.PoolCoreTest.ready;
import static io.pickspin.pool.PoolCoreTest.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

/** An operator's drain and pin of one replica (admin API), on the plain pool core. */
class PoolCoreReplicaModeTest {

  private static PoolStatus.ReplicaView view(PoolCore<String> p, String id) {
    return p.status().replicas().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
  }

  @Test
  void aDrainedReplicaGetsNoNewLeasesButItsLeaseInFlightStillEnds() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a"), ready("b")), 0);
    Lease onA = granted(p.acquire(request(WAIT, "b"), "first", 0));
    assertEquals("a", onA.backend().id());

    p.setMode("a", PoolCore.Mode.DRAINED, 10);
    PoolStatus.ReplicaView a = view(p, "a");
    assertFalse(a.inRotation());
    assertEquals(PoolCore.Mode.DRAINED, a.mode());
    assertEquals(1, a.inFlight(), "the lease granted before the drain is still running");
    assertEquals(1, p.status().readyCount());
    for (int i = 0; i < 2; i++) assertEquals("b", granted(p.acquire(request(WAIT), "r" + i, 20)).backend().id());

    p.release(onA, Outcome.success(100, 10, 5), 30);
    assertEquals(0, view(p, "a").inFlight());
    // b is full (2 slots) and a is drained: the next request waits
    assertTrue(p.acquire(request(WAIT), "waiting", 40).isEmpty());
    assertEquals(1, p.heldCount());
  }

  @Test
  void restoringADrainedReplicaServesHeldRequestsAtOnce() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a")), 0);
    p.setMode("a", PoolCore.Mode.DRAINED, 0);
    assertTrue(p.acquire(request(WAIT), "held", 5).isEmpty());

    List<PoolCore.Reply<String>> served = p.setMode("a", PoolCore.Mode.NORMAL, 50);
    assertEquals(1, served.size());
    assertEquals("held", served.get(0).handle());
    assertEquals("a", assertInstanceOf(PoolCore.Granted.class, served.get(0)).lease().backend().id());
    assertEquals(0, p.heldCount());
  }

  @Test
  void aPinnedReplicaIsPreferredWhileItHasRoomThenOthersServe() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a"), ready("b"), ready("c")), 0);
    p.setMode("c", PoolCore.Mode.PINNED, 0);
    // two slots per replica: both go to c although a and b are idle
    assertEquals("c", granted(p.acquire(request(WAIT), "r0", 1)).backend().id());
    assertEquals("c", granted(p.acquire(request(WAIT), "r1", 2)).backend().id());
    String third = granted(p.acquire(request(WAIT), "r2", 3)).backend().id();
    assertTrue(third.equals("a") || third.equals("b"), third);
    assertEquals(PoolCore.Mode.PINNED, view(p, "c").mode());
  }

  @Test
  void theModeSurvivesDriverUpdatesAndGoesWithTheReplica() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a"), ready("b")), 0);
    p.setMode("a", PoolCore.Mode.DRAINED, 0);
    p.updateReplicas(List.of(ready("a"), ready("b")), 100);
    assertEquals(PoolCore.Mode.DRAINED, view(p, "a").mode());
    assertFalse(view(p, "a").inRotation());

    p.updateReplicas(List.of(ready("b")), 200);
    p.updateReplicas(List.of(ready("a"), ready("b")), 300);
    // still keyed by id while listed; once the driver drops it, a new replica with that id starts normal
    assertEquals(PoolCore.Mode.NORMAL, view(p, "a").mode());
    assertTrue(view(p, "a").inRotation());
  }

  @Test
  void anUnknownReplicaIsRefusedWithTheKnownOnes() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a"), ready("b")), 0);
    NoSuchElementException e = assertThrows(NoSuchElementException.class, () -> p.setMode("zz", PoolCore.Mode.DRAINED, 0));
    assertTrue(e.getMessage().contains("zz") && e.getMessage().contains("a, b"), e.getMessage());
  }
}
