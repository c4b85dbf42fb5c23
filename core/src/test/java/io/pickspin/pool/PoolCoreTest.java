package io.pickspin.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.scaling.ArrivalStats;
import io.pickspin.scaling.DeadlineSlack;
import io.pickspin.scaling.Telemetry;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PoolCoreTest {
  /** Two requests per replica, 1 s each, 5 s cold start, at most 3 replicas. */
  static final ModelSpec SPEC =
      new ModelSpec("m", Tier.MEDIUM, "m", 0.5, 1, 2, new LatencyProfile(1000, 0, 2, 5000), 0, 3, List.of());

  static final PoolSettings SETTINGS =
      new PoolSettings(3, 1.0, 2, Duration.ofSeconds(1), Duration.ofMillis(500), 2, Duration.ofSeconds(60), Duration.ofSeconds(2));

  static PoolCore<String> core() {
    return new PoolCore<>(SPEC, SETTINGS, new ArrivalStats(Duration.ofSeconds(60)), 1000, 100);
  }

  static ReplicaStatus ready(String id) {
    return new ReplicaStatus(id, ReplicaPhase.READY, endpoint(id));
  }

  static ReplicaStatus starting(String id) {
    return new ReplicaStatus(id, ReplicaPhase.STARTING, null);
  }

  static BackendEndpoint endpoint(String id) {
    return new BackendEndpoint(id, "sim", URI.create("http://127.0.0.1:9/" + id));
  }

  static LeaseRequest request(Duration maxWait, String... exclude) {
    return new LeaseRequest("m", Set.of(exclude), maxWait);
  }

  static final Duration WAIT = Duration.ofSeconds(10);

  static Lease granted(Optional<PoolCore.Reply<String>> r) {
    assertTrue(r.isPresent(), "expected an immediate answer");
    return assertInstanceOf(PoolCore.Granted.class, r.get()).lease();
  }

  static PoolException refused(PoolCore.Reply<String> r) {
    return assertInstanceOf(PoolCore.Refused.class, r).error();
  }

  @Test
  void completedRequestsWithDeadlinesTellTheScalerWhatTheyToleratedAndWhetherTheyWereLate() {
    ArrivalStats stats = new ArrivalStats(Duration.ofSeconds(60));
    PoolCore<String> p = new PoolCore<>(SPEC, SETTINGS, stats, 1000, 100);
    p.updateReplicas(List.of(ready("a")), 0);
    // the profile serves 10 tokens in 1 s (ttft 1000 ms, no per-token time): deadlines of 3 s tolerate 3x
    p.release(granted(p.acquire(request(WAIT), "on-time", 0)), Outcome.success(1000, 100, 10).withDeadline(3000, 2000), 100);
    p.release(granted(p.acquire(request(WAIT), "late", 0)), Outcome.success(1000, 100, 10).withDeadline(3000, 4000), 200);
    // without a deadline, or without the answer's length, nothing to compare
    p.release(granted(p.acquire(request(WAIT), "none", 0)), Outcome.success(1000, 100, 10), 300);
    p.release(granted(p.acquire(request(WAIT), "no-usage", 0)), Outcome.success(1000, 100, 0).withDeadline(3000, 2000), 400);
    DeadlineSlack d = stats.deadlines(500);
    assertEquals(2, d.samples());
    assertEquals(1, d.late());
    assertEquals(0.5, d.onTimeShare(), 1e-12);
    assertTrue(d.p50() > 2.7 && d.p50() <= 3.0, "tolerated ~3x: " + d);
    // a caller that knows the request's own idle service time (500 ms) gives it: 3 s then tolerated 6x
    ArrivalStats own = new ArrivalStats(Duration.ofSeconds(60));
    PoolCore<String> q = new PoolCore<>(SPEC, SETTINGS, own, 1000, 100);
    q.updateReplicas(List.of(ready("a")), 0);
    q.release(granted(q.acquire(request(WAIT), "r", 0)), Outcome.success(1000, 100, 10).withDeadline(3000, 2000, 500), 100);
    assertTrue(own.deadlines(200).p50() > 5.4 && own.deadlines(200).p50() <= 6.0, own.deadlines(200).toString());
  }

  @Test
  void completedRequestsTellTheScalerHowMuchSlowerThanIdleTheyWereServed() {
    ArrivalStats stats = new ArrivalStats(Duration.ofSeconds(60));
    PoolCore<String> p = new PoolCore<>(SPEC, SETTINGS, stats, 1000, 100);
    p.updateReplicas(List.of(ready("a")), 0);
    assertEquals(-1, p.telemetry(0).meanSlowdown(), 1e-12);
    // 10 tokens take 1 s on an idle replica by the profile; served in 2 s, with or without a deadline
    p.release(granted(p.acquire(request(WAIT), "profile", 0)), Outcome.success(2000, 100, 10), 100);
    // the caller knows this one's own idle time: 500 ms, served in 1.5 s
    p.release(granted(p.acquire(request(WAIT), "own", 0)), Outcome.success(1500, 100, 10).withDeadline(3000, 2000, 500), 200);
    // a failure says nothing about speed
    p.release(granted(p.acquire(request(WAIT), "failed", 0)), Outcome.failure(300, "boom", true), 300);
    assertEquals((2000 + 1500) / 1500.0, p.telemetry(400).meanSlowdown(), 1e-12);
  }

  @Test
  void theTelemetryCountsRequestsWhoseClientNamedTheModel() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a")), 0);
    p.acquire(new LeaseRequest("m", Set.of(), WAIT, new long[0], true), "named", 0);
    p.acquire(request(WAIT), "routed", 0);
    assertEquals(2, p.telemetry(100).arrivals());
    assertEquals(1, p.telemetry(100).namedArrivals(), "the consolidator keeps a pool with such traffic open");
  }

  @Test
  void leasesGoToTheReplicaWithFewestOutstandingRequests() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a"), ready("b"), ready("c")), 0);
    Map<String, Integer> perBackend = new HashMap<>();
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Lease l = granted(p.acquire(request(WAIT), "r" + i, 0));
      leases.add(l);
      perBackend.merge(l.backend().id(), 1, Integer::sum);
      // after every grant no replica leads the others by more than one
      int max = perBackend.values().stream().max(Integer::compare).orElse(0);
      int min = perBackend.size() < 3 ? 0 : perBackend.values().stream().min(Integer::compare).orElse(0);
      assertTrue(max - min <= 1, perBackend.toString());
    }
    assertEquals(Map.of("a", 2, "b", 2, "c", 2), perBackend);
    assertTrue(p.acquire(request(WAIT), "r6", 0).isEmpty(), "all full: held");

    Lease onB = leases.stream().filter(l -> l.backend().id().equals("b")).findFirst().orElseThrow();
    List<PoolCore.Reply<String>> served = p.release(onB, Outcome.success(1000, 100, 10), 1000);
    assertEquals(1, served.size());
    assertEquals("r6", served.get(0).handle());
    assertEquals("b", ((PoolCore.Granted<String>) served.get(0)).lease().backend().id());
  }

  @Test
  void heldRequestsAreServedInArrivalOrderOnceAReplicaIsReady() {
    PoolCore<String> p = core();
    for (String h : List.of("h1", "h2", "h3")) assertTrue(p.acquire(request(WAIT), h, 0).isEmpty());
    assertEquals(3, p.telemetry(0).held());
    assertTrue(p.updateReplicas(List.of(starting("a")), 100).isEmpty(), "a starting replica serves nobody");

    List<PoolCore.Reply<String>> served = p.updateReplicas(List.of(ready("a")), 5000);
    assertEquals(List.of("h1", "h2"), served.stream().map(PoolCore.Reply::handle).toList());
    Lease first = ((PoolCore.Granted<String>) served.get(0)).lease();
    assertEquals(List.of("h3"), p.release(first, Outcome.success(800, 50, 5), 5800).stream().map(PoolCore.Reply::handle).toList());
    assertEquals(0, p.heldCount());
  }

  @Test
  void theBacklogAgeRestartsWhenCapacityIsAdded() {
    PoolCore<String> p = core();
    for (String h : List.of("h1", "h2", "h3")) assertTrue(p.acquire(request(WAIT), h, 0).isEmpty());
    assertEquals(800, p.telemetry(800).backlogAgeMs());
    // one replica with 2 slots takes h1 and h2 at t = 1000; h3 has waited 1000 ms, but capacity came only 500 ms ago
    assertEquals(2, p.updateReplicas(List.of(ready("a")), 1000).size());
    assertEquals(500, p.telemetry(1500).backlogAgeMs());
    assertEquals(0, core().telemetry(1500).backlogAgeMs());
  }

  @Test
  void aFullHoldQueueRefusesWithOverloadedAndARetryAfterEstimate() {
    PoolCore<String> p = core();
    for (String h : List.of("h1", "h2", "h3")) assertTrue(p.acquire(request(WAIT), h, 0).isEmpty());
    PoolException cold = refused(p.acquire(request(WAIT), "h4", 0).orElseThrow());
    assertEquals(PoolException.Reason.OVERLOADED, cold.reason());
    // nothing serves: a cold start (5 s) plus one request (1 s)
    assertEquals(6, cold.retryAfterSeconds());

    // one ready replica, 2 slots, its 2 leases out and 3 held: (3 + 1) x 1 s / 2 slots = 2 s
    PoolCore<String> busy = core();
    busy.updateReplicas(List.of(ready("a")), 0);
    granted(busy.acquire(request(WAIT), "x", 0));
    granted(busy.acquire(request(WAIT), "y", 0));
    for (String h : List.of("h1", "h2", "h3")) assertTrue(busy.acquire(request(WAIT), h, 0).isEmpty());
    PoolException overloaded = refused(busy.acquire(request(WAIT), "h4", 0).orElseThrow());
    assertEquals(PoolException.Reason.OVERLOADED, overloaded.reason());
    assertEquals(2, overloaded.retryAfterSeconds());
  }

  @Test
  void aRequestThatWillNotWaitIsRefusedAtOnce() {
    PoolCore<String> p = core();
    PoolException e = refused(p.acquire(request(Duration.ZERO), "h", 0).orElseThrow());
    assertEquals(PoolException.Reason.OVERLOADED, e.reason());
    assertEquals(0, p.heldCount());
  }

  @Test
  void heldRequestsTimeOutAtTheirDeadline() {
    PoolCore<String> p = core();
    assertTrue(p.acquire(request(Duration.ofMillis(500)), "short", 1000).isEmpty());
    assertTrue(p.acquire(request(Duration.ofMillis(900)), "long", 1000).isEmpty());
    assertEquals(1500, p.nextDeadlineMs());
    assertTrue(p.expire(1499).isEmpty());
    List<PoolCore.Reply<String>> expired = p.expire(1500);
    assertEquals(List.of("short"), expired.stream().map(PoolCore.Reply::handle).toList());
    assertEquals(PoolException.Reason.TIMED_OUT, refused(expired.get(0)).reason());
    assertEquals(1900, p.nextDeadlineMs());
    assertEquals(PoolException.Reason.TIMED_OUT, refused(p.expire(1900).get(0)).reason());
    assertEquals(-1, p.nextDeadlineMs());
  }

  @Test
  void excludedBackendsAreNotLeasedAgain() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a"), ready("b")), 0);
    assertEquals("b", granted(p.acquire(request(WAIT, "a"), "r1", 0)).backend().id());
    assertEquals("b", granted(p.acquire(request(WAIT, "a"), "r2", 0)).backend().id());
    // b is full and a excluded: wait for room on b
    assertTrue(p.acquire(request(WAIT, "a"), "r3", 0).isEmpty());
    // both tried, but the model may still get a third replica: hold
    assertTrue(p.acquire(request(WAIT, "a", "b"), "r4", 0).isEmpty());
    // no more replicas allowed: r4 can never be served, r3 still can
    List<PoolCore.Reply<String>> out = p.setTarget(2, 2, 10);
    assertEquals(List.of("r4"), out.stream().map(PoolCore.Reply::handle).toList());
    assertEquals(PoolException.Reason.UNAVAILABLE, refused(out.get(0)).reason());
    assertEquals(1, p.heldCount());
    assertEquals(
        PoolException.Reason.UNAVAILABLE, refused(p.acquire(request(WAIT, "a", "b"), "r5", 20).orElseThrow()).reason());
  }

  @Test
  void aRetryExcludingTheOnlyReplicaWaitsForANewOne() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a")), 0);
    assertTrue(p.acquire(request(WAIT, "a"), "retry", 0).isEmpty());
    List<PoolCore.Reply<String>> served = p.updateReplicas(List.of(ready("a"), ready("b")), 100);
    assertEquals("b", ((PoolCore.Granted<String>) served.get(0)).lease().backend().id());
  }

  @Test
  void replicaFaultsMakeItSuspectThenTakeItOutOfRotationUntilAHealthCheckPasses() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a"), ready("b")), 0);
    Lease onA = leaseOn(p, "a");
    p.release(onA, Outcome.failure(5, "connect", true), 10);
    assertEquals(PoolCore.Health.SUSPECT, health(p, "a"));
    // a suspect replica only gets what healthy ones have no room for
    assertEquals("b", granted(p.acquire(request(WAIT), "1", 20)).backend().id());
    assertEquals("b", granted(p.acquire(request(WAIT), "2", 20)).backend().id());
    Lease again = granted(p.acquire(request(WAIT), "3", 20));
    assertEquals("a", again.backend().id());
    p.release(again, Outcome.failure(5, "connect", true), 30);
    assertEquals(PoolCore.Health.FAILED, health(p, "a"));
    assertEquals(1, p.telemetry(30).ready());
    assertTrue(p.acquire(request(WAIT), "4", 40).isEmpty(), "b full, a failed: held");

    List<PoolCore.Reply<String>> served = p.healthChecked("a", true, 50);
    assertEquals("a", ((PoolCore.Granted<String>) served.get(0)).lease().backend().id());
    assertEquals(PoolCore.Health.HEALTHY, health(p, "a"));
  }

  @Test
  void failedHealthChecksTakeAReplicaOutOfRotation() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a")), 0);
    assertTrue(p.healthChecked("a", false, 10).isEmpty());
    assertEquals(PoolCore.Health.SUSPECT, health(p, "a"));
    assertEquals(1, p.telemetry(10).ready(), "one failed check: still serving");
    p.healthChecked("a", false, 20);
    assertEquals(PoolCore.Health.FAILED, health(p, "a"));
    assertEquals(0, p.telemetry(20).ready());
    assertTrue(p.acquire(request(WAIT), "h", 30).isEmpty());
    assertEquals(1, p.healthCheckTargets().size(), "a failed replica is still checked so that it can come back");
    assertEquals("h", p.healthChecked("a", true, 40).get(0).handle());
  }

  @Test
  void theDriversFailedAndDrainingReplicasGetNoLeases() {
    PoolCore<String> p = core();
    p.updateReplicas(
        List.of(
            new ReplicaStatus("a", ReplicaPhase.FAILED, endpoint("a")),
            new ReplicaStatus("b", ReplicaPhase.DRAINING, endpoint("b"))),
        0);
    assertTrue(p.acquire(request(WAIT), "h", 0).isEmpty());
    Telemetry t = p.telemetry(0);
    assertEquals(0, t.ready());
    assertEquals(1, t.held());
    assertEquals(1, t.arrivals());
  }

  @Test
  void noLeaseIsLostWhenAReplicaDies() {
    PoolCore<String> p = core();
    p.updateReplicas(List.of(ready("a"), starting("b")), 0);
    Lease l1 = leaseOn(p, "a");
    Lease l2 = leaseOn(p, "a");
    assertEquals(2, p.inFlight());

    // a dies with two requests on it; the gateway retries the first elsewhere and reports the fault
    p.updateReplicas(List.of(starting("b")), 100);
    assertTrue(p.acquire(request(WAIT, "a"), "retry-1", 110).isEmpty(), "held until b is ready");
    assertTrue(p.release(l1, Outcome.failure(100, "reset", true), 120).isEmpty());
    assertEquals(1, p.inFlight());
    // a late duplicate release, or one naming another backend, changes nothing
    assertTrue(p.release(l1, Outcome.failure(100, "reset", true), 130).isEmpty());
    assertTrue(p.release(new Lease(l2.id(), "m", endpoint("b")), Outcome.success(1, 1, 1), 130).isEmpty());
    assertEquals(1, p.inFlight());

    List<PoolCore.Reply<String>> served = p.updateReplicas(List.of(ready("b")), 5000);
    assertEquals("retry-1", served.get(0).handle());
    assertEquals("b", ((PoolCore.Granted<String>) served.get(0)).lease().backend().id());
    p.release(l2, Outcome.failure(100, "reset", true), 5100);
    assertEquals(1, p.inFlight());
  }

  @Test
  void aModelAllowedNoReplicaRefusesWithUnavailable() {
    PoolCore<String> p = core();
    assertTrue(p.acquire(request(WAIT), "h", 0).isEmpty());
    List<PoolCore.Reply<String>> out = p.setTarget(0, 0, 10);
    assertEquals(PoolException.Reason.UNAVAILABLE, refused(out.get(0)).reason());
    assertEquals(PoolException.Reason.UNAVAILABLE, refused(p.acquire(request(WAIT), "h2", 20).orElseThrow()).reason());
  }

  /** Random operations: every request is answered exactly once, no replica exceeds its slots, nothing leaks. */
  @Test
  void everyRequestGetsExactlyOneAnswerUnderRandomChurn() {
    for (long seed = 1; seed <= 5; seed++) {
      Random r = new Random(seed);
      PoolCore<String> p = core();
      Map<String, Integer> answers = new HashMap<>();
      List<Lease> out = new ArrayList<>();
      long now = 0;
      int issued = 0;
      for (int step = 0; step < 3000; step++) {
        now += r.nextInt(50);
        List<PoolCore.Reply<String>> replies = new ArrayList<>();
        switch (r.nextInt(6)) {
          case 0, 1 -> {
            String h = "q" + issued++;
            Set<String> ex = r.nextInt(4) == 0 ? Set.of(String.valueOf((char) ('a' + r.nextInt(3)))) : Set.of();
            p.acquire(new LeaseRequest("m", ex, Duration.ofMillis(r.nextInt(3) * 1000L)), h, now).ifPresent(replies::add);
          }
          case 2 -> {
            if (!out.isEmpty()) {
              Lease l = out.remove(r.nextInt(out.size()));
              Outcome o = r.nextInt(5) == 0 ? Outcome.failure(10, "5xx", true) : Outcome.success(200, 20, 10);
              replies.addAll(p.release(l, o, now));
            }
          }
          case 3 -> {
            List<ReplicaStatus> rs = new ArrayList<>();
            for (String id : List.of("a", "b", "c")) {
              int k = r.nextInt(5);
              if (k == 0) continue;
              ReplicaPhase phase = ReplicaPhase.values()[r.nextInt(ReplicaPhase.values().length)];
              rs.add(new ReplicaStatus(id, phase, phase == ReplicaPhase.STARTING ? null : endpoint(id)));
            }
            replies.addAll(p.updateReplicas(rs, now));
          }
          case 4 -> replies.addAll(p.healthChecked(String.valueOf((char) ('a' + r.nextInt(3))), r.nextBoolean(), now));
          default -> replies.addAll(p.expire(now));
        }
        for (PoolCore.Reply<String> reply : replies) {
          answers.merge(reply.handle(), 1, Integer::sum);
          if (reply instanceof PoolCore.Granted<String> g) out.add(g.lease());
        }
        for (PoolStatus.ReplicaView v : p.status().replicas()) assertTrue(v.inFlight() <= 2, "slots exceeded: " + v);
      }
      // wind down: everything served or expired, every lease back
      for (PoolCore.Reply<String> reply : p.updateReplicas(List.of(ready("a"), ready("b"), ready("c")), now)) {
        answers.merge(reply.handle(), 1, Integer::sum);
        if (reply instanceof PoolCore.Granted<String> g) out.add(g.lease());
      }
      for (PoolCore.Reply<String> reply : p.expire(now + 60_000)) answers.merge(reply.handle(), 1, Integer::sum);
      while (!out.isEmpty()) {
        for (PoolCore.Reply<String> reply : p.release(out.remove(0), Outcome.success(1, 1, 1), now)) {
          answers.merge(reply.handle(), 1, Integer::sum);
          if (reply instanceof PoolCore.Granted<String> g) out.add(g.lease());
        }
      }
      assertEquals(issued, answers.size(), "seed " + seed + ": every request answered");
      assertFalse(answers.values().stream().anyMatch(n -> n != 1), "seed " + seed + ": answered once each");
      assertEquals(0, p.inFlight());
      assertEquals(0, p.heldCount());
    }
  }

  private static Lease leaseOn(PoolCore<String> p, String replica) {
    Set<String> others = new java.util.HashSet<>(Set.of("a", "b", "c"));
    others.remove(replica);
    return granted(p.acquire(new LeaseRequest("m", others, WAIT), "lease-on-" + replica, 0));
  }

  private static PoolCore.Health health(PoolCore<String> p, String replica) {
    return p.status().replicas().stream().filter(v -> v.id().equals(replica)).findFirst().orElseThrow().health();
  }
}
