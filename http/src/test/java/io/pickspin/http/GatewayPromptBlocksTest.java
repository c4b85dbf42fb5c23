package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.prefix.PromptBlocks;
import io.pickspin.sim.server.SimModel;
import io.pickspin.sim.server.SimServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

/**
 * With a prefix-aware pool, the gateway's lease request carries the prompt's block hashes; it says whether the client
 * named the model.
 */
class GatewayPromptBlocksTest {
  @Test
  void theLeaseRequestCarriesThePromptsBlocks() throws Exception {
    ActorTestKit kit = ActorTestKit.create("gateway-prompt-blocks-test", ConfigFactory.parseString(
        "pickspin.pool { replica-choice = prefix-aware, prefix.block-tokens = 4 }").withFallback(ConfigFactory.load()));
    try (SimServer sim = SimServer.start(kit.system(), "127.0.0.1", 0, List.of(new SimModel("small-served", new LatencyProfile(1, 0, 8, 0))))
        .toCompletableFuture().get(10, TimeUnit.SECONDS)) {
      Catalog catalog = new Catalog(List.of(new ModelSpec("small", Tier.LOW, "small-served", 0.5, 1, 2.0,
          new LatencyProfile(5, 1, 8, 0), 0, 1, List.of(new BackendEndpoint("sim-0", "sim", sim.baseUrl())))));
      RecordingLeases recording = new RecordingLeases(catalog);
      LinkedBlockingQueue<LeaseRequest> asked = recording.asked;
      GatewaySettings settings = TestGatewaySettings.of(kit.system());
      Gateway g = Gateway.start(kit.system(), settings, catalog, new MediumTierPolicy(catalog), recording)
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      try {
        String body = "{\"model\":\"small\",\"max_tokens\":2,\"messages\":[{\"role\":\"system\",\"content\":\"you answer in French\"},"
            + "{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}";
        HttpResponse<String> r = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        LeaseRequest request = asked.poll(5, TimeUnit.SECONDS);
        assertTrue(request != null, "no lease was asked for");
        assertArrayEquals(PromptBlocks.ofWords("you answer in French What is the capital of France?", 4), request.promptBlocks());
        assertTrue(request.named(), "the client named the model: its pool must not be consolidated away");
        HttpResponse<String> auto = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.replace("\"small\"", "\"auto\""))).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, auto.statusCode(), auto.body());
        LeaseRequest routed = asked.poll(5, TimeUnit.SECONDS);
        assertTrue(routed != null && !routed.named(), "the router chose the model: " + routed);
      } finally {
        g.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    } finally {
      kit.shutdownTestKit();
    }
  }
}
