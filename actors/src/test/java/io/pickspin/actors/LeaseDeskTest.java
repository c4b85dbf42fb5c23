package io.pickspin.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.pool.Lease;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.pool.PoolException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class LeaseDeskTest {
  private static final ActorTestKit kit = ActorTestKit.create();
  private static final Lease LEASE = new Lease(7, "m", new BackendEndpoint("r1", "sim", URI.create("http://127.0.0.1:1")));

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static ActorRef<LeaseDesk.Command> desk(TestProbe<ModelPool.Command> pool, Duration resend) {
    return kit.spawn(LeaseDesk.create(id -> pool.getRef(), Duration.ofMillis(200), resend, Clock.systemUTC()));
  }

  private static LeaseRequest request(Duration wait) {
    return new LeaseRequest("m", Set.of(), wait);
  }

  @Test
  void anAcquireLostWithADyingNodeIsSentAgainWhenTheClusterChanges() throws Exception {
    TestProbe<ModelPool.Command> pool = kit.createTestProbe();
    ActorRef<LeaseDesk.Command> desk = desk(pool, Duration.ofSeconds(30));
    CompletableFuture<Lease> result = new CompletableFuture<>();
    desk.tell(new LeaseDesk.Request(request(Duration.ofSeconds(5)), result));
    ModelPool.Acquire first = pool.expectMessageClass(ModelPool.Acquire.class); // dropped: the pool's node died
    pool.expectNoMessage(Duration.ofMillis(300));
    desk.tell(new LeaseDesk.MembershipChanged("member removed"));
    ModelPool.Acquire again = pool.expectMessageClass(ModelPool.Acquire.class, Duration.ofSeconds(2));
    assertEquals(first.ticket(), again.ticket(), "a re-send carries the same ticket");
    again.replyTo().tell(new ModelPool.Granted(LEASE, again.ticket()));
    assertEquals(LEASE, result.get(2, TimeUnit.SECONDS));
  }

  @Test
  void anUnansweredTicketIsSentOnceMoreAfterTheResendInterval() {
    TestProbe<ModelPool.Command> pool = kit.createTestProbe();
    ActorRef<LeaseDesk.Command> desk = desk(pool, Duration.ofMillis(300));
    desk.tell(new LeaseDesk.Request(request(Duration.ofSeconds(5)), new CompletableFuture<>()));
    ModelPool.Acquire first = pool.expectMessageClass(ModelPool.Acquire.class);
    assertEquals(first.ticket(), pool.expectMessageClass(ModelPool.Acquire.class, Duration.ofSeconds(2)).ticket());
    pool.expectNoMessage(Duration.ofMillis(900));
  }

  @Test
  void aHeldTicketIsNotResentAndASecondGrantIsReleased() throws Exception {
    TestProbe<ModelPool.Command> pool = kit.createTestProbe();
    ActorRef<LeaseDesk.Command> desk = desk(pool, Duration.ofMillis(200));
    CompletableFuture<Lease> result = new CompletableFuture<>();
    desk.tell(new LeaseDesk.Request(request(Duration.ofSeconds(5)), result));
    ModelPool.Acquire a = pool.expectMessageClass(ModelPool.Acquire.class);
    a.replyTo().tell(new ModelPool.Held(a.ticket()));
    pool.expectNoMessage(Duration.ofMillis(700));
    a.replyTo().tell(new ModelPool.Granted(LEASE, a.ticket()));
    assertEquals(LEASE, result.get(2, TimeUnit.SECONDS));
    Lease duplicate = new Lease(8, "m", LEASE.backend());
    a.replyTo().tell(new ModelPool.Granted(duplicate, a.ticket()));
    ModelPool.Release release = pool.expectMessageClass(ModelPool.Release.class);
    assertEquals(duplicate, release.lease());
  }

  @Test
  void aPoolThatNeverAnswersTimesOutAfterTheWaitPlusMargin() {
    TestProbe<ModelPool.Command> pool = kit.createTestProbe();
    ActorRef<LeaseDesk.Command> desk = desk(pool, Duration.ofSeconds(10));
    CompletableFuture<Lease> result = new CompletableFuture<>();
    long start = System.nanoTime();
    desk.tell(new LeaseDesk.Request(request(Duration.ofMillis(300)), result));
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> result.get(5, TimeUnit.SECONDS));
    PoolException pe = assertInstanceOf(PoolException.class, e.getCause());
    assertEquals(PoolException.Reason.TIMED_OUT, pe.reason());
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(ms >= 450 && ms < 2000, "timed out after " + ms + " ms");
  }
}
