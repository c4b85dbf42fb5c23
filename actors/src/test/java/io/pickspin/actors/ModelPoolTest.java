package io.pickspin.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.Lease;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.pool.Outcome;
import io.pickspin.pool.PoolException;
import io.pickspin.pool.PoolSettings;
import io.pickspin.pool.PoolStatus;
import io.pickspin.scaling.TestModels;
import io.pickspin.scaling.Telemetry;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ModelPoolTest {
  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static final ModelSpec SPEC =
      new ModelSpec("m", Tier.MEDIUM, "m", 0.5, 1, 2, new LatencyProfile(500, 0, 2, 1000), 0, 4, List.of());

  /** The shipped pickspin.pool.acquire-resend-interval. */
  static final Duration RESEND = Duration.ofSeconds(5);
  static final PoolSettings SETTINGS =
      new PoolSettings(8, 1.0, 2, Duration.ofMillis(50), Duration.ofMillis(200), 2, Duration.ofSeconds(30), Duration.ofMillis(500));

  final Map<String, Boolean> healthy = new ConcurrentHashMap<>();
  final TestProbe<ScalingSupervisor.Command> supervisor = testKit.createTestProbe();

  ActorRef<ModelPool.Command> spawnPool() {
    ModelPool.Deps deps =
        new ModelPool.Deps(
            SETTINGS,
            TestModels.paperLike(),
            (endpoint, timeout) -> CompletableFuture.completedFuture(healthy.getOrDefault(endpoint.id(), true)),
            Clock.systemUTC(),
            supervisor.getRef());
    return testKit.spawn(ModelPool.create(SPEC, deps));
  }

  static ReplicaStatus ready(String id) {
    return new ReplicaStatus(id, ReplicaPhase.READY, new BackendEndpoint(id, "sim", URI.create("http://127.0.0.1:9/" + id)));
  }

  static LeaseRequest request(Duration maxWait) {
    return new LeaseRequest("m", Set.of(), maxWait);
  }

  @Test
  void aRequestHeldAtZeroNudgesTheSupervisorAndIsServedWhenAReplicaIsReady() {
    ActorRef<ModelPool.Command> pool = spawnPool();
    TestProbe<ModelPool.AcquireReply> client = testKit.createTestProbe();
    pool.tell(new ModelPool.Acquire(request(Duration.ofSeconds(5)), client.getRef()));
    assertEquals(new ScalingSupervisor.Nudge("m"), supervisor.receiveMessage());
    client.expectNoMessage(Duration.ofMillis(200));

    pool.tell(new ModelPool.ReplicasChanged(List.of(ready("a"))));
    Lease lease = assertInstanceOf(ModelPool.Granted.class, client.receiveMessage()).lease();
    assertEquals("a", lease.backend().id());

    TestProbe<Telemetry> t = testKit.createTestProbe();
    pool.tell(new ModelPool.GetTelemetry(t.getRef()));
    Telemetry reading = t.receiveMessage();
    assertEquals(1, reading.arrivals());
    assertEquals(1, reading.inFlight());
    assertEquals(0, reading.held());
    assertEquals(1, reading.ready());

    pool.tell(new ModelPool.Release(lease, Outcome.success(700, 100, 20)));
    pool.tell(new ModelPool.GetTelemetry(t.getRef()));
    Telemetry after = t.receiveMessage();
    assertEquals(0, after.inFlight());
    assertEquals(700, after.meanLatencyMs(), 1e-9);
  }

  @Test
  void aHeldRequestIsRefusedWhenItsWaitRunsOut() {
    ActorRef<ModelPool.Command> pool = spawnPool();
    TestProbe<ModelPool.AcquireReply> client = testKit.createTestProbe();
    long start = System.nanoTime();
    pool.tell(new ModelPool.Acquire(request(Duration.ofMillis(300)), client.getRef()));
    ModelPool.Refused refused = assertInstanceOf(ModelPool.Refused.class, client.receiveMessage(Duration.ofSeconds(3)));
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(PoolException.Reason.TIMED_OUT, refused.reason());
    assertTrue(waitedMs >= 290, "refused after " + waitedMs + " ms");
  }

  @Test
  void aReplicaFailingItsHealthChecksLeavesRotationAndComesBack() {
    ActorRef<ModelPool.Command> pool = spawnPool();
    pool.tell(new ModelPool.ReplicasChanged(List.of(ready("a"))));
    healthy.put("a", false);
    TestProbe<PoolStatus> status = testKit.createTestProbe();
    status.awaitAssert(
        Duration.ofSeconds(3),
        () -> {
          pool.tell(new ModelPool.GetStatus(status.getRef()));
          PoolStatus s = status.receiveMessage();
          assertFalse(s.replicas().get(0).inRotation(), s.toString());
          return null;
        });
    TestProbe<ModelPool.AcquireReply> client = testKit.createTestProbe();
    pool.tell(new ModelPool.Acquire(request(Duration.ofSeconds(5)), client.getRef()));
    client.expectNoMessage(Duration.ofMillis(150));
    healthy.put("a", true);
    assertInstanceOf(ModelPool.Granted.class, client.receiveMessage(Duration.ofSeconds(3)));
  }

  @Test
  void heldRequestsAreRefusedWhenThePoolStops() {
    ActorRef<ModelPool.Command> pool = spawnPool();
    TestProbe<ModelPool.AcquireReply> client = testKit.createTestProbe();
    pool.tell(new ModelPool.Acquire(request(Duration.ofSeconds(30)), client.getRef()));
    supervisor.receiveMessage();
    testKit.stop(pool);
    ModelPool.Refused r = assertInstanceOf(ModelPool.Refused.class, client.receiveMessage());
    assertEquals(PoolException.Reason.UNAVAILABLE, r.reason());
    assertTrue(r.message().contains("stopped"), r.message());
  }

  @Test
  void anUnknownModelIsRefused() {
    ModelPool.Deps deps = new ModelPool.Deps(SETTINGS, TestModels.paperLike(), (e, t) -> null, Clock.systemUTC(), null);
    ActorRef<ModelPool.Command> pool = testKit.spawn(ModelPool.create("nope", Optional.empty(), deps));
    TestProbe<ModelPool.AcquireReply> client = testKit.createTestProbe();
    pool.tell(new ModelPool.Acquire(new LeaseRequest("nope", Set.of(), Duration.ofSeconds(1)), client.getRef()));
    ModelPool.Refused r = assertInstanceOf(ModelPool.Refused.class, client.receiveMessage());
    assertEquals(PoolException.Reason.UNAVAILABLE, r.reason());
    assertTrue(r.message().contains("nope"));
  }

  @Test
  void poolLeasesFailWithThePoolExceptionItself() throws Exception {
    ActorRef<ModelPool.Command> pool = spawnPool();
    PoolLeases leases = new PoolLeases(testKit.system(), id -> pool, Duration.ofMillis(500), RESEND, null);
    pool.tell(new ModelPool.ReplicasChanged(List.of(ready("a"))));

    Lease lease = leases.acquire(request(Duration.ofSeconds(1))).toCompletableFuture().get(3, TimeUnit.SECONDS);
    assertEquals("a", lease.backend().id());
    leases.acquire(request(Duration.ofSeconds(1))).toCompletableFuture().get(3, TimeUnit.SECONDS);
    // both slots taken, the third may not wait: 429-style refusal, unwrapped for the gateway
    CompletableFuture<Lease> third = leases.acquire(request(Duration.ZERO)).toCompletableFuture();
    third.handle((l, e) -> null).get(3, TimeUnit.SECONDS);
    PoolException e =
        assertInstanceOf(
            PoolException.class, third.handle((l, err) -> err).get(3, TimeUnit.SECONDS), "not wrapped");
    assertEquals(PoolException.Reason.OVERLOADED, e.reason());
    assertTrue(e.retryAfterSeconds() >= 1);

    leases.release(lease, Outcome.success(100, 10, 5));
    assertEquals("a", leases.acquire(request(Duration.ofSeconds(1))).toCompletableFuture().get(3, TimeUnit.SECONDS).backend().id());
  }

  @Test
  void poolLeasesTurnASilentPoolIntoTimedOut() throws Exception {
    TestProbe<ModelPool.Command> silent = testKit.createTestProbe();
    PoolLeases leases = new PoolLeases(testKit.system(), id -> silent.getRef(), Duration.ofMillis(200), RESEND, null);
    CompletableFuture<Lease> f = leases.acquire(request(Duration.ofMillis(100))).toCompletableFuture();
    ExecutionException ex = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> f.get(3, TimeUnit.SECONDS));
    PoolException e = assertInstanceOf(PoolException.class, ex.getCause());
    assertEquals(PoolException.Reason.TIMED_OUT, e.reason());
  }
}
