package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.RoutingSettings;
import io.pickspin.sim.server.SimModel;
import io.pickspin.sim.server.SimServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/embeddings} through the gateway to the sim: only to models the catalogue marks {@code embeddings},
 * with the same key checks as a chat request and the prompt tokens counted; the router never sends a chat there.
 */
class GatewayEmbeddingsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static ActorTestKit kit;
  private static SimServer sim;
  private static KeyGuard keys;
  private static Gateway gateway;
  private static String url;

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create("gateway-embeddings-test");
    sim = SimServer.start(kit.system(), "127.0.0.1", 0, List.of(new SimModel("served", new LatencyProfile(2, 1, 8, 0))))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    BackendEndpoint backend = new BackendEndpoint("sim-0", "sim", sim.baseUrl());
    LatencyProfile latency = new LatencyProfile(2, 1, 8, 0);
    // the embeddings model is the cheapest and best on paper: were it a candidate, "auto" would pick it
    Catalog catalog = new Catalog(List.of(
        new ModelSpec("embed", Tier.LOW, "served", 1.0, 0, 0, latency, 0, 1, List.of(backend), true),
        new ModelSpec("small", Tier.LOW, "served", 0.5, 1, 2.0, latency, 0, 1, List.of(backend)),
        new ModelSpec("large", Tier.HIGH, "served", 0.9, 4, 2.0, latency, 0, 1, List.of(backend))));
    keys = new KeyGuard(Clock.systemUTC());
    RoutingSettings routing = RoutingSettings.fromConfig(kit.system().settings().config().getConfig("pickspin.routing"));
    gateway = Gateway.start(kit.system(), TestGatewaySettings.of(kit.system(), "auth = keys"), catalog,
            ComplexityRoutingPolicy.create(catalog, routing, null), new StaticLeaseProvider(catalog),
            GatewayObserver.NONE, RoutingDefaults.of(routing), Map.of(),
            new Gateway.Services(keys, BackendCredentials.NONE, Gateway.Services.NONE.readiness()))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    url = "http://127.0.0.1:" + gateway.port();
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    sim.close();
    kit.shutdownTestKit();
  }

  private static String secret(String name, List<String> models, long rpm, long budget) {
    String secret = ApiKeySecrets.newSecret();
    keys.put(new ApiKey(name, ApiKeySecrets.hash(secret), models, rpm, 0, budget, 0));
    return secret;
  }

  private static HttpResponse<String> post(String path, String secret, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(20))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (secret != null) b.header("Authorization", "Bearer " + secret);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> embed(String secret, String model, String input) throws Exception {
    return post("/v1/embeddings", secret, "{\"model\":\"" + model + "\",\"input\":" + input + "}");
  }

  private static JsonNode error(HttpResponse<String> r, int status, String code) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode err = JSON.readTree(r.body()).get("error");
    assertNotNull(err, r.body());
    assertEquals(code, err.get("code").asText(), r.body());
    return err;
  }

  private static TokenUsage reported(String name, String model) {
    KeyReport r = keys.report().get(name);
    keys.reportFailed(); // leaves it to be reported, as it was
    return r == null ? null : r.usage().get(model);
  }

  @Test
  void anEmbeddingsModelAnswersInOpenAisShapeAndItsPromptTokensCount() throws Exception {
    String secret = secret("embedder", List.of("*"), 0, 0);
    HttpResponse<String> r = embed(secret, "embed", "[\"the cat sat\",\"on the mat\"]");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("embed", r.headers().firstValue("x-pickspin-model").orElseThrow());
    JsonNode body = JSON.readTree(r.body());
    assertEquals("list", body.get("object").asText());
    assertEquals(2, body.get("data").size());
    assertTrue(body.at("/data/1/embedding").size() > 0, r.body());
    assertEquals(6, body.at("/usage/prompt_tokens").asInt(), r.body());
    assertEquals(new TokenUsage(1, 6, 0), reported("embedder", "embed"));
  }

  @Test
  void keysAreCheckedAsForChat() throws Exception {
    error(embed(null, "embed", "\"x\""), 401, "invalid_api_key");
    error(embed("sk-ps-not-a-key", "embed", "\"x\""), 401, "invalid_api_key");
    error(embed(secret("chat-only", List.of("small"), 0, 0), "embed", "\"x\""), 403, "model_not_allowed");
    String oneAMinute = secret("one-a-minute", List.of("embed"), 1, 0);
    assertEquals(200, embed(oneAMinute, "embed", "\"x\"").statusCode());
    HttpResponse<String> limited = embed(oneAMinute, "embed", "\"x\"");
    error(limited, 429, "rate_limit_exceeded");
    assertTrue(limited.headers().firstValue("retry-after").isPresent());
    String budget = secret("small-budget", List.of("*"), 0, 3);
    assertEquals(200, embed(budget, "embed", "\"one two three\"").statusCode());
    error(embed(budget, "embed", "\"x\""), 429, "insufficient_quota");
  }

  @Test
  void aModelThatIsNotAnEmbeddingsModelIsAClear400AndSoIsTheConverse() throws Exception {
    String secret = secret("any", List.of("*"), 0, 0);
    JsonNode chatModel = error(embed(secret, "small", "\"x\""), 400, "invalid_value");
    assertEquals("model", chatModel.get("param").asText());
    assertTrue(chatModel.get("message").asText().contains("'small' is not an embeddings model")
        && chatModel.get("message").asText().contains("embed"), chatModel.toString());
    error(embed(secret, "auto", "\"x\""), 400, "invalid_value");
    error(embed(secret, "nope", "\"x\""), 404, "model_not_found");
    JsonNode badInput = error(embed(secret, "embed", "[]"), 400, "invalid_value");
    assertEquals("input", badInput.get("param").asText());
    error(post("/v1/embeddings", secret, "{\"model\":\"embed\"}"), 400, "invalid_value");

    HttpResponse<String> chat = post("/v1/chat/completions", secret,
        "{\"model\":\"embed\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    JsonNode e = error(chat, 400, "invalid_value");
    assertTrue(e.get("message").asText().contains("embeddings model"), e.toString());
  }

  @Test
  void autoNeverSendsAChatToTheEmbeddingsModelAndTheModelListMarksIt() throws Exception {
    String secret = secret("auto-user", List.of("*"), 0, 0);
    for (String profile : List.of("cost", "quality", "speed", "balanced")) {
      HttpResponse<String> r = post("/v1/chat/completions", secret,
          "{\"model\":\"auto\",\"pickspin_profile\":\"" + profile + "\",\"max_tokens\":2,"
              + "\"messages\":[{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}");
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(!r.headers().firstValue("x-pickspin-model").orElseThrow().equals("embed"), profile);
    }
    HttpResponse<String> models = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/models"))
        .header("Authorization", "Bearer " + secret).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode data = JSON.readTree(models.body()).get("data");
    for (JsonNode m : data) {
      assertEquals(m.get("id").asText().equals("embed"), m.path("embeddings").asBoolean(false), m.toString());
    }
  }
}
