package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.sim.server.SimModel;
import io.pickspin.sim.server.SimServer;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streamed answers that survive their replica: sim replicas in this JVM behind a gateway with static leases; a replica
 * is stopped mid-answer (it aborts its connections, as a dying process's kernel would) or resets a stream on purpose
 * (the sim's x-sim-fault), and the client's one stream must hold the whole answer, once.
 */
class GatewayResumeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Fast enough for a short test, slow enough that a stream is still running when its replica is stopped. */
  private static final LatencyProfile PACED = new LatencyProfile(5, 4, 16, 0);
  private static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("gateway-resume-test");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private interface WithGateway {
    void run(String base, RecordingLeases leases, List<SimServer> sims) throws Exception;
  }

  private static void withGateway(int replicas, int resumeMaxAttempts, WithGateway body) throws Exception {
    List<SimServer> sims = new ArrayList<>();
    try {
      List<BackendEndpoint> backends = new ArrayList<>();
      for (int i = 0; i < replicas; i++) {
        SimServer sim = SimServer.start(kit.system(), "127.0.0.1", 0, List.of(new SimModel("m", PACED)))
            .toCompletableFuture().get(10, TimeUnit.SECONDS);
        sims.add(sim);
        backends.add(new BackendEndpoint("replica-" + i, "sim", sim.baseUrl()));
      }
      Catalog catalog =
          new Catalog(List.of(new ModelSpec("m", Tier.LOW, "m", 0.5, 1, 2.0, PACED, 0, replicas, backends)));
      RecordingLeases leases = new RecordingLeases(catalog);
      GatewaySettings settings = TestGatewaySettings.of(kit.system(), "resume.max-attempts = " + resumeMaxAttempts);
      Gateway g = Gateway.start(kit.system(), settings, catalog, new MediumTierPolicy(catalog), leases)
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      try {
        body.run("http://127.0.0.1:" + g.port(), leases, sims);
      } finally {
        g.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    } finally {
      sims.forEach(SimServer::close);
    }
  }

  /** What the client read: every event's data, the comments, and the backend header. */
  private record Read(int status, String backend, List<String> data, List<String> comments) {
    List<JsonNode> chunks() throws Exception {
      List<JsonNode> out = new ArrayList<>();
      for (String d : data) if (!d.equals("[DONE]")) out.add(JSON.readTree(d));
      return out;
    }

    /** The answer's text, joined from its chunks (chat deltas or text completion pieces). */
    String text() throws Exception {
      StringBuilder sb = new StringBuilder();
      for (JsonNode c : chunks()) {
        JsonNode choice = c.path("choices").path(0);
        sb.append((choice.has("delta") ? choice.path("delta").path("content") : choice.path("text")).asText(""));
      }
      return sb.toString();
    }

    long tokenEvents() throws Exception {
      long n = 0;
      for (JsonNode c : chunks()) {
        JsonNode choice = c.path("choices").path(0);
        if (!(choice.has("delta") ? choice.path("delta").path("content") : choice.path("text")).asText("").isEmpty()) n++;
      }
      return n;
    }
  }

  /**
   * Posts a streamed request and reads its events to the end; {@code onToken} hears the count of token events so far
   * and the backend header, after each.
   */
  private static Read stream(String url, String body, String[] headers, java.util.function.BiConsumer<Integer, String> onToken)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) b.headers(headers);
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<InputStream> r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    String backend = r.headers().firstValue("x-pickspin-backend").orElse("");
    List<String> data = new ArrayList<>();
    List<String> comments = new ArrayList<>();
    int tokens = 0;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith(":")) comments.add(line);
        if (!line.startsWith("data: ")) continue;
        String d = line.substring(6);
        data.add(d);
        if (isToken(d)) {
          tokens++;
          onToken.accept(tokens, backend);
        }
      }
    }
    return new Read(r.statusCode(), backend, data, comments);
  }

  private static boolean isToken(String data) throws Exception {
    if (data.equals("[DONE]")) return false;
    JsonNode choice = JSON.readTree(data).path("choices").path(0);
    return !(choice.has("delta") ? choice.path("delta").path("content") : choice.path("text")).asText("").isEmpty();
  }

  private static String chat(int maxTokens, boolean usage) {
    return "{\"model\":\"m\",\"stream\":true,\"max_tokens\":" + maxTokens
        + (usage ? ",\"stream_options\":{\"include_usage\":true}" : "")
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story\"}]}";
  }

  /** The answer the sim gives when nothing breaks. */
  private static String uninterrupted(SimServer sim, String endpoint, String body) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(sim.baseUrl().resolve(endpoint)).header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.replace("\"stream\":true", "\"stream\":false"))).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode choice = JSON.readTree(r.body()).path("choices").path(0);
    return choice.has("message") ? choice.path("message").path("content").asText() : choice.path("text").asText();
  }

  private static void assertOneStream(Read read) throws Exception {
    assertEquals(200, read.status());
    assertEquals("[DONE]", read.data().get(read.data().size() - 1), "the stream ends with [DONE]");
    assertEquals(1, read.data().stream().filter("[DONE]"::equals).count(), "one [DONE]");
    String id = read.chunks().get(0).path("id").asText();
    for (JsonNode c : read.chunks()) if (!c.has("error")) assertEquals(id, c.path("id").asText(), "one id: " + c);
    long roles = read.chunks().stream().filter(c -> c.path("choices").path(0).path("delta").has("role")).count();
    assertTrue(roles <= 1, "the assistant role comes once at most: " + roles);
  }

  @Test
  void aStreamWhoseReplicaIsStoppedAfter100Of400TokensEndsWholeFromTheOtherReplica() throws Exception {
    withGateway(2, 2, (base, leases, sims) -> {
      String body = chat(400, true);
      String expected = uninterrupted(sims.get(1), "/v1/chat/completions", body);
      String[] stopped = new String[1];
      Read read = stream(base + "/v1/chat/completions", body, new String[0], (tokens, backend) -> {
        if (tokens == 100) {
          stopped[0] = backend;
          sims.get(Integer.parseInt(backend.substring("replica-".length()))).stop(); // aborts its open streams
        }
      });
      assertNotNull(stopped[0], "the stream reached 100 tokens");
      assertOneStream(read);
      assertEquals(400, read.tokenEvents(), "400 token events, none twice");
      assertEquals(expected, read.text(), "the joined text is the uninterrupted answer");
      assertEquals(1, read.comments().stream().filter(c -> c.startsWith(": resumed on replica-")).count(), read.comments().toString());
      String note = read.comments().stream().filter(c -> c.startsWith(": resumed")).findFirst().orElseThrow();
      int resumedAfter = Integer.parseInt(note.replaceAll(".* after (\\d+) tokens$", "$1"));
      assertTrue(resumedAfter >= 100 && resumedAfter < 400, "resumed where the stop cut the stream: " + note);
      JsonNode usage = read.chunks().get(read.chunks().size() - 1).path("usage");
      assertEquals(400, usage.path("completion_tokens").asInt(), "usage counts the whole answer: " + usage);
      assertEquals(5, usage.path("prompt_tokens").asInt(), "the prompt's words, not the resent text: " + usage);
      assertEquals(405, usage.path("total_tokens").asInt());
      String first = leases.released.poll(5, TimeUnit.SECONDS);
      assertNotNull(first);
      assertTrue(first.startsWith(stopped[0] + ":stream-") && first.endsWith(":fault"), "the stopped replica is blamed: " + first);
      String second = leases.released.poll(5, TimeUnit.SECONDS);
      assertNotNull(second);
      assertTrue(!second.startsWith(stopped[0]) && second.endsWith(":ok"), "the other replica finished it: " + second);
    });
  }

  @Test
  void aStreamResumesAtMostMaxAttemptsTimesThenEndsWithAnErrorEvent() throws Exception {
    withGateway(3, 2, (base, leases, sims) -> {
      String body = chat(30, false);
      String expected = uninterrupted(sims.get(0), "/v1/chat/completions", body);
      // every replica resets its stream after 5 tokens: the first segment and two continuations give 15
      Read read = stream(base + "/v1/chat/completions", body,
          new String[] {"x-sim-fault", "reset-mid-stream", "x-sim-fault-after", "5"}, (t, b) -> {});
      assertOneStream(read);
      assertEquals(15, read.tokenEvents());
      assertEquals(String.join(" ", List.of(expected.split(" ")).subList(0, 15)), read.text(), "no text twice or lost");
      String error = read.data().get(read.data().size() - 2);
      JsonNode e = JSON.readTree(error).path("error");
      assertEquals("backend_stream_error", e.path("code").asText(), error);
      assertTrue(e.path("message").asText().contains("resumed 2 times"), error);
      assertEquals(2, read.comments().stream().filter(c -> c.startsWith(": resumed on")).count(), read.comments().toString());
    });
  }

  @Test
  void aTextCompletionResumesWithItsTextAppendedAndClosesAtItsLimit() throws Exception {
    withGateway(2, 2, (base, leases, sims) -> {
      String body = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":12,\"prompt\":\"Once upon a time\"}";
      String expected = uninterrupted(sims.get(0), "/v1/completions", body);
      // 8 tokens, then the continuation's 4 (its limit) and a reset in place of its end: the text is whole
      Read read = stream(base + "/v1/completions", body,
          new String[] {"x-sim-fault", "reset-mid-stream", "x-sim-fault-after", "8"}, (t, b) -> {});
      assertOneStream(read);
      assertEquals(expected, read.text());
      assertEquals(12, read.tokenEvents());
      JsonNode last = read.chunks().get(read.chunks().size() - 1);
      assertEquals("length", last.path("choices").path(0).path("finish_reason").asText(), last.toString());
      assertNull(read.data().stream().filter(d -> d.contains("\"error\"")).findFirst().orElse(null));
    });
  }

  @Test
  void withResumeOffABrokenStreamEndsWithAnErrorEvent() throws Exception {
    withGateway(2, 0, (base, leases, sims) -> {
      Read read = stream(base + "/v1/chat/completions", chat(20, false),
          new String[] {"x-sim-fault", "reset-mid-stream", "x-sim-fault-after", "5"}, (t, b) -> {});
      assertEquals(5, read.tokenEvents());
      assertTrue(read.data().get(read.data().size() - 2).contains("backend_stream_error"), read.data().toString());
      assertEquals("[DONE]", read.data().get(read.data().size() - 1));
      assertTrue(read.comments().isEmpty(), read.comments().toString());
    });
  }
}
