package io.pickspin.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM runs Pekko's coordinated shutdown from its own JVM hook. The node's stop must still drain: an answer that is
 * streaming when the shutdown starts finishes in full before the pools stop and the node leaves the cluster.
 */
class NodeShutdownTest {
  private static final int TOKENS = 300; // demo-small streams a token per 9 ms: about 2.8 s, longer than the leave

  @TempDir Path dataDir;

  @Test
  void aStreamInFlightWhenCoordinatedShutdownStartsFinishesInFull() throws Exception {
    Node node = Node.start(TestNodes.singleNode(dataDir));
    try {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.gatewayPort() + "/v1/chat/completions"))
              .header("content-type", "application/json")
              .header("x-pickspin-router", "keyword")
              .POST(HttpRequest.BodyPublishers.ofString(
                  "{\"model\":\"demo-small\",\"stream\":true,\"max_tokens\":" + TOKENS
                      + ",\"messages\":[{\"role\":\"user\",\"content\":\"Count to three hundred.\"}]}"))
              .build();
      CompletableFuture<HttpResponse<Stream<String>>> streaming = client.sendAsync(request, HttpResponse.BodyHandlers.ofLines());
      HttpResponse<Stream<String>> response = streaming.get(30, TimeUnit.SECONDS);
      assertEquals(200, response.statusCode());

      // what Pekko's JVM shutdown hook does on SIGTERM, with the answer's first events already out
      CompletableFuture<List<String>> lines = CompletableFuture.supplyAsync(() -> response.body().filter(l -> l.startsWith("data:")).toList());
      Thread.sleep(300);
      CoordinatedShutdown.get(node.system()).run(CoordinatedShutdown.jvmExitReason());

      List<String> events = lines.get(60, TimeUnit.SECONDS);
      assertFalse(events.isEmpty(), "no events");
      assertEquals("data: [DONE]", events.get(events.size() - 1), "the stream did not end normally: " + tail(events));
      assertTrue(events.stream().noneMatch(e -> e.contains("\"error\"")), "the stream ended with an error: " + tail(events));
      long contentChunks = events.stream().filter(e -> e.contains("\"content\"")).count();
      assertEquals(TOKENS, contentChunks, "tokens streamed before [DONE]");
      assertTrue(
          node.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS) != null,
          "the node did not stop after the drain");
    } finally {
      node.close();
    }
  }

  private static String tail(List<String> events) {
    return events.subList(Math.max(0, events.size() - 3), events.size()).toString();
  }
}
