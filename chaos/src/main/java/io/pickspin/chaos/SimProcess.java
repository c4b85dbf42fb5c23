package io.pickspin.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A sim model server in its own process, so that a backend crash is a real kill -9. Serves several models. */
final class SimProcess implements AutoCloseable {
  /** One served model: name and latency profile. */
  record Served(String name, int ttftMs, int tpotMs, int maxBatch) {}

  private final String name;
  private final List<String> command;
  private final Path log;
  private Process process;
  private int port;

  private SimProcess(String name, List<String> command, Path log) {
    this.name = name;
    this.command = command;
    this.log = log;
  }

  static SimProcess start(String name, List<Served> models, Path logDir) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx160m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-cp", JvmClasspath.current(), "io.pickspin.sim.server.SimServerMain",
        "--host", "127.0.0.1", "--port", "0", "--log-level", "WARN"));
    for (Served m : models) {
      cmd.add("--model");
      cmd.add("name=" + m.name() + ",ttft-ms=" + m.ttftMs() + ",tpot-ms=" + m.tpotMs() + ",max-batch=" + m.maxBatch());
    }
    SimProcess p = new SimProcess(name, List.copyOf(cmd), logDir.resolve(name + ".log"));
    p.launch(0);
    return p;
  }

  /** Starts the process (on {@code fixedPort} if not 0) and waits for its SIM_READY line. */
  private void launch(int fixedPort) throws IOException {
    List<String> cmd = new ArrayList<>(command);
    if (fixedPort != 0) cmd.set(cmd.indexOf("--port") + 1, Integer.toString(fixedPort));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    process = pb.start();
    process.getOutputStream().close();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("SIM_READY port=")) {
        port = Integer.parseInt(line.substring("SIM_READY port=".length()).trim());
        Thread drain = new Thread(() -> drain(out), name + "-stdout");
        drain.setDaemon(true);
        drain.start();
        return;
      }
    }
    throw new IOException("sim " + name + " exited before it was ready; see " + log);
  }

  private static void drain(BufferedReader out) {
    try {
      while (out.readLine() != null) {
        // keep the pipe from filling
      }
    } catch (IOException ignored) {
      // the process ended
    }
  }

  URI baseUrl() {
    return URI.create("http://127.0.0.1:" + port);
  }

  String name() {
    return name;
  }

  /** Answers generating now over all its models (from /metrics-lite), 0 when it does not answer. */
  long generating() {
    try {
      java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(baseUrl().resolve("/metrics-lite")).timeout(java.time.Duration.ofSeconds(2)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      long active = 0;
      for (com.fasterxml.jackson.databind.JsonNode m : new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("models")) {
        active += m.path("active").asLong();
      }
      return active;
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Starts again on the same port, as a restarted pod behind the same address. */
  void restart() throws IOException {
    if (process.isAlive()) throw new IllegalStateException(name + " is still running");
    launch(port);
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
