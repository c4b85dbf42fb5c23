package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import io.pickspin.pool.StaticLeaseProvider;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.RoutingSettings;
import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.rl.PoolStateView;
import io.pickspin.sim.server.SimModel;
import io.pickspin.sim.server.SimServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/route} over real HTTP: the decision for a chat or completion body, from the complexity routing policy
 * with a scripted classifier, without a lease, a backend call or a replica; and the chat endpoint's complexity header.
 */
class RouteApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static ActorTestKit kit;
  private static SimServer sim;

  /** LOW (p 0.9) for prompts with "easy", HIGH (p 0.8) for "hard", MEDIUM (p 0.6) otherwise. */
  static final ComplexityClassifier SCRIPTED =
      new ComplexityClassifier() {
        @Override
        public Classification classify(String prompt) {
          float[] p =
              prompt.contains("easy")
                  ? new float[] {0.9f, 0.06f, 0.04f}
                  : prompt.contains("hard") ? new float[] {0.1f, 0.1f, 0.8f} : new float[] {0.2f, 0.6f, 0.2f};
          return Classification.fromProbabilities(p, "classifier");
        }

        @Override
        public String name() {
          return "scripted";
        }
      };

  /** Counts acquisitions: the route API must make none. */
  static final class CountingLeases implements LeaseProvider {
    final ConcurrentLinkedQueue<String> acquired = new ConcurrentLinkedQueue<>();
    final StaticLeaseProvider delegate;

    CountingLeases(Catalog catalog) {
      delegate = new StaticLeaseProvider(catalog);
    }

    @Override
    public CompletionStage<Lease> acquire(LeaseRequest request) {
      acquired.add(request.model());
      return delegate.acquire(request);
    }

    @Override
    public void release(Lease lease, Outcome outcome) {
      delegate.release(lease, outcome);
    }
  }

  private final Map<String, PoolStateView.ModelLoad> loads = new ConcurrentHashMap<>();
  private Gateway gateway;
  private CountingLeases leases;
  private String url;

  @BeforeAll
  static void startBackend() throws Exception {
    kit = ActorTestKit.create("route-api-test");
    sim = SimServer.start(
            kit.system(), "127.0.0.1", 0,
            List.of(new SimModel("s", new LatencyProfile(1, 0, 8, 0)), new SimModel("m", new LatencyProfile(1, 0, 8, 0)),
                new SimModel("l", new LatencyProfile(1, 0, 8, 0))))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    sim.close();
    kit.shutdownTestKit();
  }

  /** Three tiers; with 256 expected tokens small takes 2650 ms, medium 5300 ms, large 7950 ms. */
  private static Catalog catalog() {
    return new Catalog(
        List.of(
            model("small", Tier.LOW, "s", 0.6, 1, 100, 10),
            model("medium", Tier.MEDIUM, "m", 0.8, 2, 200, 20),
            model("large", Tier.HIGH, "l", 0.9, 4, 300, 30)));
  }

  private static ModelSpec model(String id, Tier tier, String served, double quality, int gpus, double ttft, double tpot) {
    return new ModelSpec(id, tier, served, quality, gpus, 2.0, new LatencyProfile(ttft, tpot, 10, 1000), 0, 2,
        List.of(new BackendEndpoint(id + "-0", "sim", sim.baseUrl())));
  }

  @BeforeEach
  void startGateway() throws Exception {
    Catalog catalog = catalog();
    RoutingSettings routing = RoutingSettings.fromConfig(kit.system().settings().config().getConfig("pickspin.routing"));
    ComplexityRoutingPolicy policy =
        ComplexityRoutingPolicy.create(catalog, routing, SCRIPTED, m -> loads.getOrDefault(m, PoolStateView.ModelLoad.IDLE));
    leases = new CountingLeases(catalog);
    // decisions here are the scripted classifier's, however slow the machine: no keyword fallback after a wait
    GatewaySettings settings = TestGatewaySettings.of(kit.system(), "classifier-max-wait = 1m");
    gateway = Gateway.start(kit.system(), settings, catalog, policy, leases, GatewayObserver.NONE, RoutingDefaults.of(routing), Map.of())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    url = "http://127.0.0.1:" + gateway.port();
  }

  @AfterEach
  void stopGateway() throws Exception {
    gateway.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private HttpResponse<String> route(String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/v1/route")).timeout(Duration.ofSeconds(30))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String chat(String model, String prompt) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
        + "{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
  }

  private static JsonNode ok(HttpResponse<String> r) throws Exception {
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    return JSON.readTree(r.body());
  }

  @Test
  void answersTheDecisionForAChatBodyWithoutForwardingIt() throws Exception {
    JsonNode d = ok(route(chat("auto", "an easy one, please")));
    assertEquals("small", d.get("model").asText());
    assertEquals("low", d.get("tier").asText());
    assertEquals("hybrid/classifier", d.get("router").asText()); // the default router
    assertEquals("balanced", d.get("profile").asText()); // the default profile
    assertEquals(0.06 * 0.5 + 0.04, d.get("complexity").asDouble(), 1e-6);
    assertEquals(0.9, d.at("/probabilities/low").asDouble(), 1e-6);
    assertEquals(0.06, d.at("/probabilities/medium").asDouble(), 1e-6);
    assertEquals(0.04, d.at("/probabilities/high").asDouble(), 1e-6);
    JsonNode scores = d.get("scores");
    assertEquals(List.of("small", "medium", "large"), List.copyOf(iterable(scores.fieldNames())));
    assertTrue(scores.get("small").asDouble() > scores.get("medium").asDouble());
    assertEquals(List.of("medium", "large"), strings(d.get("fallbacks")));
    assertFalse(d.has("reason"), "the top-scored model for the tier needs no reason: " + d);
    assertTrue(leases.acquired.isEmpty(), "nothing leased: nothing forwarded, no replica asked for");
  }

  @Test
  void takesACompletionBodyAndTheRequestsControls() throws Exception {
    JsonNode d = ok(route("{\"model\":\"auto\",\"prompt\":\"a hard one\",\"pickspin_profile\":\"cost\"}"));
    assertEquals("large", d.get("model").asText());
    assertEquals("high", d.get("tier").asText());
    assertEquals("cost", d.get("profile").asText());
    assertEquals(0.8 + 0.05, d.get("complexity").asDouble(), 1e-6);
    // the keyword router: its tier's place on the scale, its probabilities one-hot, the phrase it matched
    JsonNode k = ok(route(chat("auto", "What is the capital city of Portugal?"), "x-pickspin-router", "keyword",
        "x-pickspin-profile", "speed"));
    assertEquals("keyword", k.get("router").asText());
    assertEquals("speed", k.get("profile").asText());
    assertEquals("small", k.get("model").asText());
    assertEquals(0.0, k.get("complexity").asDouble());
    assertEquals(1.0, k.at("/probabilities/low").asDouble());
    assertEquals(0.0, k.at("/probabilities/high").asDouble());
    assertEquals("what is", k.get("keyword").asText());
    // a named model goes to itself: nothing classified, nothing scored
    JsonNode named = ok(route(chat("medium", "anything")));
    assertEquals("medium", named.get("model").asText());
    assertEquals("explicit", named.get("router").asText());
    assertTrue(named.get("complexity").isNull());
    assertTrue(named.get("probabilities").isNull());
    assertEquals(0, named.get("scores").size());
    assertTrue(leases.acquired.isEmpty());
  }

  @Test
  void saysWhyWhenTheTopModelForTheTierIsPassedOver() throws Exception {
    loads.put("small", new PoolStateView.ModelLoad(10, 20, 1)); // 21 beyond 10 slots: ~5565 ms wait
    JsonNode d = ok(route(chat("auto", "an easy one")));
    assertEquals("low", d.get("tier").asText());
    assertEquals("medium", d.get("model").asText());
    assertTrue(d.get("reason").asText().startsWith("small is saturated: 10 in flight and 20 queued"), d.toString());
    assertEquals(List.of("small", "large"), strings(d.get("fallbacks")));
    // a deadline the waiting small model misses, under the cost profile that would otherwise wait for it
    loads.put("small", new PoolStateView.ModelLoad(10, 10, 1)); // 11 beyond: ~2915 ms wait, 5565 ms in all
    assertEquals("small", ok(route(chat("auto", "an easy one"), "x-pickspin-profile", "cost")).get("model").asText());
    JsonNode late = ok(route(chat("auto", "an easy one"), "x-pickspin-profile", "cost", "x-pickspin-deadline-ms", "5500"));
    assertEquals("medium", late.get("model").asText());
    assertTrue(late.get("reason").asText().startsWith("small expects 5565 ms, over the 5500 ms deadline"), late.toString());
  }

  private HttpResponse<String> chatCompletion(String model, String prompt) throws Exception {
    String body = "{\"model\":\"" + model + "\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    HttpResponse<String> r = CLIENT.send(
        HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r;
  }

  @Test
  void chatAnswersCarryTheComplexity() throws Exception {
    HttpResponse<String> r = chatCompletion("auto", "a hard one");
    assertEquals("large", r.headers().firstValue("x-pickspin-model").orElseThrow());
    assertEquals("0.850", r.headers().firstValue("x-pickspin-complexity").orElseThrow());
    assertTrue(r.headers().firstValue("x-pickspin-route-reason").isEmpty());
    // a named model has no complexity
    assertTrue(chatCompletion("small", "hi").headers().firstValue("x-pickspin-complexity").isEmpty());
    // a passed-over model's reason is a header too
    loads.put("small", new PoolStateView.ModelLoad(10, 20, 1));
    HttpResponse<String> busy = chatCompletion("auto", "an easy one");
    assertEquals("medium", busy.headers().firstValue("x-pickspin-model").orElseThrow());
    assertEquals("0.070", busy.headers().firstValue("x-pickspin-complexity").orElseThrow());
    assertTrue(busy.headers().firstValue("x-pickspin-route-reason").orElseThrow().startsWith("small is saturated"));
  }

  @Test
  void rejectsWhatChatRejectsWithOpenAiErrors() throws Exception {
    assertError(route("{\"model\": \"auto\", "), 400, "invalid_value", null); // bad JSON
    assertError(route("[1,2]"), 400, "invalid_value", null);
    assertError(route("{\"model\":\"auto\"}"), 400, "invalid_value", "messages");
    assertError(route("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400, "invalid_value", "model");
    assertError(route("{\"model\":\"auto\",\"messages\":[]}"), 400, "invalid_value", "messages");
    assertError(route("{\"model\":\"auto\",\"prompt\":42}"), 400, "invalid_value", "prompt");
    assertError(route(chat("no-such-model", "x")), 404, "model_not_found", "model");
    assertError(route("{\"model\":\"auto\",\"pickspin_profile\":\"fastest\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
        400, "invalid_value", "pickspin_profile");
    assertError(route(chat("auto", "x"), "x-pickspin-router", "telepathy"), 400, "invalid_value", "pickspin_router");
    assertError(route(chat("auto", "x"), "x-pickspin-deadline-ms", "soon"), 400, "invalid_value", "pickspin_deadline_ms");
    String big = chat("auto", "x".repeat(1_100_000));
    assertError(route(big), 413, "request_too_large", null);
    assertError(
        CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/route")).header("content-type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString(chat("auto", "x"))).build(), HttpResponse.BodyHandlers.ofString()),
        415, "unsupported_media_type", null);
    assertError(
        CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/route")).build(), HttpResponse.BodyHandlers.ofString()),
        405, "method_not_allowed", null);
    assertTrue(leases.acquired.isEmpty());
  }

  private static void assertError(HttpResponse<String> r, int status, String code, String param) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"), r.headers().toString());
    JsonNode err = JSON.readTree(r.body()).get("error");
    assertNotNull(err, r.body());
    assertEquals(code, err.get("code").asText(), r.body());
    assertEquals("invalid_request_error", err.get("type").asText(), r.body());
    if (param != null) assertEquals(param, err.get("param").asText(), r.body());
    assertTrue(err.get("message").asText().length() > 10, "the message must say what is wrong: " + r.body());
  }

  private static List<String> strings(JsonNode array) {
    return iterable(array.elements()).stream().map(JsonNode::asText).toList();
  }

  private static <T> List<T> iterable(java.util.Iterator<T> it) {
    List<T> l = new java.util.ArrayList<>();
    it.forEachRemaining(l::add);
    return l;
  }
}
