package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.StaticLeaseProvider;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.RoutingSettings;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gateway's spill: an automatic choice with no ready replica goes to a warm fallback when the cold start would miss the deadline. */
class GatewaySpillTest {
  static ActorTestKit kit;
  static SimServer sim;
  static final HttpClient client = HttpClient.newHttpClient();
  /** Ready replicas per model as the node's pool board shows them; models not in it read as warm. */
  static final Map<String, Integer> ready = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create("gateway-spill-test");
    sim = SimServer.start(kit.system(), "127.0.0.1", 0, List.of(new SimModel("served", new LatencyProfile(5, 1, 8, 0))))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    sim.close();
    kit.shutdownTestKit();
  }

  private static ModelSpec model(String id, Tier tier, double coldStartMs) {
    return new ModelSpec(id, tier, "served", 0.5, 1, 2.0, new LatencyProfile(5, 1, 8, coldStartMs), 0, 1,
        List.of(new BackendEndpoint(id + "-0", "sim", sim.baseUrl())));
  }

  private interface Body {
    void run(String url) throws Exception;
  }

  private static void withGateway(Body body) throws Exception {
    Catalog catalog = new Catalog(List.of(model("large", Tier.HIGH, 60_000), model("small", Tier.LOW, 5_000)));
    MediumTierPolicy named = new MediumTierPolicy(catalog);
    RoutingPolicy policy = request -> request.isAuto()
        ? new RouteDecision("large", Tier.HIGH, "static", List.of("small"))
        : named.decide(request);
    PoolStateView pools = m -> new PoolStateView.ModelLoad(0, 0, ready.getOrDefault(m, 1));
    RoutingDefaults defaults =
        RoutingDefaults.of(RoutingSettings.fromConfig(kit.system().settings().config().getConfig("pickspin.routing")));
    Gateway g = Gateway.start(kit.system(), TestGatewaySettings.of(kit.system(), ""), catalog, policy,
            new StaticLeaseProvider(catalog), GatewayObserver.NONE, defaults, Map.of(),
            new Gateway.Services(null, io.pickspin.http.BackendCredentials.NONE, Gateway.Services.NONE.readiness(), pools))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      body.run("http://127.0.0.1:" + g.port());
    } finally {
      g.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static String servedBy(String url, String model, String deadlineMs) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
        .header("content-type", "application/json");
    if (deadlineMs != null) b.header("x-pickspin-deadline-ms", deadlineMs);
    HttpResponse<String> r = client.send(
        b.POST(HttpRequest.BodyPublishers.ofString(
            "{\"model\":\"" + model + "\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.headers().firstValue("x-pickspin-model").orElseThrow();
  }

  @Test
  void aColdChoiceWhoseColdStartWouldMissTheDeadlineGoesToAWarmFallback() throws Exception {
    withGateway(url -> {
      ready.put("large", 0);
      assertEquals("small", servedBy(url, "auto", "5000"), "a 60 s cold start misses a 5 s deadline");
      assertEquals("large", servedBy(url, "auto", "600000"), "a deadline the cold start meets waits for it");
      assertEquals("large", servedBy(url, "auto", null), "without a deadline the request is held for its choice");
      assertEquals("large", servedBy(url, "large", "5000"), "a client that named the model waits for it");
      ready.put("large", 1);
      assertEquals("large", servedBy(url, "auto", "5000"), "a ready replica serves its choice");
      ready.put("small", 0);
      ready.put("large", 0);
      assertEquals("large", servedBy(url, "auto", "5000"), "no warm fallback: the choice stays");
      ready.clear();
    });
  }
}
