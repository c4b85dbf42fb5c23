package io.pickspin.drivers;

import static io.pickspin.testing.Eventually.await;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process driver's life cycle with trivial commands (shell one-liners); ProcessDriverSimTest in the sim module runs
 * it with the real sim server.
 */
class ProcessDriverTest {
  static final ModelSpec MODEL =
      new ModelSpec("m", Tier.LOW, "m", 0.5, 1, 2.0, new LatencyProfile(50, 10, 8, 0), 0, 4, List.of());

  @TempDir Path logs;
  ProcessDriver driver;
  final List<Process> started = new ArrayList<>();

  ProcessDriver.Settings settings(Duration startTimeout) {
    return new ProcessDriver.Settings(
        startTimeout, Duration.ZERO, Duration.ofSeconds(2), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(400), logs, true);
  }

  ProcessDriver driver(List<String> command, Pattern readyLine, String readyPath, Duration startTimeout) {
    driver =
        new ProcessDriver(
            settings(startTimeout),
            Map.of("m", new ProcessDriver.Launch(new CommandTemplate(command), "test", readyLine, readyPath, Map.of("GREETING", "hi"))));
    return driver;
  }

  @AfterEach
  void tearDown() {
    if (driver != null) driver.close();
    started.forEach(Process::destroyForcibly);
  }

  List<ReplicaPhase> phases() {
    return driver.replicas("m").stream().map(ReplicaStatus::phase).toList();
  }

  @Test
  void aReplicaIsReadyOnItsReadyLineAndItsEnvironmentAndOutputReachItsLog() throws Exception {
    // prints the ready line, then stays up
    driver(List.of("/bin/sh", "-c", "echo \"$GREETING from port {port}\"; echo UP; exec sleep 60"), Pattern.compile("^UP$"), null, Duration.ofSeconds(10));
    driver.scale(MODEL, 2);
    await("two ready replicas", Duration.ofSeconds(10), () -> phases().equals(List.of(ReplicaPhase.READY, ReplicaPhase.READY)));
    ReplicaStatus r = driver.replicas("m").get(0);
    int port = r.endpoint().baseUrl().getPort();
    assertEquals("test", r.endpoint().kind());
    assertTrue(port > 0);
    assertTrue(driver.replicas("m").get(1).endpoint().baseUrl().getPort() != port, "each replica has its own port");
    String log = Files.readString(driver.logFile("m", r.replicaId()));
    assertTrue(log.contains("hi from port " + port), log);
  }

  @Test
  void scaleDownDrainsTheNewestAndStopsItsWholeProcessTree() throws Exception {
    // a shell with children of its own: all must go
    driver(List.of("/bin/sh", "-c", "sleep 60 & sleep 61 & echo UP; wait"), Pattern.compile("UP"), null, Duration.ofSeconds(10));
    driver.scale(MODEL, 2);
    await("two ready", Duration.ofSeconds(10), () -> phases().equals(List.of(ReplicaPhase.READY, ReplicaPhase.READY)));
    String newest = driver.replicas("m").get(1).replicaId();
    ProcessHandle root = ProcessHandle.of(driver.pid("m", newest).orElseThrow()).orElseThrow();
    await("the tree to be spawned", Duration.ofSeconds(5), () -> root.descendants().count() >= 2);
    List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
    tree.add(root);

    driver.scale(MODEL, 1);
    await("one replica left", Duration.ofSeconds(10), () -> driver.replicas("m").size() == 1);
    assertFalse(driver.replicas("m").get(0).replicaId().equals(newest), "the newest goes first");
    await("the stopped tree to exit", Duration.ofSeconds(5), () -> tree.stream().noneMatch(ProcessHandle::isAlive));
  }

  @Test
  void aReplicaThatExitsIsFailedAndReplacedAfterTheBackOff() throws Exception {
    driver(List.of("/bin/sh", "-c", "echo UP; sleep 0.3; exit 3"), Pattern.compile("UP"), null, Duration.ofSeconds(10));
    Set<String> seen = new TreeSet<>();
    List<ReplicaPhase> phasesSeen = new java.util.concurrent.CopyOnWriteArrayList<>();
    driver.onChange(m -> driver.replicas(m).forEach(r -> phasesSeen.add(r.phase())));
    driver.scale(MODEL, 1);
    await(
        "three incarnations",
        Duration.ofSeconds(10),
        () -> {
          driver.replicas("m").forEach(r -> seen.add(r.replicaId()));
          return seen.size() >= 3;
        });
    assertTrue(phasesSeen.contains(ReplicaPhase.FAILED), phasesSeen.toString());
    assertTrue(phasesSeen.contains(ReplicaPhase.READY), phasesSeen.toString());
  }

  @Test
  void aReplicaNeverReadyIsFailedAfterTheStartTimeoutAndStopped() throws Exception {
    // nothing listens on the port: the ready path never answers
    driver(List.of("/bin/sh", "-c", "exec sleep 60"), null, "/health", Duration.ofMillis(500));
    driver.scale(MODEL, 1);
    await("a starting replica", Duration.ofSeconds(5), () -> phases().equals(List.of(ReplicaPhase.STARTING)));
    String id = driver.replicas("m").get(0).replicaId();
    ProcessHandle p = ProcessHandle.of(driver.pid("m", id).orElseThrow()).orElseThrow();
    await("failed", Duration.ofSeconds(5), () -> phases().contains(ReplicaPhase.FAILED));
    await("its process stopped", Duration.ofSeconds(5), () -> !p.isAlive());
  }

  @Test
  void closeStopsEveryReplica() throws Exception {
    driver(List.of("/bin/sh", "-c", "echo UP; exec sleep 60"), Pattern.compile("UP"), null, Duration.ofSeconds(10));
    driver.scale(MODEL, 3);
    await("three ready", Duration.ofSeconds(10), () -> phases().size() == 3 && !phases().contains(ReplicaPhase.STARTING));
    List<ProcessHandle> all = new ArrayList<>();
    for (ReplicaStatus r : driver.replicas("m")) {
      ProcessHandle h = ProcessHandle.of(driver.pid("m", r.replicaId()).orElseThrow()).orElseThrow();
      all.add(h);
      all.addAll(h.descendants().toList());
    }
    driver.close();
    assertTrue(all.stream().noneMatch(ProcessHandle::isAlive), "close returns once every process is gone");
    assertThrows(IllegalStateException.class, () -> driver.scale(MODEL, 1));
    driver = null;
  }

  @Test
  void theOrphanGuardStopsTheReplicaWhenTheJvmThatStartedItDies() throws Exception {
    Process parent = new ProcessBuilder("sleep", "60").start(); // a stand-in for the node JVM that gets kill -9
    Process replica = new ProcessBuilder("sleep", "60").start();
    started.add(parent);
    started.add(replica);
    Process guard =
        new ProcessBuilder(
                "/bin/sh", "-c", ProcessDriver.ORPHAN_GUARD, "pickspin-guard", Long.toString(parent.pid()), Long.toString(replica.pid()))
            .start();
    started.add(guard);
    Thread.sleep(1200);
    assertTrue(replica.isAlive() && guard.isAlive(), "the guard leaves the replica alone while its JVM lives");
    parent.destroyForcibly().waitFor();
    await("the guarded replica to stop", Duration.ofSeconds(5), () -> !replica.isAlive());
    await("the guard to exit", Duration.ofSeconds(5), () -> !guard.isAlive());
  }

  @Test
  void theOrphanGuardExitsWithItsReplica() throws Exception {
    driver(List.of("/bin/sh", "-c", "echo UP; exec sleep 60"), Pattern.compile("UP"), null, Duration.ofSeconds(10));
    driver.scale(MODEL, 1);
    await("ready", Duration.ofSeconds(10), () -> phases().equals(List.of(ReplicaPhase.READY)));
    ProcessHandle replica = ProcessHandle.of(driver.pid("m", driver.replicas("m").get(0).replicaId()).orElseThrow()).orElseThrow();
    List<ProcessHandle> guards =
        ProcessHandle.current().children()
            .filter(h -> h.info().arguments().map(a -> List.of(a).contains(Long.toString(replica.pid()))).orElse(false))
            .toList();
    assertEquals(1, guards.size(), "one guard watches the replica");
    replica.destroyForcibly(); // a backend crash
    await("the guard to go with it", Duration.ofSeconds(5), () -> !guards.get(0).isAlive());
  }

  @Test
  void aModelWithoutACommandOrANegativeCountIsRefused() {
    driver(List.of("/bin/true"), Pattern.compile("x"), null, Duration.ofSeconds(1));
    ModelSpec other = new ModelSpec("other", Tier.LOW, "o", 0.5, 1, 2.0, new LatencyProfile(1, 1, 1, 0), 0, 1, List.of());
    assertThrows(IllegalArgumentException.class, () -> driver.scale(other, 1));
    assertThrows(IllegalArgumentException.class, () -> driver.scale(MODEL, -1));
  }
}
