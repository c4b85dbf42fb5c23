package io.pickspin.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives a whole node (journal, demo sim backends, gateway with {@code auth = keys}) with the official openai npm
 * client, using a key made through the admin API; the key's usage then shows the tokens the sims answered. The client
 * is installed from the npm registry by this test's set-up when it is not there yet (package-lock.json pins it).
 */
class OpenAiClientCompatTest {
  private static final Path NODE_PROJECT = Path.of("src/test/node").toAbsolutePath();

  @TempDir static Path dataDir;
  static Node node;

  @BeforeAll
  static void start() throws Exception {
    installClient();
    node = Node.start(NodeSettings.fromConfig(
        com.typesafe.config.ConfigFactory.parseString("pickspin.gateway.auth = keys").withFallback(TestNodes.singleNodeConfig(dataDir))));
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
  private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

  private static com.fasterxml.jackson.databind.JsonNode admin(String method, String path, String body) throws Exception {
    var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody() : java.net.http.HttpRequest.BodyPublishers.ofString(body));
    if (body != null) b.header("content-type", "application/json");
    var r = HTTP.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  @Test
  void officialClientPassesAgainstTheGateway() throws Exception {
    Path log = dataDir.resolve("node-test.log");
    ProcessBuilder pb =
        new ProcessBuilder("node", "--test", "openai-compat.test.mjs")
            .directory(NODE_PROJECT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("PICKSPIN_BASE_URL", "http://127.0.0.1:" + node.gatewayPort() + "/v1");
    String key = admin("POST", "/admin/keys", "{\"name\":\"npm-client\",\"models\":[\"*\"],\"rpm\":600}").path("key").asText();
    pb.environment().put("PICKSPIN_API_KEY", key);
    Process p = pb.start();
    p.getOutputStream().close();
    boolean done = false;
    try {
      done = p.waitFor(120, TimeUnit.SECONDS);
    } finally {
      if (!done) p.destroyForcibly();
    }
    String out = Files.readString(log);
    System.out.println(out);
    assertTrue(done, "node --test did not finish in 120 s:\n" + out);
    assertEquals(0, p.exitValue(), "openai client tests failed:\n" + out);
    assertTrue(out.contains("# pass 6"), "expected 6 passing client tests:\n" + out);
    // the client's non-streamed (12) and streamed (8) completions, counted for its key once this node reported them
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    com.fasterxml.jackson.databind.JsonNode usage = admin("GET", "/admin/keys/npm-client", null).path("usage");
    while (usage.path("completion_tokens").asLong() < 20 && System.nanoTime() < deadline) {
      Thread.sleep(200);
      usage = admin("GET", "/admin/keys/npm-client", null).path("usage");
    }
    assertTrue(usage.path("completion_tokens").asLong() >= 20, "the key's usage: " + usage);
    assertTrue(usage.path("prompt_tokens").asLong() > 0, "the key's usage: " + usage);
  }

  private static void installClient() throws IOException, InterruptedException {
    if (Files.isDirectory(NODE_PROJECT.resolve("node_modules/openai"))) return;
    Process p =
        new ProcessBuilder(List.of("npm", "ci", "--no-audit", "--no-fund"))
            .directory(NODE_PROJECT.toFile())
            // not the test JVM's stdin: npm makes it non-blocking, and surefire reads its commands from it
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.INHERIT)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("npm ci did not finish in 300 s");
    }
    if (p.exitValue() != 0) throw new IOException("npm ci failed with exit code " + p.exitValue());
  }
}
