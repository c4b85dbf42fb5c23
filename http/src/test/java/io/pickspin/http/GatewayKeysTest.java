package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import io.pickspin.keys.ApiKey;
import io.pickspin.keys.ApiKeySecrets;
import io.pickspin.keys.KeyGuard;
import io.pickspin.keys.KeyReport;
import io.pickspin.keys.TokenUsage;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.StaticLeaseProvider;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.RoutingSettings;
import io.pickspin.sim.server.SimModel;
import io.pickspin.sim.server.SimServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gateway with {@code auth = keys}: every refusal (missing, invalid, revoked key; a model outside the key's list;
 * rpm, tpm, budget), usage read from plain and streamed answers (the usage chunk the client did not ask for taken out),
 * and backend credentials sent to their backend only.
 */
class GatewayKeysTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static ActorTestKit kit;
  private static SimServer sim;
  private static HttpServer keyed;
  private static final ConcurrentLinkedQueue<String> keyedAuthorization = new ConcurrentLinkedQueue<>();
  private static URI deadUrl;

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create("gateway-keys-test");
    sim = SimServer.start(kit.system(), "127.0.0.1", 0, List.of(new SimModel("served", new LatencyProfile(5, 1, 8, 0))))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    // a backend that needs an API key: it notes the Authorization it got and answers a fixed completion
    keyed = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    keyed.createContext("/v1/chat/completions", ex -> {
      keyedAuthorization.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      ex.getRequestBody().readAllBytes();
      byte[] body = ("{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"served\",\"choices\":[{\"index\":0,"
          + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1,\"total_tokens\":5}}").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("content-type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    keyed.start();
    try (ServerSocket s = new ServerSocket(0)) {
      deadUrl = URI.create("http://127.0.0.1:" + s.getLocalPort());
    }
  }

  @AfterAll
  static void stop() {
    keyed.stop(0);
    sim.close();
    kit.shutdownTestKit();
  }

  private static ModelSpec model(String id, Tier tier, BackendEndpoint... backends) {
    return new ModelSpec(id, tier, "served", 0.5, 1, 2.0, new LatencyProfile(5, 1, 8, 0), 0, backends.length, List.of(backends));
  }

  private static Catalog catalog() {
    return new Catalog(
        List.of(
            model("small", Tier.LOW, new BackendEndpoint("sim-0", "sim", sim.baseUrl())),
            model("large", Tier.HIGH, new BackendEndpoint("sim-1", "sim", sim.baseUrl())),
            model("down", Tier.MEDIUM, new BackendEndpoint("dead-0", "sim", deadUrl)),
            model("keyed", Tier.MEDIUM, new BackendEndpoint("vllm-0", "vllm", URI.create("http://127.0.0.1:" + keyed.getAddress().getPort())))));
  }

  /** "auto" goes to "down" (which refuses connections) and falls back to "small", then "large". */
  private static RoutingPolicy policy(Catalog catalog) {
    MediumTierPolicy named = new MediumTierPolicy(catalog);
    return request -> request.isAuto()
        ? new RouteDecision("down", Tier.MEDIUM, "static", List.of("small", "large"))
        : named.decide(request);
  }

  private interface Body {
    void run(String url, KeyGuard keys) throws Exception;
  }

  private static void withGateway(BackendCredentials credentials, Body body) throws Exception {
    withGateway(credentials, "", body);
  }

  /** @param overrides HOCON inside {@code pickspin.gateway} beside {@code auth = keys} */
  private static void withGateway(BackendCredentials credentials, String overrides, Body body) throws Exception {
    Catalog catalog = catalog();
    KeyGuard keys = new KeyGuard(Clock.systemUTC());
    GatewaySettings settings =
        TestGatewaySettings.of(kit.system(), "auth = keys\n" + overrides);
    RoutingDefaults defaults = RoutingDefaults.of(RoutingSettings.fromConfig(kit.system().settings().config().getConfig("pickspin.routing")));
    Gateway g = Gateway.start(kit.system(), settings, catalog, policy(catalog), new StaticLeaseProvider(catalog),
            GatewayObserver.NONE, defaults, Map.of(), new Gateway.Services(keys, credentials, Gateway.Services.NONE.readiness()))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      body.run("http://127.0.0.1:" + g.port(), keys);
    } finally {
      g.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static String secret(KeyGuard keys, String name, List<String> models, long rpm, long tpm, long budget) {
    String secret = ApiKeySecrets.newSecret();
    keys.put(new ApiKey(name, ApiKeySecrets.hash(secret), models, rpm, tpm, budget, 0));
    return secret;
  }

  private static HttpResponse<String> chat(String url, String secret, String model, int maxTokens, String extra) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":" + maxTokens + extra
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}"));
    if (secret != null) b.header("Authorization", "Bearer " + secret);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode error(HttpResponse<String> r, int status, String code) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode err = JSON.readTree(r.body()).get("error");
    assertNotNull(err, r.body());
    assertEquals(code, err.get("code").asText(), r.body());
    assertTrue(err.get("message").asText().length() > 10, r.body());
    return err;
  }

  private static TokenUsage reported(KeyGuard keys, String name, String model) {
    KeyReport r = keys.report().get(name);
    keys.reportFailed(); // leaves it to be reported, as it was
    return r == null ? null : r.usage().get(model);
  }

  @Test
  void missingInvalidAndRevokedKeysAre401InOpenAisShape() throws Exception {
    withGateway(BackendCredentials.NONE, (url, keys) -> {
      error(chat(url, null, "small", 2, ""), 401, "invalid_api_key");
      error(chat(url, "sk-ps-not-a-key", "small", 2, ""), 401, "invalid_api_key");
      String secret = secret(keys, "team", List.of("*"), 0, 0, 0);
      assertEquals(200, chat(url, secret, "small", 2, "").statusCode());
      HttpResponse<String> models = CLIENT.send(
          HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
      error(models, 401, "invalid_api_key");
      keys.remove("team");
      error(chat(url, secret, "small", 2, ""), 401, "invalid_api_key");
      HttpResponse<String> alive = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/alive")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, alive.statusCode(), "probes need no key");
    });
  }

  @Test
  void aModelOutsideTheKeysListIs403AndAFallbackOutsideItIsNeverUsed() throws Exception {
    withGateway(BackendCredentials.NONE, (url, keys) -> {
      String secret = secret(keys, "large-only", List.of("down", "large"), 0, 0, 0);
      error(chat(url, secret, "small", 2, ""), 403, "model_not_allowed");
      // "down" refuses connections; its first fallback "small" is not the key's: "large" serves
      HttpResponse<String> r = chat(url, secret, "auto", 2, "");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("large", r.headers().firstValue("x-pickspin-model").orElseThrow());
      String none = secret(keys, "keyed-only", List.of("keyed"), 0, 0, 0);
      error(chat(url, none, "auto", 2, ""), 403, "model_not_allowed");
    });
  }

  @Test
  void overTheRpmIs429WithRetryAfter() throws Exception {
    withGateway(BackendCredentials.NONE, (url, keys) -> {
      String secret = secret(keys, "slow-team", List.of("*"), 2, 0, 0);
      assertEquals(200, chat(url, secret, "small", 1, "").statusCode());
      assertEquals(200, chat(url, secret, "small", 1, "").statusCode());
      HttpResponse<String> r = chat(url, secret, "small", 1, "");
      error(r, 429, "rate_limit_exceeded");
      int retry = Integer.parseInt(r.headers().firstValue("retry-after").orElseThrow());
      assertTrue(retry >= 1 && retry <= 60, "retry-after " + retry);
    });
  }

  @Test
  void overTheTpmIs429AfterTheAnswersUsage() throws Exception {
    withGateway(BackendCredentials.NONE, (url, keys) -> {
      String secret = secret(keys, "tpm-team", List.of("*"), 0, 20, 0);
      assertEquals(200, chat(url, secret, "small", 30, "").statusCode());
      HttpResponse<String> r = chat(url, secret, "small", 1, "");
      error(r, 429, "rate_limit_exceeded");
      assertEquals("tokens", JSON.readTree(r.body()).at("/error/type").asText());
      assertTrue(r.headers().firstValue("retry-after").isPresent());
    });
  }

  @Test
  void aSpentBudgetIs429InsufficientQuota() throws Exception {
    withGateway(BackendCredentials.NONE, (url, keys) -> {
      String secret = secret(keys, "budget-team", List.of("*"), 0, 0, 25);
      assertEquals(200, chat(url, secret, "small", 30, "").statusCode());
      error(chat(url, secret, "small", 1, ""), 429, "insufficient_quota");
    });
  }

  /**
   * The budget runs out while a streamed answer is in flight: the answer stops at the budget's last token and ends
   * cleanly with an insufficient_quota error event and [DONE]; the tokens sent count as the key's usage. Both relays:
   * the one that resumes broken streams, and the plain one.
   */
  @ParameterizedTest(name = "resume.max-attempts = {0}")
  @ValueSource(ints = {2, 0})
  void aBudgetThatRunsOutMidStreamEndsTheStreamWithAnErrorEventAndCountsTheTokensSent(int resumeAttempts) throws Exception {
    withGateway(BackendCredentials.NONE, "resume.max-attempts = " + resumeAttempts, (url, keys) -> {
      String secret = secret(keys, "mid-stream", List.of("*"), 0, 0, 12);
      HttpResponse<String> r = chat(url, secret, "small", 30, ",\"stream\":true");
      assertEquals(200, r.statusCode(), r.body());
      List<String> events = List.of(r.body().split("\n\n"));
      List<String> tokens = events.stream().filter(e -> e.contains("\"content\":")).toList();
      assertEquals(12, tokens.size(), "the budget's 12 tokens, no more: " + r.body());
      assertFalse(r.body().contains("finish_reason\":\"length"), "the answer did not run to its own end: " + r.body());
      assertEquals("data: [DONE]", events.get(events.size() - 1).trim(), r.body());
      String last = events.get(events.size() - 2);
      assertTrue(last.startsWith("data: "), last);
      JsonNode err = JSON.readTree(last.substring("data: ".length())).get("error");
      assertNotNull(err, last);
      assertEquals("insufficient_quota", err.get("code").asText(), last);
      // the prompt's tokens come with the usage at the answer's end, which a cut answer never gets
      assertEquals(new TokenUsage(1, 0, 12), reported(keys, "mid-stream", "small"));
      error(chat(url, secret, "small", 1, ""), 429, "insufficient_quota");
    });
  }

  @Test
  void usageOfPlainAndStreamedAnswersIsCountedPerKeyAndModelAndTheUsageChunkOnlyGoesToWhoAskedForIt() throws Exception {
    withGateway(BackendCredentials.NONE, (url, keys) -> {
      String secret = secret(keys, "counted", List.of("*"), 0, 0, 0);
      HttpResponse<String> plain = chat(url, secret, "small", 5, "");
      long prompt = JSON.readTree(plain.body()).at("/usage/prompt_tokens").asLong();
      assertTrue(prompt > 0, plain.body());
      assertEquals(new TokenUsage(1, prompt, 5), reported(keys, "counted", "small"));

      HttpResponse<String> streamed = chat(url, secret, "large", 4, ",\"stream\":true");
      assertEquals(200, streamed.statusCode(), streamed.body());
      assertFalse(streamed.body().contains("\"usage\":{"), "the client did not ask for usage: " + streamed.body());
      assertTrue(streamed.body().contains("data: [DONE]"), streamed.body());
      assertEquals(new TokenUsage(1, prompt, 4), reported(keys, "counted", "large"));

      HttpResponse<String> asked = chat(url, secret, "large", 3, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
      assertTrue(asked.body().contains("\"completion_tokens\":3"), "the client asked for usage: " + asked.body());
      assertEquals(new TokenUsage(2, 2 * prompt, 7), reported(keys, "counted", "large"));
    });
  }

  @Test
  void aBackendsApiKeyGoesToThatBackendOnly() throws Exception {
    var models = ConfigFactory.parseString(
            "m = [{id = keyed, backends = [{id = vllm-0, kind = vllm, base-url = \"http://x\", api-key-env = KEYED_BACKEND_KEY}]},"
                + " {id = small, backends = [{id = sim-0, kind = sim, base-url = \"http://x\"}]}]")
        .getConfigList("m");
    BackendCredentials credentials = BackendCredentials.fromConfig(models, var -> var.equals("KEYED_BACKEND_KEY") ? "backend-secret" : null);
    assertFalse(credentials.toString().contains("backend-secret"));
    withGateway(credentials, (url, keys) -> {
      String secret = secret(keys, "any", List.of("*"), 0, 0, 0);
      keyedAuthorization.clear();
      assertEquals(200, chat(url, secret, "keyed", 1, "").statusCode());
      assertEquals(List.of("Bearer backend-secret"), List.copyOf(keyedAuthorization), "the backend's key, not the client's");
      assertEquals(new TokenUsage(1, 4, 1), reported(keys, "any", "keyed"));
    });
  }
}
