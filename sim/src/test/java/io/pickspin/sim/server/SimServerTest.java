package io.pickspin.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pickspin.model.LatencyProfile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sim server over real HTTP on 127.0.0.1: shapes, pacing, batching, cold start, validation and faults. */
class SimServerTest {
  /** Timing upper bounds leave room for a busy 2-core machine; lower bounds are exact. */
  private static final double SLACK_MS = 1000;

  private static final LatencyProfile PACED = new LatencyProfile(200, 20, 4, 0);
  private static final LatencyProfile BATCHED = new LatencyProfile(150, 30, 2, 0);
  private static final LatencyProfile SINGLE = new LatencyProfile(20, 50, 1, 0);

  private static ActorSystem<Void> system;
  private static SimServer server;
  private static SimHttp http;
  private static ExecutorService pool;

  @BeforeAll
  static void start() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "sim-server-test");
    server = SimServer.start(system, "127.0.0.1", 0, List.of(
            new SimModel("fast", new LatencyProfile(0, 0, 4, 0)),
            new SimModel("paced", PACED),
            new SimModel("batched", BATCHED),
            new SimModel("single", SINGLE)))
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
    http = new SimHttp(server.baseUrl());
    pool = Executors.newCachedThreadPool();
  }

  @AfterAll
  static void stop() {
    if (pool != null) pool.shutdownNow();
    if (server != null) server.close();
    if (system != null) system.terminate();
  }

  private static String chat(String model, String extra) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
        + "{\"role\":\"user\",\"content\":\"one two  three\\nfour\"}]" + extra + "}";
  }

  private static String[] words(String text) {
    return text.split(" ", -1);
  }

  @Test
  void baseUrlPointsAtTheBoundPort() {
    assertEquals("http://127.0.0.1:" + server.port(), server.baseUrl().toString());
    assertTrue(server.port() > 0);
  }

  @Test
  void nonStreamingChatHasOpenAiShapeAndUsage() throws Exception {
    long before = System.currentTimeMillis() / 1000;
    HttpResponse<String> response = http.post("/v1/chat/completions", chat("fast", ",\"max_tokens\":7"));
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    JsonNode body = SimHttp.json(response.body());
    assertTrue(body.path("id").asText().startsWith("chatcmpl-"), body.toString());
    assertEquals("chat.completion", body.path("object").asText());
    assertEquals("fast", body.path("model").asText());
    long created = body.path("created").asLong();
    assertTrue(created >= before && created <= before + 5, "created " + created);
    JsonNode choice = body.path("choices").get(0);
    assertEquals(0, choice.path("index").asInt());
    assertEquals("assistant", choice.path("message").path("role").asText());
    assertEquals("length", choice.path("finish_reason").asText());
    String content = choice.path("message").path("content").asText();
    assertEquals(7, words(content).length, content);
    assertTrue(Arrays.stream(words(content)).allMatch(w -> w.matches("[a-z]+")), content);
    JsonNode usage = body.path("usage");
    assertEquals(6, usage.path("prompt_tokens").asInt(), "'be brief' + 'one two three four'");
    assertEquals(7, usage.path("completion_tokens").asInt());
    assertEquals(13, usage.path("total_tokens").asInt());
  }

  @Test
  void withoutALimitTheDefaultLengthAppliesAndTheAnswerStops() throws Exception {
    int defaultTokens = system.settings().config().getInt("pickspin.sim.default-max-tokens");
    JsonNode body = SimHttp.json(http.post("/v1/chat/completions", chat("fast", "")).body());
    assertEquals(defaultTokens, body.path("usage").path("completion_tokens").asInt());
    assertEquals(defaultTokens, words(body.path("choices").get(0).path("message").path("content").asText()).length);
    assertEquals("stop", body.path("choices").get(0).path("finish_reason").asText());

    JsonNode limited = SimHttp.json(
        http.post("/v1/chat/completions", chat("fast", ",\"max_completion_tokens\":3,\"max_tokens\":9")).body());
    assertEquals(3, limited.path("usage").path("completion_tokens").asInt(), "max_completion_tokens wins");
  }

  @Test
  void nonStreamingCompletionsHaveTextCompletionShape() throws Exception {
    HttpResponse<String> response = http.post("/v1/completions",
        "{\"model\":\"fast\",\"prompt\":\"  say   hello please \",\"max_tokens\":5,\"temperature\":0.2}");
    assertEquals(200, response.statusCode(), response.body());
    JsonNode body = SimHttp.json(response.body());
    assertTrue(body.path("id").asText().startsWith("cmpl-"));
    assertEquals("text_completion", body.path("object").asText());
    assertEquals(5, words(body.path("choices").get(0).path("text").asText()).length);
    assertEquals("length", body.path("choices").get(0).path("finish_reason").asText());
    assertEquals(3, body.path("usage").path("prompt_tokens").asInt());
    assertEquals(8, body.path("usage").path("total_tokens").asInt());
  }

  @Test
  void streamingChatPacesOneChunkPerTokenAndEndsWithUsageAndDone() throws Exception {
    int n = 10;
    SimHttp.Stream stream = http.stream(http.postJson("/v1/chat/completions",
        chat("paced", ",\"max_tokens\":" + n + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}")));
    assertNull(stream.failure());
    assertEquals(200, stream.status());
    assertTrue(stream.contentType().startsWith("text/event-stream"), stream.contentType());

    List<JsonNode> tokens = stream.tokenChunks();
    assertEquals(n, tokens.size());
    assertEquals("assistant", tokens.get(0).path("choices").get(0).path("delta").path("role").asText());
    assertFalse(tokens.get(1).path("choices").get(0).path("delta").has("role"));
    StringBuilder text = new StringBuilder();
    for (JsonNode token : tokens) {
      assertEquals("chat.completion.chunk", token.path("object").asText());
      assertEquals(tokens.get(0).path("id").asText(), token.path("id").asText());
      text.append(token.path("choices").get(0).path("delta").path("content").asText());
    }
    assertEquals(n, words(text.toString()).length, "deltas join into single-space-separated words: " + text);

    List<SimHttp.Event> events = stream.events();
    assertEquals(n + 3, events.size(), "tokens, finish, usage, [DONE]");
    JsonNode finish = events.get(n).json().path("choices").get(0);
    assertEquals("length", finish.path("finish_reason").asText());
    assertTrue(finish.path("delta").isEmpty());
    JsonNode usageChunk = events.get(n + 1).json();
    assertTrue(usageChunk.path("choices").isArray() && usageChunk.path("choices").isEmpty());
    assertEquals(n, usageChunk.path("usage").path("completion_tokens").asInt());
    assertEquals(6, usageChunk.path("usage").path("prompt_tokens").asInt());
    assertEquals("[DONE]", events.get(n + 2).data());

    double serviceMs = PACED.serviceMs(n);
    assertTrue(stream.firstMs() >= PACED.ttftMs(), "TTFT " + stream.firstMs());
    assertTrue(stream.firstMs() < PACED.ttftMs() + SLACK_MS, "TTFT " + stream.firstMs());
    double lastToken = events.get(n - 1).atMs();
    assertTrue(lastToken >= serviceMs, "last token at " + lastToken + " < " + serviceMs);
    assertTrue(lastToken < serviceMs + SLACK_MS, "last token at " + lastToken);
    for (int k = 1; k <= n; k++) {
      double at = events.get(k - 1).atMs();
      assertTrue(at >= PACED.serviceMs(k), "token " + k + " arrived at " + at + " ms, before its time");
    }
  }

  @Test
  void embeddingsHaveOpenAiShapeUsageAndDeterministicUnitVectors() throws Exception {
    HttpResponse<String> response = http.post("/v1/embeddings",
        "{\"model\":\"fast\",\"input\":[\"the cat sat\",\"The  cat sat\",\"stock prices fell sharply\"]}");
    assertEquals(200, response.statusCode(), response.body());
    JsonNode body = SimHttp.json(response.body());
    assertEquals("list", body.get("object").asText());
    assertEquals("fast", body.get("model").asText());
    assertEquals(3 + 3 + 4, body.at("/usage/prompt_tokens").asInt());
    assertEquals(10, body.at("/usage/total_tokens").asInt());
    JsonNode data = body.get("data");
    assertEquals(3, data.size());
    double[][] v = new double[3][];
    for (int i = 0; i < 3; i++) {
      assertEquals("embedding", data.get(i).get("object").asText());
      assertEquals(i, data.get(i).get("index").asInt());
      JsonNode e = data.get(i).get("embedding");
      assertEquals(Embeddings.DEFAULT_DIMENSIONS, e.size());
      v[i] = new double[e.size()];
      for (int k = 0; k < e.size(); k++) v[i][k] = e.get(k).asDouble();
      assertEquals(1.0, dot(v[i], v[i]), 1e-5, "unit length");
    }
    assertEquals(1.0, dot(v[0], v[1]), 1e-6, "the same words in another case and spacing: the same vector");
    assertTrue(dot(v[0], v[2]) < 0.9, "other words point elsewhere: " + dot(v[0], v[2]));
    // again: the same answer
    JsonNode again = SimHttp.json(http.post("/v1/embeddings", "{\"model\":\"fast\",\"input\":\"the cat sat\"}").body());
    assertEquals(data.get(0).get("embedding"), again.at("/data/0/embedding"));

    JsonNode ids = SimHttp.json(http.post("/v1/embeddings",
        "{\"model\":\"fast\",\"input\":[1,2,3],\"dimensions\":8,\"encoding_format\":\"base64\"}").body());
    assertEquals(3, ids.at("/usage/prompt_tokens").asInt());
    byte[] packed = java.util.Base64.getDecoder().decode(ids.at("/data/0/embedding").asText());
    assertEquals(8 * 4, packed.length, "8 little-endian float32s");
  }

  @Test
  void badEmbeddingsRequestsAre4xxInOpenAisShape() throws Exception {
    for (String bad : List.of("{\"model\":\"fast\"}", "{\"model\":\"fast\",\"input\":[]}",
        "{\"model\":\"fast\",\"input\":\"  \"}", "{\"model\":\"fast\",\"input\":[\"a\",{}]}",
        "{\"model\":\"fast\",\"input\":\"a\",\"dimensions\":0}", "{\"input\":\"a\"}")) {
      HttpResponse<String> r = http.post("/v1/embeddings", bad);
      assertEquals(400, r.statusCode(), bad + " -> " + r.body());
      assertNotNull(SimHttp.json(r.body()).at("/error/message").textValue(), r.body());
    }
    HttpResponse<String> unknown = http.post("/v1/embeddings", "{\"model\":\"nope\",\"input\":\"a\"}");
    assertEquals(404, unknown.statusCode());
    assertEquals("model_not_found", SimHttp.json(unknown.body()).at("/error/code").asText());
  }

  @Test
  void anEmbeddingsAnswerTakesTheModelsTtft() throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> r = http.post("/v1/embeddings", "{\"model\":\"paced\",\"input\":\"hello\"}");
    double ms = (System.nanoTime() - start) / 1e6;
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(ms >= PACED.ttftMs() && ms < PACED.ttftMs() + SLACK_MS, "took " + ms + " ms");
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  @Test
  void streamingCompletionsUseTextCompletionChunks() throws Exception {
    SimHttp.Stream stream = http.stream(http.postJson("/v1/completions",
        "{\"model\":\"fast\",\"prompt\":[\"a b\"],\"max_tokens\":4,\"stream\":true}"));
    assertNull(stream.failure());
    List<JsonNode> tokens = stream.tokenChunks();
    assertEquals(4, tokens.size());
    assertEquals("text_completion", tokens.get(0).path("object").asText());
    assertEquals(6, stream.events().size(), "4 tokens, finish, [DONE]: no usage chunk unless asked");
    assertEquals("length", stream.events().get(4).json().path("choices").get(0).path("finish_reason").asText());
    assertEquals("[DONE]", stream.events().get(5).data());
  }

  @Test
  void nonStreamingAnswerArrivesAfterTheWholeGeneration() throws Exception {
    int n = 10;
    long start = System.nanoTime();
    HttpResponse<String> response = http.post("/v1/chat/completions", chat("paced", ",\"max_tokens\":" + n));
    double elapsed = (System.nanoTime() - start) / 1e6;
    assertEquals(200, response.statusCode());
    assertEquals(n, SimHttp.json(response.body()).path("usage").path("completion_tokens").asInt());
    assertTrue(elapsed >= PACED.serviceMs(n), "answered after " + elapsed + " ms");
    assertTrue(elapsed < PACED.serviceMs(n) + SLACK_MS, "answered after " + elapsed + " ms");
  }

  @Test
  void requestsBeyondMaxBatchWaitForASlot() throws Exception {
    int n = 10;
    int concurrent = BATCHED.maxBatch() + 1;
    List<Future<SimHttp.Stream>> streams = new ArrayList<>();
    for (int i = 0; i < concurrent; i++) {
      streams.add(pool.submit(() -> http.stream(
          http.postJson("/v1/chat/completions", chat("batched", ",\"max_tokens\":" + n + ",\"stream\":true")))));
    }
    List<Double> ttfts = new ArrayList<>();
    for (Future<SimHttp.Stream> stream : streams) {
      SimHttp.Stream s = stream.get(20, TimeUnit.SECONDS);
      assertNull(s.failure());
      assertEquals(n, s.tokenChunks().size());
      ttfts.add(s.firstMs());
    }
    ttfts.sort(Double::compare);
    double serviceMs = BATCHED.serviceMs(n);
    for (int i = 0; i < BATCHED.maxBatch(); i++) {
      assertTrue(ttfts.get(i) < serviceMs, "requests within the batch start at once: " + ttfts);
    }
    double last = ttfts.get(concurrent - 1);
    assertTrue(last >= serviceMs, "the extra request waits for a whole service time: " + ttfts);
    assertTrue(last < serviceMs + BATCHED.ttftMs() + SLACK_MS, "then gets the slot: " + ttfts);
  }

  @Test
  void aClientThatGoesAwayFreesItsSlotAtOnce() throws Exception {
    HttpResponse<java.io.InputStream> longStream = http.open(http.postJson("/v1/chat/completions",
        chat("single", ",\"max_tokens\":200,\"stream\":true")));
    try (var body = longStream.body()) {
      assertTrue(body.read() >= 0, "the first token arrived");
    } // closing mid-stream drops the connection
    long start = System.nanoTime();
    HttpResponse<String> next = http.post("/v1/chat/completions", chat("single", ",\"max_tokens\":2"));
    double elapsed = (System.nanoTime() - start) / 1e6;
    assertEquals(200, next.statusCode());
    assertTrue(elapsed >= SINGLE.serviceMs(2), "answered after " + elapsed + " ms");
    assertTrue(elapsed < SINGLE.serviceMs(200) / 2, "did not wait for the abandoned stream: " + elapsed + " ms");
  }

  @Test
  void coldStartAnswers503UntilLoaded() throws Exception {
    double coldStartMs = 1500;
    long start = System.nanoTime();
    try (SimServer cold = SimServer.start(system, "127.0.0.1", 0,
        List.of(new SimModel("cold", new LatencyProfile(0, 0, 1, coldStartMs))))
        .toCompletableFuture().get(20, TimeUnit.SECONDS)) {
      SimHttp client = new SimHttp(cold.baseUrl());
      HttpResponse<String> health = client.get("/health");
      assertEquals(503, health.statusCode());
      assertEquals("loading", SimHttp.json(health.body()).path("status").asText());

      HttpResponse<String> early = client.post("/v1/chat/completions", chat("cold", ""));
      assertEquals(503, early.statusCode());
      assertEquals("model_loading", SimHttp.json(early.body()).path("error").path("code").asText());
      long retryAfter = Long.parseLong(early.headers().firstValue("retry-after").orElseThrow());
      assertTrue(retryAfter >= 1 && retryAfter <= 2, "Retry-After " + retryAfter);

      while (client.get("/health").statusCode() == 503) {
        assertTrue((System.nanoTime() - start) / 1e6 < coldStartMs + 5000, "never became ready");
        Thread.sleep(25);
      }
      double readyAfter = (System.nanoTime() - start) / 1e6;
      assertTrue(readyAfter >= coldStartMs, "ready after " + readyAfter + " ms");
      HttpResponse<String> ok = client.get("/health");
      assertEquals(200, ok.statusCode());
      assertEquals("ok", SimHttp.json(ok.body()).path("status").asText());
      assertEquals(200, client.post("/v1/chat/completions", chat("cold", ",\"max_tokens\":2")).statusCode());
    }
  }

  @Test
  void unknownModelIs404WithOpenAiError() throws Exception {
    HttpResponse<String> response = http.post("/v1/chat/completions", chat("gpt-9", ""));
    assertEquals(404, response.statusCode());
    JsonNode error = SimHttp.json(response.body()).path("error");
    assertTrue(error.path("message").asText().contains("gpt-9"));
    assertEquals("invalid_request_error", error.path("type").asText());
    assertEquals("model", error.path("param").asText());
    assertEquals("model_not_found", error.path("code").asText());
  }

  @Test
  void badRequestsAre400WithOpenAiError() throws Exception {
    assertError(400, null, http.post("/v1/chat/completions", "{\"model\":\"fast\",\"messages\":["));
    assertError(400, null, http.post("/v1/chat/completions", "[1,2]"));
    assertError(400, null, http.post("/v1/chat/completions", ""));
    assertError(400, "model",
        http.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
    assertError(400, "messages", http.post("/v1/chat/completions", "{\"model\":\"fast\"}"));
    assertError(400, "messages", http.post("/v1/chat/completions", "{\"model\":\"fast\",\"messages\":[]}"));
    assertError(400, "messages[0].role", http.post("/v1/chat/completions",
        "{\"model\":\"fast\",\"messages\":[{\"content\":\"x\"}]}"));
    assertError(400, "prompt", http.post("/v1/completions", "{\"model\":\"fast\"}"));
    assertError(400, "prompt", http.post("/v1/completions", "{\"model\":\"fast\",\"prompt\":[\"a\",\"b\"]}"));
    assertError(400, "max_tokens", http.post("/v1/chat/completions", chat("fast", ",\"max_tokens\":0")));
    assertError(400, "max_tokens", http.post("/v1/chat/completions", chat("fast", ",\"max_tokens\":\"many\"")));
    assertError(400, "max_tokens", http.post("/v1/chat/completions", chat("fast", ",\"max_tokens\":99999999")));
    assertError(400, "stream", http.post("/v1/chat/completions", chat("fast", ",\"stream\":\"yes\"")));
    assertError(400, "n", http.post("/v1/chat/completions", chat("fast", ",\"n\":3")));
    assertError(404, null, http.get("/v1/audio/speech"));
    assertError(405, null, http.get("/v1/chat/completions"));
    assertError(405, null, http.get("/v1/embeddings"));
  }

  @Test
  void oversizedBodiesAre413() throws Exception {
    SimSettings smallBodies = new SimSettings(64, 32768, 0, 1024, 5000, 20_000_000, 1000);
    try (SimServer tiny = SimServer.start(system, "127.0.0.1", 0,
        List.of(new SimModel("fast", new LatencyProfile(0, 0, 1, 0))), smallBodies)
        .toCompletableFuture().get(20, TimeUnit.SECONDS)) {
      SimHttp client = new SimHttp(tiny.baseUrl());
      String big = "{\"model\":\"fast\",\"prompt\":\"" + "word ".repeat(400) + "\"}";
      assertError(413, null, client.post("/v1/completions", big));
      HttpRequest chunked = client.request("/v1/completions").POST(HttpRequest.BodyPublishers.ofInputStream(
          () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))).build();
      assertError(413, null, client.send(chunked));
      assertEquals(200, client.post("/v1/completions", "{\"model\":\"fast\",\"prompt\":\"a\"}").statusCode());
    }
  }

  private static void assertError(int status, String param, HttpResponse<String> response) {
    assertEquals(status, response.statusCode(), response.body());
    JsonNode error = SimHttp.json(response.body()).path("error");
    assertFalse(error.path("message").asText().isBlank(), response.body());
    assertTrue(error.has("type") && error.has("param") && error.has("code"), response.body());
    if (param != null) assertEquals(param, error.path("param").asText(), response.body());
  }

  @Test
  void listsServedModels() throws Exception {
    JsonNode list = SimHttp.json(http.get("/v1/models").body());
    assertEquals("list", list.path("object").asText());
    List<String> ids = new ArrayList<>();
    list.path("data").forEach(m -> {
      assertEquals("model", m.path("object").asText());
      ids.add(m.path("id").asText());
    });
    assertEquals(List.of("fast", "paced", "batched", "single"), ids);
  }

  @Test
  void metricsLiteCountsRequests() throws Exception {
    http.post("/v1/completions", "{\"model\":\"fast\",\"prompt\":\"x\",\"max_tokens\":3}");
    JsonNode fast = SimHttp.json(http.get("/metrics-lite").body()).path("models").get(0);
    assertEquals("fast", fast.path("name").asText());
    assertTrue(fast.path("ready").asBoolean());
    assertTrue(fast.path("completed").asLong() >= 1);
    assertTrue(fast.path("output_tokens").asLong() >= 3);
    assertEquals(4, fast.path("max_batch").asInt());
  }

  // ---- fault injection ------------------------------------------------------------------------------------------

  @Test
  void resetBeforeFirstTokenAbortsWithoutAResponse() throws Exception {
    for (String extra : List.of("", ",\"stream\":true")) {
      HttpRequest request = http.postJson("/v1/chat/completions", chat("paced", extra),
          Fault.HEADER, "reset-before-first-token");
      long start = System.nanoTime();
      assertThrows(IOException.class, () -> http.open(request), "no status line, no headers");
      assertTrue((System.nanoTime() - start) / 1e6 < PACED.ttftMs(), "aborted at once");
    }
    assertEquals(200, http.post("/v1/chat/completions", chat("fast", "")).statusCode(), "server still serves");
  }

  @Test
  void resetMidStreamSendsSomeChunksThenAborts() throws Exception {
    SimHttp.Stream stream = http.stream(http.postJson("/v1/chat/completions",
        chat("paced", ",\"max_tokens\":8,\"stream\":true"), Fault.HEADER, "reset-mid-stream", Fault.AFTER_HEADER, "3"));
    assertEquals(200, stream.status());
    assertNotNull(stream.failure(), "the stream must end with a connection failure");
    assertEquals(3, stream.tokenChunks().size());
    assertEquals(3, stream.events().size(), "no finish chunk, no [DONE]");

    SimHttp.Stream byDefault = http.stream(http.postJson("/v1/chat/completions",
        chat("fast", ",\"max_tokens\":8,\"stream\":true"), Fault.HEADER, "reset-mid-stream"));
    assertNotNull(byDefault.failure());
    assertEquals(4, byDefault.tokenChunks().size(), "half the answer by default, also for a zero-latency model");
  }

  @Test
  void resetMidStreamWithoutStreamingAbortsWhenTheAnswerWouldGoOut() throws Exception {
    HttpRequest request = http.postJson("/v1/completions", "{\"model\":\"paced\",\"prompt\":\"x\",\"max_tokens\":5}",
        Fault.HEADER, "reset-mid-stream");
    long start = System.nanoTime();
    assertThrows(IOException.class, () -> http.send(request));
    double elapsed = (System.nanoTime() - start) / 1e6;
    assertTrue(elapsed >= PACED.serviceMs(5), "aborted after " + elapsed + " ms");
  }

  @Test
  void status500FaultGivesAnOpenAiError() throws Exception {
    HttpResponse<String> response =
        http.post("/v1/chat/completions", chat("fast", ""), Fault.HEADER, "status-500");
    assertEquals(500, response.statusCode());
    JsonNode error = SimHttp.json(response.body()).path("error");
    assertEquals("server_error", error.path("type").asText());
    assertEquals("sim_fault", error.path("code").asText());
  }

  @Test
  void hangNeverAnswers() throws Exception {
    HttpRequest request = http.request("/v1/chat/completions").timeout(Duration.ofMillis(700))
        .header(Fault.HEADER, "hang").POST(HttpRequest.BodyPublishers.ofString(chat("fast", ""))).build();
    long start = System.nanoTime();
    assertThrows(HttpTimeoutException.class, () -> http.send(request));
    assertTrue((System.nanoTime() - start) / 1e6 >= 700);
    assertEquals(200, http.post("/v1/chat/completions", chat("fast", "")).statusCode(), "server still serves");
  }

  @Test
  void unknownFaultIs400() throws Exception {
    assertError(400, null, http.post("/v1/chat/completions", chat("fast", ""), Fault.HEADER, "explode"));
    assertError(400, null, http.post("/v1/chat/completions", chat("fast", ""),
        Fault.HEADER, "reset-mid-stream", Fault.AFTER_HEADER, "soon"));
  }

  @Test
  void stopEndsOpenStreamsQueuedAndHangingRequests() throws Exception {
    SimServer doomed = SimServer.start(system, "127.0.0.1", 0,
            List.of(new SimModel("slow", new LatencyProfile(20, 100, 1, 0))))
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
    SimHttp client = new SimHttp(doomed.baseUrl());
    String longStream = "{\"model\":\"slow\",\"prompt\":\"x\",\"max_tokens\":200,\"stream\":true}";
    Future<SimHttp.Stream> one = pool.submit(() -> client.stream(client.postJson("/v1/completions", longStream)));
    Future<SimHttp.Stream> other = pool.submit(() -> client.stream(client.postJson("/v1/completions", longStream)));
    CompletableFuture<HttpResponse<String>> hanging = CompletableFuture.supplyAsync(() -> {
      try {
        return client.post("/v1/completions", "{\"model\":\"slow\",\"prompt\":\"x\"}", Fault.HEADER, "hang");
      } catch (IOException | InterruptedException e) {
        throw new RuntimeException(e);
      }
    }, pool);
    Thread.sleep(400); // the first stream is generating, the second waits for the only slot

    long stopStart = System.nanoTime();
    doomed.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    List<SimHttp.Stream> ended =
        new ArrayList<>(List.of(one.get(5, TimeUnit.SECONDS), other.get(5, TimeUnit.SECONDS)));
    assertTrue((System.nanoTime() - stopStart) / 1e6 < 5000);
    ended.sort((a, b) -> Integer.compare(b.tokenChunks().size(), a.tokenChunks().size()));
    SimHttp.Stream generating = ended.get(0);
    SimHttp.Stream waiting = ended.get(1);
    assertNotNull(generating.failure(), "the open stream is cut");
    int got = generating.tokenChunks().size();
    assertTrue(got >= 1 && got < 200, "the open stream had sent " + got + " tokens");
    assertTrue(waiting.tokenChunks().isEmpty(), "the other one waited for the only slot");
    assertNotNull(waiting.failure(), "and is cut too");
    ExecutionException hangEnded =
        assertThrows(ExecutionException.class, () -> hanging.get(5, TimeUnit.SECONDS), "hanging request is aborted");
    assertTrue(hangEnded.getCause().getCause() instanceof IOException, hangEnded.toString());
    assertThrows(ConnectException.class, () -> client.get("/health"), "unbound");
  }

  @Test
  void aContinuedStreamJoinedToItsPrefixIsTheUninterruptedAnswer() throws Exception {
    int n = 40;
    String whole = joinedText(http.stream(http.postJson("/v1/chat/completions",
        chat("fast", ",\"max_tokens\":" + n + ",\"stream\":true"))));
    String prefix = String.join(" ", Arrays.copyOf(words(whole), 15));
    String continued = "{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"one two\"},"
        + "{\"role\":\"assistant\",\"content\":\"" + prefix + "\"}],\"continue_final_message\":true,"
        + "\"add_generation_prompt\":false,\"max_tokens\":" + (n - 15) + ",\"stream\":true}";
    SimHttp.Stream rest = http.stream(http.postJson("/v1/chat/completions", continued));
    assertEquals(n - 15, rest.tokenChunks().size());
    assertEquals(whole, prefix + joinedText(rest));

    String text = joinedText(http.stream(http.postJson("/v1/completions",
        "{\"model\":\"fast\",\"prompt\":\"Q?\",\"max_tokens\":" + n + ",\"stream\":true}")));
    String textPrefix = String.join(" ", Arrays.copyOf(words(text), 7));
    SimHttp.Stream textRest = http.stream(http.postJson("/v1/completions",
        "{\"model\":\"fast\",\"prompt\":\"Q?" + textPrefix + "\",\"max_tokens\":" + (n - 7) + ",\"stream\":true}"));
    assertEquals(text, textPrefix + joinedText(textRest));
  }

  private static String joinedText(SimHttp.Stream stream) {
    StringBuilder text = new StringBuilder();
    for (JsonNode chunk : stream.tokenChunks()) {
      JsonNode choice = chunk.path("choices").get(0);
      text.append(choice.has("delta") ? choice.path("delta").path("content").asText() : choice.path("text").asText());
    }
    return text.toString();
  }
}
