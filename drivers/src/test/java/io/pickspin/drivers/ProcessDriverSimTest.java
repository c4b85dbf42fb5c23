package io.pickspin.drivers;

import io.pickspin.testing.Eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.drivers.ProcessDriver;
import io.pickspin.scaling.driver.ReplicaDriver;
import io.pickspin.drivers.ReplicaDrivers;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process driver running real sim servers (SimServerMain as child JVMs) from a HOCON command template, the way a
 * node runs vLLM: start, readiness, serving, crash and replacement, scale-down, close, with no process left behind.
 */
class ProcessDriverSimTest {
  static final ModelSpec MODEL =
      new ModelSpec("sim-small", Tier.LOW, "tiny-llama", 0.5, 1, 2.0, new LatencyProfile(20, 2, 4, 1500), 0, 3, List.of());
  static final Catalog CATALOG = new Catalog(List.of(MODEL));
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path logs;
  ReplicaDriver driver;
  final HttpClient http = HttpClient.newHttpClient();
  /** Every phase each replica was seen in, in order. */
  final Map<String, List<ReplicaPhase>> history = new ConcurrentHashMap<>();

  Config config() {
    return ConfigFactory.parseString(
            """
            scaling.driver = process
            process {
              start-timeout = 60s
              drain-time = 200ms
              stop-grace = 10s
              poll-interval = 100ms
              restart-backoff { min = 200ms, max = 1s }
            }
            models = [{
              id = "sim-small"
              process {
                kind = sim
                ready-line = "SIM_READY port=(?<port>\\\\d+)"
                ready-path = "/health"
                command = ["{java}", "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", "{classpath}",
                  "io.pickspin.sim.server.SimServerMain", "--port", "{port}", "--log-level", "WARN", "--model",
                  "name={served-name},ttft-ms={ttft-ms},tpot-ms={tpot-ms},max-batch={max-batch},cold-start-ms={cold-start-ms}"]
              }
            }]
            """)
        .withValue("process.log-dir", ConfigValueFactory.fromAnyRef(logs.toString()));
  }

  @AfterEach
  void close() {
    if (driver != null) driver.close();
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    Eventually.await(what, WAIT, condition);
  }

  List<ReplicaStatus> replicas() {
    return driver.replicas(MODEL.id());
  }

  long count(ReplicaPhase phase) {
    return replicas().stream().filter(r -> r.phase() == phase).count();
  }

  void record(String model) {
    for (ReplicaStatus r : driver.replicas(model)) {
      List<ReplicaPhase> h = history.computeIfAbsent(r.replicaId(), id -> new CopyOnWriteArrayList<>());
      if (h.isEmpty() || h.get(h.size() - 1) != r.phase()) h.add(r.phase());
    }
  }

  ReplicaPhase lastSeen(ReplicaStatus r) {
    List<ReplicaPhase> h = history.get(r.replicaId());
    return h == null || h.isEmpty() ? null : h.get(h.size() - 1);
  }

  HttpResponse<String> get(URI base, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> chat(URI base) throws Exception {
    String body = "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}";
    return http.send(
        HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
            .timeout(Duration.ofSeconds(10))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  ProcessHandle process(ProcessDriver processes, ReplicaStatus r) {
    return ProcessHandle.of(processes.pid(MODEL.id(), r.replicaId()).orElseThrow()).orElseThrow();
  }

  @Test
  void simReplicasStartServeCrashAreReplacedScaleDownAndLeaveNothingBehind() throws Exception {
    driver = ReplicaDrivers.create(DriverSettings.fromConfig(config()), CATALOG);
    ProcessDriver processes = assertInstanceOf(ProcessDriver.class, driver);
    driver.onChange(this::record);

    long t0 = System.nanoTime();
    driver.scale(MODEL, 2);
    // the change callbacks run after the driver's state changes: wait until they saw both replicas ready too
    await("two ready sims", () -> count(ReplicaPhase.READY) == 2 && replicas().stream().allMatch(r -> lastSeen(r) == ReplicaPhase.READY));
    System.out.printf("2 sim replicas READY %d ms after scale (cold start 1500 ms)%n", (System.nanoTime() - t0) / 1_000_000);
    for (ReplicaStatus r : replicas()) {
      assertEquals(List.of(ReplicaPhase.STARTING, ReplicaPhase.READY), history.get(r.replicaId()), r.replicaId());
      assertEquals("sim", r.endpoint().kind());
      assertTrue(get(r.endpoint().baseUrl(), "/v1/models").body().contains("\"tiny-llama\""), "served under its served name");
      HttpResponse<String> answer = chat(r.endpoint().baseUrl());
      assertEquals(200, answer.statusCode(), answer.body());
    }
    assertNotEquals(replicas().get(0).endpoint().baseUrl(), replicas().get(1).endpoint().baseUrl());

    // a backend crash: kill -9 of one sim; the driver marks it FAILED and starts a replacement
    ReplicaStatus victim = replicas().get(0);
    ProcessHandle victimProcess = process(processes, victim);
    t0 = System.nanoTime();
    victimProcess.destroyForcibly();
    await("the crash to be seen", () -> history.get(victim.replicaId()).contains(ReplicaPhase.FAILED));
    await(
        "a replacement to serve",
        () -> count(ReplicaPhase.READY) == 2 && replicas().stream().noneMatch(r -> r.replicaId().equals(victim.replicaId())));
    System.out.printf("crashed replica replaced and READY in %d ms%n", (System.nanoTime() - t0) / 1_000_000);

    // scale down: the newest drains, then its process is gone
    List<ReplicaStatus> before = replicas();
    ReplicaStatus newest = before.get(before.size() - 1);
    ProcessHandle newestProcess = process(processes, newest);
    driver.scale(MODEL, 1);
    await("one replica left", () -> replicas().size() == 1);
    assertTrue(history.get(newest.replicaId()).contains(ReplicaPhase.DRAINING), history.toString());
    assertNotEquals(newest.replicaId(), replicas().get(0).replicaId());
    await("the drained sim to exit", () -> !newestProcess.isAlive());

    // close: every sim and every orphan guard is gone when it returns
    ProcessHandle last = process(processes, replicas().get(0));
    List<ProcessHandle> ours = new ArrayList<>(ProcessHandle.current().children().toList());
    ours.add(last);
    driver.close();
    driver = null;
    Set<String> alive = new TreeSet<>();
    ours.stream().filter(ProcessHandle::isAlive).forEach(h -> alive.add(h.pid() + " " + h.info().commandLine().orElse("?")));
    assertTrue(alive.isEmpty(), "left behind: " + alive);
    assertFalse(last.isAlive());
  }
}
