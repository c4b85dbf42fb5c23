package io.pickspin.http;

import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteExplanation;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.RoutingPolicy;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs the routing decisions that may call the learned complexity classifier (an "auto" request under the classifier,
 * hybrid or RL router) on threads of their own, a fixed number with a bounded queue, so that a classification of a few
 * milliseconds never holds a Pekko HTTP or stream thread. Decisions that cannot reach the learned classifier (a named
 * model, the keyword router) take microseconds and are made on the caller's thread.
 *
 * <p>When every thread is busy and the queue is full, the request is routed at once by the keyword router on the
 * caller's thread; its decision's router reads {@code <router>-saturated/keyword} (e.g. "hybrid-saturated/keyword"),
 * and {@code onFallback} runs once for it. A request that waited in the queue longer than the maximum wait is routed the
 * same way when a thread takes it: at a rate the threads cannot classify, the queue would otherwise add its whole
 * length's classifications to every request's latency (at 1,000 req/s, 7 ms a classification and 2 threads, ~100 ms).
 */
final class ClassifierDispatcher implements AutoCloseable {
  private final RoutingPolicy routing;
  private final ThreadPoolExecutor executor;
  private final Runnable onFallback;
  private final long maxWaitNanos;

  /**
   * @param threads threads that run classifications
   * @param queueSize decisions that may wait for a thread; past it, requests fall back to the keyword router
   * @param maxWait how long a decision may wait for a thread; past it, it falls back to the keyword router as well
   * @param onFallback called for each request routed by the keyword router because the threads were saturated
   */
  ClassifierDispatcher(RoutingPolicy routing, int threads, int queueSize, Duration maxWait, Runnable onFallback) {
    if (threads < 1) throw new IllegalArgumentException("classifier threads must be >= 1");
    if (queueSize < 1) throw new IllegalArgumentException("classifier queue size must be >= 1");
    this.routing = routing;
    this.onFallback = onFallback;
    this.maxWaitNanos = maxWait.toNanos();
    this.executor =
        new ThreadPoolExecutor(
            threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queueSize), daemonThreads("pickspin-classifier-"),
            new ThreadPoolExecutor.AbortPolicy());
    // started now: a decision must not count a thread's start-up as time waited for it
    executor.prestartAllCoreThreads();
  }

  /** As {@link #explain}, the decision alone. */
  CompletableFuture<RouteDecision> decide(RouteRequest request) {
    return explain(request).thenApply(RouteExplanation::decision);
  }

  /**
   * The request's routing decision with what it was made from: completed on return when made on the caller's thread,
   * later (on a classifier thread) otherwise. It fails as {@link RoutingPolicy#explain} throws.
   */
  CompletableFuture<RouteExplanation> explain(RouteRequest request) {
    if (!mayClassify(request)) return now(() -> routing.explain(request));
    CompletableFuture<RouteExplanation> explained = new CompletableFuture<>();
    long queuedAt = System.nanoTime();
    try {
      executor.execute(() -> {
        boolean waitedTooLong = System.nanoTime() - queuedAt > maxWaitNanos;
        if (waitedTooLong) onFallback.run();
        try {
          explained.complete(waitedTooLong ? byKeyword(request) : routing.explain(request));
        } catch (RuntimeException e) {
          explained.completeExceptionally(e);
        }
      });
      return explained;
    } catch (RejectedExecutionException saturated) {
      if (!executor.isShutdown()) onFallback.run();
      return now(() -> byKeyword(request));
    }
  }

  /** The request routed by the keyword router instead, its decision marked as saturated. */
  private RouteExplanation byKeyword(RouteRequest request) {
    RouteExplanation x = routing.explain(keywordInstead(request));
    return x.withDecision(saturated(request, x.decision()));
  }

  /** Whether routing the request may call the learned classifier. */
  static boolean mayClassify(RouteRequest request) {
    return request.isAuto() && request.router() != RouterKind.KEYWORD;
  }

  /** A decision made on the caller's thread, as a completed (or failed) future. */
  private static CompletableFuture<RouteExplanation> now(Supplier<RouteExplanation> decision) {
    try {
      return CompletableFuture.completedFuture(decision.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static RouteRequest keywordInstead(RouteRequest r) {
    return new RouteRequest(r.requestedModel(), r.prompt(), r.profile(), RouterKind.KEYWORD, r.deadlineMs());
  }

  private static RouteDecision saturated(RouteRequest asked, RouteDecision d) {
    String router = asked.router() == null ? "default" : asked.router().wireName();
    return d.withRouter(router + "-saturated/" + d.router());
  }

  /** Stops taking decisions (later ones go to the keyword router, uncounted); the queued ones still run. */
  @Override
  public void close() {
    executor.shutdown();
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
