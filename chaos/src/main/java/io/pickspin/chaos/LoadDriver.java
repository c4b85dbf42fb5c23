package io.pickspin.chaos;

import io.pickspin.concurrent.Failures;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * Open-loop load across several gateways: requests leave at a fixed rate whatever the answers do, so a stalled cluster
 * shows up as failures or lost requests rather than as a slower client. Bounded in count and time; stops by itself.
 *
 * <p>Every request ends in exactly one {@link Result.Kind}: answered (200), rejected (an error status with a body:
 * the gateway said no), connection-failed (the gateway process was gone or died mid-request: the client knows), or
 * lost (accepted and never answered before the client timeout: the failure that must not happen).
 */
public final class LoadDriver {
  public record Result(long sentAtMs, long latencyMs, Kind kind, int status, String gateway) {
    public enum Kind {
      ANSWERED,
      REJECTED,
      CONNECTION_FAILED,
      LOST
    }
  }

  static {
    // a new connection per request, as behind an L4 load balancer: a request on a kept-alive connection to a gateway
    // that just died would fail although no gateway ever accepted it
    System.setProperty("jdk.httpclient.keepalive.timeout", "0");
  }

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1).build();
  private final List<URI> gateways;
  private final Duration clientTimeout;
  private final List<String> bodies;
  private final List<Result> results = Collections.synchronizedList(new ArrayList<>());
  private final List<CompletableFuture<Void>> pending = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong failovers = new AtomicLong();
  private volatile boolean stopped;

  /**
   * @param gateways base URLs like http://127.0.0.1:8080
   * @param clientTimeout how long a request may take before it counts as lost
   */
  public LoadDriver(List<URI> gateways, Duration clientTimeout, String model, int maxTokens) {
    this.gateways = List.copyOf(gateways);
    this.clientTimeout = clientTimeout;
    // one prompt per tier, so that "auto" exercises every model's pool
    this.bodies =
        PROMPTS.stream()
            .map(
                prompt ->
                    "{\"model\":\"" + model + "\",\"max_tokens\":" + maxTokens + ",\"pickspin_router\":\"keyword\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}")
            .toList();
  }

  private static final List<String> PROMPTS =
      List.of(
          "What is the capital of France?",
          "Summarize the plot of Hamlet in three sentences.",
          "Prove that the square root of 2 is irrational and explain why the proof works.");

  /**
   * Sends at {@code ratePerSecond} (read again every tick, so a scenario can burst) until {@code duration} has passed
   * or {@link #stop()} is called, then waits for every request to end.
   */
  public List<Result> run(IntSupplier ratePerSecond, Duration duration, long maxRequests) throws InterruptedException {
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    double credit = 0;
    long last = start;
    while (!stopped && System.nanoTime() < end && sent.get() < maxRequests) {
      long now = System.nanoTime();
      credit += ratePerSecond.getAsInt() * (now - last) / 1e9;
      last = now;
      while (credit >= 1 && sent.get() < maxRequests) {
        credit -= 1;
        send();
      }
      Thread.sleep(5);
    }
    CompletableFuture<?>[] all;
    synchronized (pending) {
      all = pending.toArray(new CompletableFuture<?>[0]);
    }
    try {
      CompletableFuture.allOf(all).get(clientTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // each future records its own outcome; a stuck one is reported as lost below
    }
    return snapshot();
  }

  public void stop() {
    stopped = true;
  }

  public List<Result> snapshot() {
    synchronized (results) {
      return List.copyOf(results);
    }
  }

  private void send() {
    long n = sent.getAndIncrement();
    String body = bodies.get((int) (n % bodies.size()));
    long sentAt = System.currentTimeMillis();
    CompletableFuture<Void> f =
        attempt((int) (n % gateways.size()), body, gateways.size())
            .handle(
                (answer, err) -> {
                  long latency = System.currentTimeMillis() - sentAt;
                  HttpResponse<String> resp = answer == null ? null : answer.response();
                  String gw = answer == null ? "" : answer.gateway().toString();
                  results.add(new Result(sentAt, latency, classify(resp, err), resp == null ? 0 : resp.statusCode(), gw));
                  return null;
                });
    pending.add(f);
  }

  private record Answer(URI gateway, HttpResponse<String> response) {}

  /**
   * Sends to one gateway; a refused connection (never accepted, so nothing can be lost), or a gateway answering that it
   * is shutting down (503 shutting_down: it did not take the request), moves on to the next one, as a load balancer in
   * front of the gateways or the OpenAI clients' retry would.
   */
  private CompletableFuture<Answer> attempt(int index, String body, int triesLeft) {
    URI gw = gateways.get(index % gateways.size());
    HttpRequest req =
        HttpRequest.newBuilder(gw.resolve("/v1/chat/completions"))
            .timeout(clientTimeout)
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return client
        .sendAsync(req, HttpResponse.BodyHandlers.ofString())
        .handle(
            (r, err) -> {
              if (err == null) {
                if (shuttingDown(r.statusCode(), r.body()) && triesLeft > 1) {
                  failovers.incrementAndGet();
                  return attempt(index + 1, body, triesLeft - 1);
                }
                return CompletableFuture.completedFuture(new Answer(gw, r));
              }
              Throwable c = err.getCause() != null ? err.getCause() : err;
              if (c instanceof ConnectException && triesLeft > 1) {
                failovers.incrementAndGet();
                return attempt(index + 1, body, triesLeft - 1);
              }
              return CompletableFuture.<Answer>failedFuture(c);
            })
        .thenCompose(a -> a);
  }

  /** The gateway answered that it is shutting down: it did not take the request, which another gateway may serve. */
  static boolean shuttingDown(int status, String body) {
    return status == 503 && body.contains("shutting_down");
  }

  /** Requests that a refused connection or a gateway shutting down sent to another gateway. */
  public long failovers() {
    return failovers.get();
  }

  static Result.Kind classify(HttpResponse<String> resp, Throwable err) {
    if (err != null) {
      Throwable c = Failures.unwrap(err);
      if (c instanceof HttpTimeoutException) return Result.Kind.LOST;
      return Result.Kind.CONNECTION_FAILED;
    }
    if (resp.statusCode() == 200 && resp.body().contains("\"choices\"")) return Result.Kind.ANSWERED;
    return Result.Kind.REJECTED;
  }

  /** Counts per kind, in enum order. */
  public static long[] count(List<Result> results) {
    long[] c = new long[Result.Kind.values().length];
    for (Result r : results) c[r.kind().ordinal()]++;
    return c;
  }
}
