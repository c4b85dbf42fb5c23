package io.pickspin.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pickspin.model.LatencyProfile;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sim server's prefix cache over real HTTP: a cached prefix is not prefilled again, and the metrics show it. */
class SimPrefixCacheTest {
  private static ActorSystem<Void> system;
  private static SimServer server;
  private static SimHttp http;

  @BeforeAll
  static void start() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "sim-prefix-cache-test");
    // a 1 s time to first token for a whole prompt; 100,000 tokens of prefix cache in 512-token blocks
    SimSettings settings = new SimSettings(64, 32768, 0, 8 << 20, 5000, 20_000_000, 1000, 100_000, 512);
    server = SimServer.start(system, "127.0.0.1", 0, List.of(new SimModel("m", new LatencyProfile(1000, 0, 4, 0))), settings)
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
    http = new SimHttp(server.baseUrl());
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
    if (system != null) system.terminate();
  }

  private static String chat(String system, String question) {
    return "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"system\",\"content\":\"" + system + "\"},"
        + "{\"role\":\"user\",\"content\":\"" + question + "\"}]}";
  }

  private static long timed(String body) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> r = http.post("/v1/chat/completions", body);
    assertEquals(200, r.statusCode(), r.body());
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void aSharedPrefixIsPrefilledOnce() throws Exception {
    String context = "word ".repeat(1024).trim();
    long cold = timed(chat(context, "what is in the first document"));
    long warm = timed(chat(context, "and what is in the second"));
    assertTrue(cold >= 1000, "cold prefill " + cold + " ms");
    assertTrue(warm < 500, "1,024 of 1,030 tokens cached: " + warm + " ms");
    JsonNode m = SimHttp.json(http.get("/metrics-lite").body()).path("models").get(0);
    assertEquals(2 * 1030, m.path("prompt_tokens").asLong());
    assertEquals(1024, m.path("cached_prompt_tokens").asLong());
    assertEquals(1024 / 2060.0, m.path("prefix_cache_hit_rate").asDouble(), 1e-9);
  }
}
