package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Tier;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.UnknownModelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The classifier's own threads: who runs where, and the keyword fallback when they are saturated. */
class ClassifierDispatcherTest {
  /** Held by every decision that may classify, until released. */
  private final CountDownLatch release = new CountDownLatch(1);
  /** Counted down by every decision that may classify as it starts. */
  private final CountDownLatch started = new CountDownLatch(1);
  /** The thread each decision ran on, as "router@thread". */
  private final ConcurrentLinkedQueue<String> ranOn = new ConcurrentLinkedQueue<>();
  private final AtomicInteger fallbacks = new AtomicInteger();

  /** Routes "auto" to "small" (tier from the router); a slow classifier unless the router is keyword. */
  private final RoutingPolicy policy = r -> {
    if (!r.isAuto()) {
      if (!r.requestedModel().equals("small")) throw new UnknownModelException(r.requestedModel());
      return new RouteDecision("small", Tier.LOW, "explicit", List.of());
    }
    ranOn.add(r.router().wireName() + "@" + Thread.currentThread().getName());
    if (r.router() == RouterKind.KEYWORD) return new RouteDecision("small", Tier.LOW, "keyword", List.of("large"));
    started.countDown();
    try {
      release.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new RouteDecision("small", Tier.HIGH, r.router().wireName(), List.of());
  };

  private final ClassifierDispatcher dispatcher = new ClassifierDispatcher(policy, 1, 2, Duration.ofMinutes(1), fallbacks::incrementAndGet);

  @AfterEach
  void close() {
    release.countDown();
    dispatcher.close();
  }

  private static RouteRequest auto(RouterKind router) {
    return new RouteRequest(RouteRequest.AUTO, "What is the capital of France?", Profile.BALANCED, router, 0);
  }

  @Test
  void theClassifierRunsOnItsOwnThreadsNeverOnTheCallers() throws Exception {
    release.countDown();
    for (RouterKind router : List.of(RouterKind.CLASSIFIER, RouterKind.HYBRID, RouterKind.RL)) {
      RouteDecision d = dispatcher.decide(auto(router)).get(5, TimeUnit.SECONDS);
      assertEquals(router.wireName(), d.router());
    }
    assertEquals(3, ranOn.size());
    for (String r : ranOn) assertTrue(r.contains("@pickspin-classifier-"), "ran on " + r);
    assertEquals(0, fallbacks.get());
  }

  @Test
  void keywordRoutingAndNamedModelsAreDecidedOnTheCallersThread() {
    CompletableFuture<RouteDecision> keyword = dispatcher.decide(auto(RouterKind.KEYWORD));
    assertTrue(keyword.isDone(), "no hop to another thread");
    assertEquals("keyword", keyword.join().router());
    assertEquals("keyword@" + Thread.currentThread().getName(), ranOn.poll());
    CompletableFuture<RouteDecision> named =
        dispatcher.decide(new RouteRequest("small", "hi", Profile.BALANCED, RouterKind.CLASSIFIER, 0));
    assertTrue(named.isDone());
    assertEquals("explicit", named.join().router());
    CompletableFuture<RouteDecision> unknown =
        dispatcher.decide(new RouteRequest("nope", "hi", Profile.BALANCED, RouterKind.HYBRID, 0));
    CompletionException failed = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, unknown::join);
    assertTrue(failed.getCause() instanceof UnknownModelException, failed.toString());
    assertEquals(0, fallbacks.get());
  }

  @Test
  void whenItsThreadsAndQueueAreFullARequestIsRoutedByKeywordAtOnceAndCounted() throws Exception {
    CompletableFuture<RouteDecision> running = dispatcher.decide(auto(RouterKind.HYBRID));
    assertTrue(started.await(5, TimeUnit.SECONDS), "the one thread is busy");
    List<CompletableFuture<RouteDecision>> queued =
        List.of(dispatcher.decide(auto(RouterKind.CLASSIFIER)), dispatcher.decide(auto(RouterKind.RL)));
    assertEquals(0, fallbacks.get(), "two fit in the queue");

    CompletableFuture<RouteDecision> saturated = dispatcher.decide(auto(RouterKind.HYBRID));
    assertTrue(saturated.isDone(), "decided at once, not queued");
    RouteDecision d = saturated.join();
    assertEquals("hybrid-saturated/keyword", d.router());
    assertEquals(Tier.LOW, d.tier(), "the keyword router's tier, not the classifier's");
    assertEquals(List.of("large"), d.fallbacks());
    assertEquals(1, fallbacks.get());
    assertEquals("keyword@" + Thread.currentThread().getName(), ranOn.stream().filter(r -> r.startsWith("keyword")).findFirst().orElseThrow());
    assertFalse(running.isDone());

    release.countDown();
    assertEquals("hybrid", running.get(5, TimeUnit.SECONDS).router());
    assertEquals("classifier", queued.get(0).get(5, TimeUnit.SECONDS).router());
    assertEquals("rl", queued.get(1).get(5, TimeUnit.SECONDS).router());
    assertEquals(1, fallbacks.get(), "the queued requests were classified, not counted");
    // the threads are free again: the next request is classified
    assertEquals("classifier", dispatcher.decide(auto(RouterKind.CLASSIFIER)).get(5, TimeUnit.SECONDS).router());
    assertEquals(1, fallbacks.get());
  }

  @Test
  void aRequestThatWaitedPastTheMaximumForAThreadIsRoutedByKeywordWhenItsTurnComes() throws Exception {
    try (ClassifierDispatcher shortWait =
        new ClassifierDispatcher(policy, 1, 4, Duration.ofMillis(20), fallbacks::incrementAndGet)) {
      CompletableFuture<RouteDecision> running = shortWait.decide(auto(RouterKind.HYBRID));
      assertTrue(started.await(5, TimeUnit.SECONDS), "the one thread is busy");
      CompletableFuture<RouteDecision> waiting = shortWait.decide(auto(RouterKind.CLASSIFIER));
      Thread.sleep(100); // past the 20 ms it may wait
      assertFalse(waiting.isDone(), "queued, not refused");
      release.countDown();
      assertEquals("hybrid", running.get(5, TimeUnit.SECONDS).router());
      RouteDecision d = waiting.get(5, TimeUnit.SECONDS);
      assertEquals("classifier-saturated/keyword", d.router());
      assertEquals(Tier.LOW, d.tier(), "the keyword router's tier, not the classifier's");
      assertEquals(1, fallbacks.get());
      // one that does not wait is classified
      assertEquals("classifier", shortWait.decide(auto(RouterKind.CLASSIFIER)).get(5, TimeUnit.SECONDS).router());
      assertEquals(1, fallbacks.get());
    }
  }
}
