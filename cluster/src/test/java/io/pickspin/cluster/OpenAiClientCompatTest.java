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
 * Drives a whole node (journal, demo sim backends, gateway) with the official openai npm client. The client is
 * installed from the npm registry by this test's set-up when it is not there yet (package-lock.json pins it).
 */
class OpenAiClientCompatTest {
  private static final Path NODE_PROJECT = Path.of("src/test/node").toAbsolutePath();

  @TempDir static Path dataDir;
  static Node node;

  @BeforeAll
  static void start() throws Exception {
    installClient();
    node = Node.start(TestNodes.singleNode(dataDir));
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
    assertTrue(out.contains("# pass 5"), "expected 5 passing client tests:\n" + out);
  }

  private static void installClient() throws IOException, InterruptedException {
    if (Files.isDirectory(NODE_PROJECT.resolve("node_modules/openai"))) return;
    Process p =
        new ProcessBuilder(List.of("npm", "ci", "--no-audit", "--no-fund"))
            .directory(NODE_PROJECT.toFile())
            .inheritIO()
            .start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("npm ci did not finish in 300 s");
    }
    if (p.exitValue() != 0) throw new IOException("npm ci failed with exit code " + p.exitValue());
  }
}
