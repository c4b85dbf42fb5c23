package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.Lease;
import io.pickspin.pool.LeaseProvider;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.pool.Outcome;
import io.pickspin.pool.PoolException;
import io.pickspin.pool.StaticLeaseProvider;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.RoutingSettings;
import io.pickspin.sim.server.SimModel;
import io.pickspin.sim.server.SimServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gateway over real HTTP on 127.0.0.1 against in-process sim backends. */
class GatewayTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static ActorTestKit kit;
  private static SimServer fast;
  private static SimServer slow;
  private static URI deadUrl;

  @BeforeAll
  static void startBackends() throws Exception {
    kit = ActorTestKit.create("gateway-test");
    fast = SimServer.start(kit.system(), "127.0.0.1", 0, List.of(new SimModel("small-served", new LatencyProfile(5, 1, 8, 0))))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    // 20 tokens at 50 ms each: a buffered relay would hold the first token back for about a second
    slow = SimServer.start(kit.system(), "127.0.0.1", 0, List.of(new SimModel("large-served", new LatencyProfile(20, 50, 8, 0))))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    try (ServerSocket s = new ServerSocket(0)) {
      deadUrl = URI.create("http://127.0.0.1:" + s.getLocalPort()); // closed again: connections are refused
    }
  }

  @AfterAll
  static void stop() {
    fast.close();
    slow.close();
    kit.shutdownTestKit();
  }

  private static ModelSpec model(String id, Tier tier, String served, BackendEndpoint... backends) {
    return new ModelSpec(id, tier, served, 0.5, 1, 2.0, new LatencyProfile(5, 1, 8, 0), 0, backends.length, List.of(backends));
  }

  private static Catalog catalog() {
    return new Catalog(
        List.of(
            model("small", Tier.LOW, "small-served", new BackendEndpoint("fast-0", "sim", fast.baseUrl())),
            model("large", Tier.HIGH, "large-served", new BackendEndpoint("slow-0", "sim", slow.baseUrl())),
            // the first replica refuses connections: requests must end up on the second
            model(
                "flaky", Tier.MEDIUM, "small-served",
                new BackendEndpoint("dead-0", "sim", deadUrl),
                new BackendEndpoint("fast-1", "sim", fast.baseUrl())),
            model("down", Tier.MEDIUM, "small-served", new BackendEndpoint("dead-1", "sim", deadUrl))));
  }

  private static GatewaySettings settings() {
    return TestGatewaySettings.of(kit.system());
  }

  private static RoutingDefaults routingDefaults() {
    return RoutingDefaults.of(RoutingSettings.fromConfig(kit.system().settings().config().getConfig("pickspin.routing")));
  }

  /** Runs a gateway for the duration of one test. */
  private interface WithGateway {
    void run(String baseUrl) throws Exception;
  }

  private static void withGateway(LeaseProvider leases, GatewaySettings settings, WithGateway body) throws Exception {
    Catalog catalog = catalog();
    Gateway g = Gateway.start(kit.system(), settings, catalog, new MediumTierPolicy(catalog), leases)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      body.run("http://127.0.0.1:" + g.port());
    } finally {
      g.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static void withGateway(WithGateway body) throws Exception {
    withGateway(new StaticLeaseProvider(catalog()), settings(), body);
  }

  private static HttpResponse<String> post(String url, String contentType, String body) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("content-type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String chat(String model, int maxTokens, boolean stream) {
    return "{\"model\":\"" + model + "\",\"max_tokens\":" + maxTokens + ",\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}";
  }

  private static void assertOpenAiError(HttpResponse<String> r, int status, String code) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    JsonNode err = JSON.readTree(r.body()).get("error");
    assertNotNull(err, r.body());
    assertEquals(code, err.get("code").asText(), r.body());
    assertTrue(err.get("message").asText().length() > 10, "the message must say what is wrong: " + r.body());
  }

  @Test
  void reportsEachFinishedRequestWithItsProfile() throws Exception {
    record Finished(String model, Profile profile, GatewayObserver.Outcome outcome) {}
    LinkedBlockingQueue<Finished> finished = new LinkedBlockingQueue<>();
    GatewayObserver observer = new GatewayObserver() {
      @Override
      public void finished(String model, Tier tier, Profile profile, Outcome outcome, long latencyNanos, long ttftNanos) {
        finished.add(new Finished(model, profile, outcome));
      }
    };
    Catalog catalog = catalog();
    GatewaySettings settings = settings();
    Gateway g = Gateway.start(kit.system(), settings, catalog, new MediumTierPolicy(catalog),
            new StaticLeaseProvider(catalog), observer, routingDefaults(), Map.of())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      String url = "http://127.0.0.1:" + g.port() + "/v1/chat/completions";
      HttpResponse<String> ok = CLIENT.send(
          HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
              .header("x-pickspin-profile", "cost").POST(HttpRequest.BodyPublishers.ofString(chat("small", 3, true))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode(), ok.body());
      assertEquals(new Finished("small", Profile.COST, GatewayObserver.Outcome.OK), finished.poll(10, TimeUnit.SECONDS));
      String failing = "{\"model\":\"down\",\"pickspin_profile\":\"quality\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
      assertEquals(502, post(url, "application/json", failing).statusCode());
      assertEquals(new Finished("down", Profile.QUALITY, GatewayObserver.Outcome.BACKEND_ERROR), finished.poll(10, TimeUnit.SECONDS));
    } finally {
      g.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void answersAChatCompletionWithTheDecisionInHeaders() throws Exception {
    withGateway(url -> {
      HttpResponse<String> r = post(url + "/v1/chat/completions", "application/json", chat("small", 7, false));
      assertEquals(200, r.statusCode(), r.body());
      JsonNode body = JSON.readTree(r.body());
      assertEquals("chat.completion", body.get("object").asText());
      assertEquals(7, body.at("/usage/completion_tokens").asInt());
      assertEquals("small", r.headers().firstValue("x-pickspin-model").orElseThrow());
      assertEquals("fast-0", r.headers().firstValue("x-pickspin-backend").orElseThrow());
      assertEquals("low", r.headers().firstValue("x-pickspin-tier").orElseThrow());
      assertTrue(Double.parseDouble(r.headers().firstValue("x-pickspin-route-ms").orElseThrow()) >= 0);
    });
  }

  @Test
  void answersATextCompletion() throws Exception {
    withGateway(url -> {
      HttpResponse<String> r =
          post(url + "/v1/completions", "application/json", "{\"model\":\"small\",\"prompt\":\"Once upon\",\"max_tokens\":3}");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("text_completion", JSON.readTree(r.body()).get("object").asText());
    });
  }

  @Test
  void streamsTokensAsTheyAreGeneratedNotBuffered() throws Exception {
    withGateway(url -> {
      long start = System.nanoTime();
      HttpResponse<java.io.InputStream> r = CLIENT.send(
          HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).header("content-type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(chat("large", 20, true))).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, r.statusCode());
      assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
      List<Long> arrivalsMs = new ArrayList<>();
      int contentEvents = 0;
      boolean done = false;
      try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          if (!line.startsWith("data: ")) continue;
          arrivalsMs.add((System.nanoTime() - start) / 1_000_000);
          if (line.equals("data: [DONE]")) done = true;
          else if (JSON.readTree(line.substring(6)).at("/choices/0/delta/content").isTextual()) contentEvents++;
        }
      }
      assertTrue(done, "the stream must end with [DONE]");
      assertEquals(20, contentEvents);
      long first = arrivalsMs.get(0);
      long last = arrivalsMs.get(arrivalsMs.size() - 1);
      // generation takes about 20 x 50 ms; the first token must reach the client long before the last
      assertTrue(last - first >= 600, "tokens arrived together (buffered): first " + first + " ms, last " + last + " ms");
    });
  }

  @Test
  void listsTheCatalogueAndAuto() throws Exception {
    withGateway(url -> {
      HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      List<String> ids = new ArrayList<>();
      JSON.readTree(r.body()).get("data").forEach(m -> ids.add(m.get("id").asText()));
      assertEquals(List.of("auto", "small", "large", "flaky", "down"), ids);
      HttpResponse<String> one = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/models/large")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals("large", JSON.readTree(one.body()).get("id").asText());
      assertOpenAiError(
          CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/models/nope")).build(), HttpResponse.BodyHandlers.ofString()),
          404, "model_not_found");
    });
  }

  @Test
  void rejectsBadRequestsWithOpenAiErrors() throws Exception {
    withGateway(url -> {
      String chatUrl = url + "/v1/chat/completions";
      assertOpenAiError(post(chatUrl, "application/json", "{\"model\": \"small\", "), 400, "invalid_value");
      assertOpenAiError(post(chatUrl, "application/json", "{\"model\":\"small\"}"), 400, "invalid_value");
      assertOpenAiError(post(chatUrl, "application/json", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400, "invalid_value");
      assertOpenAiError(post(chatUrl, "application/json", "{\"model\":\"small\",\"messages\":[]}"), 400, "invalid_value");
      assertOpenAiError(post(chatUrl, "application/json", "[1,2]"), 400, "invalid_value");
      assertOpenAiError(post(chatUrl, "application/json", chat("no-such-model", 3, false)), 404, "model_not_found");
      assertOpenAiError(post(chatUrl, "text/plain", chat("small", 3, false)), 415, "unsupported_media_type");
      String big = "{\"model\":\"small\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(1_100_000) + "\"}]}";
      assertOpenAiError(post(chatUrl, "application/json", big), 413, "request_too_large");
      assertOpenAiError(
          post(chatUrl, "application/json", "{\"model\":\"small\",\"pickspin_profile\":\"fastest\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
          400, "invalid_value");
      assertOpenAiError(
          CLIENT.send(HttpRequest.newBuilder(URI.create(chatUrl)).build(), HttpResponse.BodyHandlers.ofString()), 405, "method_not_allowed");
      assertOpenAiError(post(url + "/v2/whatever", "application/json", "{}"), 404, "not_found");
    });
  }

  @Test
  void retriesOnAnotherReplicaWhenOneRefusesConnections() throws Exception {
    withGateway(url -> {
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> r = post(url + "/v1/chat/completions", "application/json", chat("flaky", 3, i % 2 == 0));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("fast-1", r.headers().firstValue("x-pickspin-backend").orElseThrow());
      }
    });
  }

  @Test
  void aModelWhoseOnlyReplicaIsDownIsA502QuicklyNotAHang() throws Exception {
    withGateway(url -> {
      long start = System.nanoTime();
      HttpResponse<String> r = post(url + "/v1/chat/completions", "application/json", chat("down", 3, false));
      assertOpenAiError(r, 502, "backend_unreachable");
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
    });
  }

  @Test
  void aStuckBackendIsA504AfterTheFirstByteTimeout() throws Exception {
    GatewaySettings s = settings();
    GatewaySettings shortTimeout = new GatewaySettings(
        s.host(), 0, s.maxBodyBytes(), s.connectTimeout(), Duration.ofMillis(500), s.idleTimeout(), s.maxHold(), 1,
        s.streamHoldGrace(), s.keepAliveInterval(), s.backendMaxConnections(), s.classifierThreads(), s.classifierQueueSize());
    withGateway(new StaticLeaseProvider(catalog()), shortTimeout, url -> {
      HttpResponse<String> r = CLIENT.send(
          HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).header("content-type", "application/json")
              .header("x-sim-fault", "hang").POST(HttpRequest.BodyPublishers.ofString(chat("small", 3, false))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertOpenAiError(r, 504, "backend_timeout");
    });
  }

  @Test
  void aFullHoldQueueIs429WithRetryAfter() throws Exception {
    LeaseProvider full = new LeaseProvider() {
      @Override
      public CompletionStage<Lease> acquire(LeaseRequest request) {
        return CompletableFuture.failedFuture(new PoolException(PoolException.Reason.OVERLOADED, "64 requests waiting", 7));
      }

      @Override
      public void release(Lease lease, Outcome outcome) {}
    };
    withGateway(full, settings(), url -> {
      HttpResponse<String> r = post(url + "/v1/chat/completions", "application/json", chat("small", 3, false));
      assertOpenAiError(r, 429, "model_overloaded");
      assertEquals("7", r.headers().firstValue("retry-after").orElseThrow());
    });
  }

  @Test
  void aHeldStreamGetsKeepAliveCommentsThenTheAnswerAndEveryLeaseIsReleased() throws Exception {
    // every lease is granted 1.5 s late, as when a model scales up from zero
    LateLeases slowToScale = new LateLeases(new StaticLeaseProvider(catalog()), 1500);
    StaticLeaseProvider real = slowToScale.real;
    AtomicLong acquired = slowToScale.acquired;
    LinkedBlockingQueue<Outcome> released = slowToScale.released;
    withGateway(slowToScale, quickKeepAlive(), url -> {
      HttpResponse<String> r = post(url + "/v1/chat/completions", "application/json", chat("small", 4, true));
      assertEquals(200, r.statusCode());
      assertEquals("true", r.headers().firstValue("x-pickspin-held").orElseThrow());
      String body = r.body();
      assertTrue(body.startsWith(": pickspin: waiting for a replica"), body);
      assertTrue(body.contains("\"finish_reason\":\"length\""), body);
      assertTrue(body.trim().endsWith("data: [DONE]"), body);
      HttpResponse<String> plain = post(url + "/v1/chat/completions", "application/json", chat("small", 4, false));
      assertEquals(200, plain.statusCode());
    });
    assertEquals(2, acquired.get());
    assertEquals(2, released.size());
    assertTrue(released.stream().allMatch(Outcome::ok), released.toString());
    assertEquals(0, real.inFlight("small", "fast-0"));
  }

  @Test
  void aClientThatLeavesWhileItsStreamIsHeldGetsItsLeaseReleasedWhenItComes() throws Exception {
    // the lease is granted 3 s late, long after the client has gone
    LateLeases slowToScale = new LateLeases(new StaticLeaseProvider(catalog()), 3000);
    StaticLeaseProvider real = slowToScale.real;
    LinkedBlockingQueue<Outcome> released = slowToScale.released;
    withGateway(slowToScale, quickKeepAlive(), base -> {
      URI url = URI.create(base + "/v1/chat/completions");
      String body = chat("small", 4, true);
      try (java.net.Socket socket = new java.net.Socket(url.getHost(), url.getPort())) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("POST " + url.getPath() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
            .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        assertEquals("HTTP/1.1 200 OK", in.readLine());
        for (String line; (line = in.readLine()) != null && !line.contains(": pickspin: waiting for a replica"); ) {}
      } // the client leaves while its request waits for a replica
      Outcome o = released.poll(10, TimeUnit.SECONDS);
      assertTrue(o != null && !o.ok() && !o.replicaFault(), "released, and not as the replica's fault: " + o);
      assertEquals(0, real.inFlight("small", "fast-0"));
    });
  }

  @Test
  void controlsInTheBodyAreAcceptedAndBadHeaderValuesRejected() throws Exception {
    withGateway(url -> {
      String body = "{\"model\":\"small\",\"pickspin_profile\":\"speed\",\"pickspin_deadline_ms\":500,\"max_tokens\":2,"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
      HttpResponse<String> r = post(url + "/v1/chat/completions", "application/json", body);
      assertEquals(200, r.statusCode(), r.body());
      HttpResponse<String> bad = CLIENT.send(
          HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).header("content-type", "application/json")
              .header("x-pickspin-deadline-ms", "soon").POST(HttpRequest.BodyPublishers.ofString(chat("small", 2, false))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertOpenAiError(bad, 400, "invalid_value");
    });
  }

  @Test
  void aReplicaDyingMidStreamEndsTheStreamWithAnErrorEventAndReleasesTheLease() throws Exception {
    StaticLeaseProvider leases = new StaticLeaseProvider(catalog());
    withGateway(leases, settings(), url -> {
      HttpResponse<String> r = CLIENT.send(
          HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).header("content-type", "application/json")
              .header("x-sim-fault", "reset-mid-stream").header("x-sim-fault-after", "2")
              .POST(HttpRequest.BodyPublishers.ofString(chat("small", 6, true))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertTrue(r.body().contains("\"code\":\"backend_stream_error\""), r.body());
      assertTrue(r.body().trim().endsWith("data: [DONE]"), r.body());
    });
    assertEquals(0, leases.inFlight("small", "fast-0"));
  }

  @Test
  void aPortInUseIsAClearErrorNotAHang() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      Catalog catalog = catalog();
      CompletionStage<Gateway> start =
          Gateway.start(kit.system(), settings().withPort(taken.getLocalPort()), catalog, new MediumTierPolicy(catalog),
              new StaticLeaseProvider(catalog));
      java.util.concurrent.ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(
          java.util.concurrent.ExecutionException.class, () -> start.toCompletableFuture().get(10, TimeUnit.SECONDS));
      assertTrue(failed.getCause() instanceof java.net.BindException, failed.getCause().toString());
      assertTrue(failed.getCause().getMessage().contains(":" + taken.getLocalPort()), failed.getCause().getMessage());
    }
  }

  @Test
  void aPlainAndAStreamedAnswerArriveWhole() throws Exception {
    withGateway(base -> {
      String url = base + "/v1/chat/completions";
      HttpResponse<String> plain = post(url, "application/json", chat("small", 5, false));
      assertEquals(200, plain.statusCode(), plain.body());
      assertEquals(5, JSON.readTree(plain.body()).at("/usage/completion_tokens").asInt());
      HttpResponse<String> streamed = post(url, "application/json", chat("small", 5, true));
      assertEquals(200, streamed.statusCode(), streamed.body());
      assertEquals(5, contentEvents(streamed.body()), streamed.body());
      assertTrue(streamed.body().trim().endsWith("data: [DONE]"), streamed.body());
    });
  }

  private static long contentEvents(String sse) {
    return sse.lines().filter(l -> l.startsWith("data: {"))
        .filter(l -> { try { return JSON.readTree(l.substring(6)).at("/choices/0/delta/content").isTextual(); }
                       catch (Exception e) { throw new AssertionError(l, e); } })
        .count();
  }

  @Test
  void aSlowClientGetsTheWholeStreamedAnswerAndTheLeaseIsReleasedWhenItEnds() throws Exception {
    RecordingLeases recording = new RecordingLeases(catalog());
    LinkedBlockingQueue<Outcome> released = recording.outcomes;
    int tokens = 3000; // about 3 s of generation and 500 KB of events
    withGateway(recording, settings(), base -> {
      URI url = URI.create(base + "/v1/chat/completions");
      String body = chat("small", tokens, true);
      try (java.net.Socket socket = new java.net.Socket()) {
        socket.setReceiveBufferSize(4096);
        socket.connect(new java.net.InetSocketAddress(url.getHost(), url.getPort()), 5000);
        socket.setSoTimeout(20_000);
        socket.getOutputStream().write(("POST " + url.getPath() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
            .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        Thread.sleep(1500); // takes nothing for a while, then small pieces with pauses
        java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
        byte[] piece = new byte[2048];
        java.io.InputStream in = socket.getInputStream();
        for (int n, reads = 0; (n = in.read(piece)) >= 0; reads++) {
          answer.write(piece, 0, n);
          if (reads % 16 == 0) Thread.sleep(5);
        }
        String text = answer.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("HTTP/1.1 200"), text.substring(0, Math.min(200, text.length())));
        // chunked: an event may be split across chunks, so count the events in the de-chunked body
        assertEquals(tokens, contentEvents(dechunk(text)));
        assertTrue(text.contains("data: [DONE]"));
      }
      Outcome o = released.poll(10, TimeUnit.SECONDS);
      assertTrue(o != null && o.ok(), "released when the answer ended: " + o);
    });
  }

  /** The body of a chunked HTTP/1.1 response, its chunks joined. */
  private static String dechunk(String response) {
    String rest = response.substring(response.indexOf("\r\n\r\n") + 4);
    StringBuilder body = new StringBuilder();
    while (true) {
      int eol = rest.indexOf("\r\n");
      int size = Integer.parseInt(rest.substring(0, eol).trim(), 16);
      if (size == 0) return body.toString();
      body.append(rest, eol + 2, eol + 2 + size);
      rest = rest.substring(eol + 2 + size + 2);
    }
  }

  @Test
  void aSaturatedClassifierRoutesByKeywordAnswersAndCountsIt() throws Exception {
    CountDownLatch classifying = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // "auto" under the classifier router holds its classifier thread until released; under the keyword router it does not
    RoutingPolicy holdsItsThread = r -> {
      if (r.router() != RouterKind.KEYWORD) {
        classifying.countDown();
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return new RouteDecision("small", Tier.LOW, "classifier", List.of());
      }
      return new RouteDecision("small", Tier.LOW, "keyword", List.of());
    };
    java.util.concurrent.atomic.AtomicInteger fallbacks = new java.util.concurrent.atomic.AtomicInteger();
    GatewayObserver counting = new GatewayObserver() {
      @Override
      public void classifierFallback() {
        fallbacks.incrementAndGet();
      }
    };
    GatewaySettings s = settings();
    GatewaySettings oneThreadOneSlot = new GatewaySettings(
        s.host(), 0, s.maxBodyBytes(), s.connectTimeout(), s.firstByteTimeout(), s.idleTimeout(), s.maxHold(), s.maxAttempts(),
        s.streamHoldGrace(), s.keepAliveInterval(), s.backendMaxConnections(), 1, 1);
    Catalog catalog = catalog();
    Gateway g = Gateway.start(kit.system(), oneThreadOneSlot, catalog, holdsItsThread, new StaticLeaseProvider(catalog), counting,
            routingDefaults(), Map.of())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      URI url = URI.create("http://127.0.0.1:" + g.port() + "/v1/chat/completions");
      java.util.function.Supplier<CompletableFuture<HttpResponse<String>>> classified = () -> CLIENT.sendAsync(
          HttpRequest.newBuilder(url).header("content-type", "application/json").header("x-pickspin-router", "classifier")
              .POST(HttpRequest.BodyPublishers.ofString(chat("auto", 3, false))).build(),
          HttpResponse.BodyHandlers.ofString());
      CompletableFuture<HttpResponse<String>> holding = classified.get();
      assertTrue(classifying.await(10, TimeUnit.SECONDS), "the first request takes the one classifier thread");
      // of the next two, one waits in the queue's one slot and the other is routed by keyword at once
      List<CompletableFuture<HttpResponse<String>>> next = List.of(classified.get(), classified.get());
      CompletableFuture.anyOf(next.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      HttpResponse<String> fellBack = next.stream().filter(CompletableFuture::isDone).findFirst().orElseThrow().join();
      assertEquals(200, fellBack.statusCode(), fellBack.body());
      assertEquals("classifier-saturated/keyword", fellBack.headers().firstValue("x-pickspin-router").orElseThrow());
      assertEquals(1, fallbacks.get());
      assertTrue(!holding.isDone(), "the classifier still holds the first request");

      release.countDown();
      assertEquals("classifier", holding.get(10, TimeUnit.SECONDS).headers().firstValue("x-pickspin-router").orElseThrow());
      for (CompletableFuture<HttpResponse<String>> r : next) assertEquals(200, r.get(10, TimeUnit.SECONDS).statusCode());
      assertEquals(1, fallbacks.get(), "the queued request was classified, not counted");
      // a named model and the keyword router never wait for a classifier thread
      assertEquals(200, post(url.toString(), "application/json", chat("small", 2, false)).statusCode());
    } finally {
      release.countDown();
      g.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aRequestOnAKeptConnectionWhileStoppingGetsA503ThatClosesItAndTheOneInFlightFinishes() throws Exception {
    Catalog catalog = catalog();
    Gateway g = Gateway.start(kit.system(), settings(), catalog, new MediumTierPolicy(catalog), new StaticLeaseProvider(catalog))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    byte[] get = "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    try (java.net.Socket kept = new java.net.Socket("127.0.0.1", g.port())) {
      kept.setSoTimeout(10_000);
      java.io.InputStream in = kept.getInputStream();
      kept.getOutputStream().write(get);
      assertTrue(response(in).startsWith("HTTP/1.1 200"));
      // about 2 s of answer (50 ms a token) keeps the gateway draining
      CompletableFuture<HttpResponse<String>> inFlight = CLIENT.sendAsync(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/v1/chat/completions"))
              .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(chat("large", 40, false))).build(),
          HttpResponse.BodyHandlers.ofString());
      Thread.sleep(300);
      CompletionStage<?> stopped = g.stop(Duration.ofSeconds(10));
      Thread.sleep(200);
      kept.getOutputStream().write(get);
      String refused = response(in);
      assertTrue(refused.startsWith("HTTP/1.1 503"), refused);
      assertTrue(refused.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), refused);
      assertTrue(refused.contains("shutting_down"), refused);
      assertEquals(-1, in.read(), "the connection closes after the 503");
      assertEquals(200, inFlight.get(10, TimeUnit.SECONDS).statusCode(), "the request in flight is answered whole");
      stopped.toCompletableFuture().get(15, TimeUnit.SECONDS);
    }
  }

  /** One HTTP/1.1 response with a Content-Length body, read off a raw socket. */
  private static String response(java.io.InputStream in) throws java.io.IOException {
    java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) throw new java.io.EOFException("closed after " + head.toString(StandardCharsets.US_ASCII));
      head.write(b);
    }
    String h = head.toString(StandardCharsets.US_ASCII);
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
    }
    return h + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  /** A lease provider that grants every lease {@code delayMs} late, as a pool scaling up from zero does. */
  static final class LateLeases implements LeaseProvider {
    final StaticLeaseProvider real;
    final long delayMs;
    final AtomicLong acquired = new AtomicLong();
    final LinkedBlockingQueue<Outcome> released = new LinkedBlockingQueue<>();

    LateLeases(StaticLeaseProvider real, long delayMs) {
      this.real = real;
      this.delayMs = delayMs;
    }

    @Override
    public CompletionStage<Lease> acquire(LeaseRequest request) {
      acquired.incrementAndGet();
      return CompletableFuture.supplyAsync(() -> real.acquire(request).toCompletableFuture().join(),
          CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS));
    }

    @Override
    public void release(Lease lease, Outcome outcome) {
      released.add(outcome);
      real.release(lease, outcome);
    }
  }

  /** The test settings with keep-alive comments every 200 ms after 300 ms of holding. */
  static GatewaySettings quickKeepAlive() {
    GatewaySettings s = settings();
    return new GatewaySettings(
        s.host(), 0, s.maxBodyBytes(), s.connectTimeout(), s.firstByteTimeout(), s.idleTimeout(), s.maxHold(), s.maxAttempts(),
        Duration.ofMillis(200), Duration.ofMillis(300), s.backendMaxConnections(), s.classifierThreads(), s.classifierQueueSize());
  }
}
