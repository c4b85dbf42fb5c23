package io.pickspin.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Open-loop streamed load across the gateways: each request is a streamed chat completion whose events are read as
 * they come, with their arrival times, so that a stream that was cut, resumed, duplicated or stalled shows.
 */
final class StreamLoad {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern RESUMED = Pattern.compile("^: resumed on (\\S+) after (\\d+) tokens$");

  /**
   * One stream as the client saw it.
   *
   * @param backend the x-pickspin-backend header (the replica the answer started on)
   * @param text the answer's text, its deltas joined
   * @param tokens token events
   * @param dones [DONE] events
   * @param error an error event came
   * @param resumes resume notes, and the tokens the client had at each (resent to be continued)
   * @param gapMs the longest time between the last token before a resume note and the first one after, -1 without one
   * @param failure how the connection failed, or null
   * @param firstTokenAtMs when the first token arrived, -1 without one
   * @param errorText the error event's message, or the error status's body, if any
   */
  record Stream(
      long sentAtMs, long endAtMs, int status, String backend, String text, int tokens, int dones, boolean error,
      int resumes, long resentTokens, long gapMs, String failure, boolean timedOut, long firstTokenAtMs,
      String errorText) {}

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1).build();
  private final List<URI> gateways;
  private final Duration clientTimeout;
  private final int maxTokens;
  private final String model;
  private volatile boolean stopped;
  private final java.util.concurrent.atomic.AtomicLong failovers = new java.util.concurrent.atomic.AtomicLong();
  private final List<Stream> streams = Collections.synchronizedList(new ArrayList<>());
  private final ExecutorService readers = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "stream-load");
    t.setDaemon(true);
    return t;
  });

  StreamLoad(List<URI> gateways, Duration clientTimeout, int maxTokens) {
    this(gateways, clientTimeout, maxTokens, "auto");
  }

  StreamLoad(List<URI> gateways, Duration clientTimeout, int maxTokens, String model) {
    this.gateways = List.copyOf(gateways);
    this.clientTimeout = clientTimeout;
    this.maxTokens = maxTokens;
    this.model = model;
  }

  /** Ends {@link #run} early: no more streams are sent; those in flight are still awaited. */
  void stop() {
    stopped = true;
  }

  /** Streams that a refused connection sent to another gateway. */
  long failovers() {
    return failovers.get();
  }

  private static final List<String> PROMPTS =
      List.of(
          "What is the capital of France?",
          "Summarize the plot of Hamlet in three sentences.",
          "Prove that the square root of 2 is irrational and explain why the proof works.");

  /** Streams sent so far; those that never ended within the client timeout are missing from what {@link #run} returns. */
  private volatile long sentCount;

  long sent() {
    return sentCount;
  }

  /** Sends {@code ratePerSecond} streams a second for {@code duration}, then waits for all of them to end. */
  List<Stream> run(int ratePerSecond, Duration duration) throws InterruptedException {
    long start = System.nanoTime();
    long sent = 0;
    while (!stopped && System.nanoTime() - start < duration.toNanos()) {
      long due = (System.nanoTime() - start) * ratePerSecond / 1_000_000_000L + 1;
      for (; sent < due; sent++) {
        long n = sent;
        readers.execute(() -> streams.add(stream(n)));
      }
      sentCount = sent;
      Thread.sleep(5);
    }
    readers.shutdown();
    readers.awaitTermination(clientTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    return List.copyOf(streams);
  }

  private Stream stream(long n) {
    String body = "{\"model\":\"" + model + "\",\"stream\":true,\"max_tokens\":" + maxTokens + ",\"pickspin_router\":\"keyword\","
        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPTS.get((int) (n % PROMPTS.size())) + "\"}]}";
    long sentAt = System.currentTimeMillis();
    StringBuilder text = new StringBuilder();
    int tokens = 0, dones = 0, resumes = 0, status = 0;
    long resent = 0, gap = -1, lastTokenAt = -1, resumedAt = -1, firstTokenAt = -1;
    boolean error = false;
    String errorText = null;
    String backend = "";
    try {
      Reply r = send(n, body);
      status = r.statusCode();
      backend = r.headers().firstValue("x-pickspin-backend").orElse("");
      if (status != 200) {
        try (InputStream body0 = r.body()) {
          errorText = new String(body0.readAllBytes(), StandardCharsets.UTF_8);
        }
        return new Stream(sentAt, System.currentTimeMillis(), status, backend, "", 0, 0, false, 0, 0, -1, null, false, -1,
            errorText);
      }
      try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          long now = System.currentTimeMillis();
          Matcher m = RESUMED.matcher(line);
          if (m.matches()) {
            resumes++;
            resent += Long.parseLong(m.group(2));
            resumedAt = lastTokenAt;
            continue;
          }
          if (!line.startsWith("data: ")) continue;
          String data = line.substring(6);
          if (data.equals("[DONE]")) {
            dones++;
            continue;
          }
          JsonNode event = JSON.readTree(data);
          if (event.has("error")) {
            error = true;
            errorText = event.path("error").toString();
            continue;
          }
          String piece = event.path("choices").path(0).path("delta").path("content").asText("");
          if (piece.isEmpty()) continue;
          text.append(piece);
          tokens++;
          if (firstTokenAt < 0) firstTokenAt = now;
          if (resumedAt >= 0) {
            gap = Math.max(gap, now - resumedAt);
            resumedAt = -1;
          }
          lastTokenAt = now;
        }
      }
      return new Stream(sentAt, System.currentTimeMillis(), status, backend, text.toString(), tokens, dones, error, resumes,
          resent, gap, null, false, firstTokenAt, errorText);
    } catch (IOException | InterruptedException e) {
      boolean timedOut = e instanceof java.net.http.HttpTimeoutException;
      return new Stream(sentAt, System.currentTimeMillis(), status, backend, text.toString(), tokens, dones, error,
          resumes, resent, gap, e.toString(), timedOut, firstTokenAt, errorText);
    }
  }

  /** A gateway's answer: its status, headers and body (still streaming for a 200). */
  private record Reply(int statusCode, java.net.http.HttpHeaders headers, InputStream body) {}

  /**
   * Sends to one gateway; a refused connection, or a gateway answering that it is shutting down (503 shutting_down,
   * which asks for a retry elsewhere), goes to the next, as a load balancer or the OpenAI clients' retry would.
   */
  private Reply send(long n, String body) throws IOException, InterruptedException {
    IOException last = null;
    Reply shuttingDown = null;
    for (int i = 0; i < gateways.size(); i++) {
      URI gw = gateways.get((int) ((n + i) % gateways.size()));
      HttpRequest req = HttpRequest.newBuilder(gw.resolve("/v1/chat/completions")).timeout(clientTimeout)
          .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
      try {
        HttpResponse<InputStream> r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 503) return new Reply(r.statusCode(), r.headers(), r.body());
        byte[] error;
        try (InputStream in = r.body()) {
          error = in.readAllBytes();
        }
        Reply reply = new Reply(503, r.headers(), new java.io.ByteArrayInputStream(error));
        if (!LoadDriver.shuttingDown(503, new String(error, StandardCharsets.UTF_8))) return reply;
        shuttingDown = reply;
        if (i + 1 < gateways.size()) failovers.incrementAndGet();
      } catch (java.net.ConnectException e) {
        last = e;
        if (i + 1 < gateways.size()) failovers.incrementAndGet();
      }
    }
    if (shuttingDown != null) return shuttingDown;
    throw last;
  }
}
