package io.pickspin.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The sim as a child process, started the way a replica driver starts a backend. */
class SimServerMainTest {

  @Test
  void childProcessPrintsReadyServesAndExitsOnDestroy() throws Exception {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process process = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
        SimServerMain.class.getName(), "--host", "127.0.0.1", "--port", "0",
        "--model", "name=small,ttft-ms=20,tpot-ms=2,max-batch=2,cold-start-ms=300",
        "--model", "name=big,ttft-ms=5")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      BufferedReader stdout =
          new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      List<String> lines = new CopyOnWriteArrayList<>();
      CompletableFuture<String> ready = new CompletableFuture<>();
      Thread reader = new Thread(() -> { // drains stdout until the child exits, like a replica driver would
        try {
          String line;
          while ((line = stdout.readLine()) != null) {
            lines.add(line);
            if (line.startsWith(SimServerMain.READY_LINE)) ready.complete(line);
          }
        } catch (Exception e) {
          // the pipe closes when the child exits
        }
        ready.complete(null);
      }, "sim-child-stdout");
      reader.setDaemon(true);
      reader.start();
      String readyLine = ready.get(30, TimeUnit.SECONDS);
      assertNotNull(readyLine, "child exited without SIM_READY");
      int port = Integer.parseInt(readyLine.substring(SimServerMain.READY_LINE.length()));

      SimHttp http = new SimHttp(URI.create("http://127.0.0.1:" + port));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (http.get("/health").statusCode() != 200) {
        assertTrue(System.nanoTime() < deadline, "never became healthy");
        Thread.sleep(50);
      }
      HttpResponse<String> answer = http.post("/v1/chat/completions",
          "{\"model\":\"small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4}");
      assertEquals(200, answer.statusCode(), answer.body());
      assertEquals(4, SimHttp.json(answer.body()).path("usage").path("completion_tokens").asInt());
      assertEquals(2, SimHttp.json(http.get("/v1/models").body()).path("data").size());

      process.destroy(); // SIGTERM
      assertTrue(process.waitFor(15, TimeUnit.SECONDS), "child did not exit on SIGTERM");
      reader.join(5000);
      assertEquals(List.of(readyLine), lines, "the ready line is the only output on stdout");
      assertThrows(java.net.ConnectException.class, () -> http.get("/health"));
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void parsesModelSpecsAndRejectsBadOnes() {
    SimModel model = SimServerMain.model("name=small,ttft-ms=50,tpot-ms=10.5,max-batch=8,cold-start-ms=2000");
    assertEquals("small", model.name());
    assertEquals(50, model.latency().ttftMs());
    assertEquals(10.5, model.latency().tpotMs());
    assertEquals(8, model.latency().maxBatch());
    assertEquals(2000, model.latency().coldStartMs());
    assertEquals(8, SimServerMain.model("name=x").latency().maxBatch());
    assertThrows(IllegalArgumentException.class, () -> SimServerMain.model("ttft-ms=5"));
    assertThrows(IllegalArgumentException.class, () -> SimServerMain.model("name=x,speed=9"));
    assertThrows(IllegalArgumentException.class, () -> SimServerMain.model("name=x,max-batch=0"));
    assertThrows(IllegalArgumentException.class, () -> SimServerMain.model("name=x,tpot-ms=-1"));
    assertThrows(IllegalArgumentException.class, () -> SimServerMain.parse(new String[] {"--port", "1"}));
    assertThrows(IllegalArgumentException.class, () -> SimServerMain.parse(new String[] {"--model"}));
    SimServerMain.Options options = SimServerMain.parse(new String[] {"--port", "0", "--model", "name=a",
        "--model", "name=b"});
    assertEquals(0, options.port());
    assertEquals(2, options.models().size());
  }
}
