package io.pickspin.drivers;

import io.pickspin.scaling.driver.ReplicaDriver;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.ModelSpec;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs replicas as local processes started from a command template per model: vLLM or llama.cpp's server on a GPU box,
 * the sim server in tests and demos. Each replica gets a free 127.0.0.1 port; it is STARTING until its ready line
 * appears on stdout (if the model has one) and then its ready path answers 2xx (if it has one), READY after that.
 * Scaling down drains a replica (DRAINING for the drain time, so the pool stops leasing it), then stops its process tree
 * (SIGTERM, SIGKILL after the grace). A replica that exits on its own or never gets ready is FAILED; the driver replaces
 * it after a back-off that doubles with consecutive failures, as a Deployment would, since the desired count still asks
 * for it. {@link #close} and the JVM's shutdown stop every process tree; with the orphan guard on, a small shell
 * beside each replica stops it when this JVM disappears without running its shutdown hooks (kill -9).
 *
 * <p>Processes are local to this node: in a cluster only the node that hosts the scaling supervisor runs replicas,
 * and a fail-over starts new ones on the next node from the recovered desired count.
 */
public final class ProcessDriver implements ReplicaDriver {
  private static final Logger log = LoggerFactory.getLogger(ProcessDriver.class);

  /**
   * Watches this JVM ($1) and a replica ($2) from outside; if the JVM disappears first (kill -9, no shutdown hooks), it
   * stops the replica: SIGTERM, SIGKILL 10 s later. It exits by itself once the replica is gone.
   */
  static final String ORPHAN_GUARD =
      "parent=$1; child=$2\n"
          + "while kill -0 \"$parent\" 2>/dev/null && kill -0 \"$child\" 2>/dev/null; do sleep 1; done\n"
          + "if kill -0 \"$child\" 2>/dev/null; then\n"
          + "  kill -TERM \"$child\" 2>/dev/null; n=0\n"
          + "  while kill -0 \"$child\" 2>/dev/null && [ $n -lt 10 ]; do sleep 1; n=$((n+1)); done\n"
          + "  kill -KILL \"$child\" 2>/dev/null\n"
          + "fi\n";

  /** Starts the orphan guard of the process {@code child}. */
  static Process guard(long child) throws IOException {
    return new ProcessBuilder(
            "/bin/sh", "-c", ORPHAN_GUARD, "pickspin-guard", Long.toString(ProcessHandle.current().pid()), Long.toString(child))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  /**
   * How to start one model's replicas.
   *
   * @param kind the backend kind the endpoints report (vllm, llamacpp, sim, ...)
   * @param readyLine a regex a stdout line must match before the replica can be ready, or null; a named group
   *     {@code port} in it overrides the picked port (for servers started with port 0)
   * @param readyPath path polled with GET until it answers 2xx ("/health", "/v1/models"), or null to skip
   * @param env extra environment variables
   */
  public record Launch(
      CommandTemplate command, String kind, Pattern readyLine, String readyPath, Map<String, String> env) {
    public Launch {
      Objects.requireNonNull(command, "command");
      if (kind == null || kind.isBlank()) throw new IllegalArgumentException("kind is required");
      if (readyLine == null && readyPath == null) {
        throw new IllegalArgumentException("a replica needs a ready-line, a ready-path or both");
      }
      if (readyPath != null && !readyPath.startsWith("/")) {
        throw new IllegalArgumentException("ready-path must start with /, got " + readyPath);
      }
      env = Map.copyOf(env == null ? Map.of() : env);
    }
  }

  /**
   * @param startTimeout a replica not ready by then is FAILED (and stopped)
   * @param drainTime how long a replica is DRAINING before its process is asked to stop
   * @param stopGrace SIGTERM to SIGKILL
   * @param pollInterval between two readiness requests
   * @param restartBackoffMin first wait before replacing a failed replica; doubles per consecutive failure
   * @param restartBackoffMax ... up to this
   * @param logDir where each replica's stdout and stderr go ({@code <replica id>.log}); null = a temporary directory
   * @param orphanGuard watch each replica with a shell that stops it when this JVM dies (kill -9)
   */
  public record Settings(
      Duration startTimeout,
      Duration drainTime,
      Duration stopGrace,
      Duration pollInterval,
      Duration restartBackoffMin,
      Duration restartBackoffMax,
      Path logDir,
      boolean orphanGuard) {
    public Settings {
      for (Duration d : List.of(startTimeout, drainTime, stopGrace, pollInterval, restartBackoffMin, restartBackoffMax)) {
        if (d.isNegative()) throw new IllegalArgumentException("process driver durations must be >= 0");
      }
      if (pollInterval.isZero()) throw new IllegalArgumentException("poll-interval must be > 0");
      if (restartBackoffMax.compareTo(restartBackoffMin) < 0) {
        throw new IllegalArgumentException("restart-backoff.max must be >= restart-backoff.min");
      }
    }
  }

  /** One replica: guarded by the driver's lock, except its reader thread's own locals. */
  private static final class Replica {
    final String id;
    final ModelSpec model;
    final Launch launch;
    final Path logFile;
    int port;
    Process process;
    ProcessTree tree;
    /** The orphan guard watching this replica, if any. */
    Process guard;
    ReplicaPhase phase = ReplicaPhase.STARTING;
    /** Asked to go (scale-down or close): its exit is expected. */
    boolean stopping;
    /** The address is known: the ready line was seen, or there is none to wait for. */
    boolean up;

    Replica(String id, ModelSpec model, Launch launch, Path logFile, int port) {
      this.id = id;
      this.model = model;
      this.launch = launch;
      this.logFile = logFile;
      this.port = port;
    }

    BackendEndpoint endpoint() {
      return new BackendEndpoint(id, launch.kind(), URI.create("http://127.0.0.1:" + port));
    }

    ReplicaStatus status() {
      return new ReplicaStatus(id, phase, up ? endpoint() : null);
    }

    boolean live() {
      return phase == ReplicaPhase.STARTING || phase == ReplicaPhase.READY;
    }
  }

  private final Settings settings;
  private final Map<String, Launch> launches;
  private final ChangeListeners listeners = new ChangeListeners();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "process-driver");
            t.setDaemon(true);
            return t;
          });
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).version(HttpClient.Version.HTTP_1_1).build();
  private final Thread shutdownHook = new Thread(this::stopAllNow, "process-driver-shutdown");

  // guarded by this
  private final Map<String, List<Replica>> byModel = new LinkedHashMap<>();
  private final Map<String, Integer> desired = new HashMap<>();
  private final Map<String, ModelSpec> specs = new HashMap<>();
  private final Map<String, Integer> consecutiveFailures = new HashMap<>();
  private final Map<String, Long> noStartBeforeNanos = new HashMap<>();
  private final Set<String> reconcileScheduled = new HashSet<>();
  private Path logDir;
  private long sequence;
  private boolean closed;

  /** @param launches how to start each model this driver runs, by model id */
  public ProcessDriver(Settings settings, Map<String, Launch> launches) {
    this.settings = settings;
    this.launches = Map.copyOf(launches);
    this.logDir = settings.logDir();
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  @Override
  public String name() {
    return "process";
  }

  /** The models this driver runs. */
  public Set<String> models() {
    return launches.keySet();
  }

  @Override
  public void scale(ModelSpec model, int count) {
    if (count < 0) throw new IllegalArgumentException("desired replicas must be >= 0");
    if (!launches.containsKey(model.id())) {
      throw new IllegalArgumentException("the process driver has no command for model " + model.id());
    }
    synchronized (this) {
      if (closed) throw new IllegalStateException("the process driver is closed");
      specs.put(model.id(), model);
      desired.put(model.id(), count);
      reconcile(model.id());
    }
  }

  @Override
  public synchronized List<ReplicaStatus> replicas(String modelId) {
    return byModel.getOrDefault(modelId, List.of()).stream().map(Replica::status).toList();
  }

  /** The process id of a replica, for fault injection. */
  public synchronized OptionalLong pid(String modelId, String replicaId) {
    return byModel.getOrDefault(modelId, List.of()).stream()
        .filter(r -> r.id.equals(replicaId) && r.process != null)
        .mapToLong(r -> r.process.pid())
        .findFirst();
  }

  /** Where a replica's stdout and stderr are written. */
  public synchronized Path logFile(String modelId, String replicaId) {
    return byModel.getOrDefault(modelId, List.of()).stream()
        .filter(r -> r.id.equals(replicaId))
        .map(r -> r.logFile)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no replica " + replicaId + " of model " + modelId));
  }

  @Override
  public void onChange(Consumer<String> modelChanged) {
    listeners.add(modelChanged);
  }

  // ---- reconciling desired and actual (all under the lock)

  private void reconcile(String model) {
    if (closed) return;
    List<Replica> list = byModel.computeIfAbsent(model, m -> new ArrayList<>());
    int want = desired.getOrDefault(model, 0);
    long live = list.stream().filter(Replica::live).count();
    if (live < want) {
      long wait = noStartBeforeNanos.getOrDefault(model, 0L) - System.nanoTime();
      if (wait > 0) {
        if (reconcileScheduled.add(model)) {
          later(() -> scheduledReconcile(model), TimeUnit.NANOSECONDS.toMillis(wait) + 1);
        }
        return;
      }
      for (long i = live; i < want; i++) start(model, list);
    }
    // the newest go first, those still starting before those serving
    for (long i = live; i > want; i--) {
      Replica victim =
          newest(list, ReplicaPhase.STARTING) != null ? newest(list, ReplicaPhase.STARTING) : newest(list, ReplicaPhase.READY);
      drain(victim);
    }
  }

  private synchronized void scheduledReconcile(String model) {
    reconcileScheduled.remove(model);
    reconcile(model);
  }

  private static Replica newest(List<Replica> list, ReplicaPhase phase) {
    for (int i = list.size() - 1; i >= 0; i--) if (list.get(i).phase == phase) return list.get(i);
    return null;
  }

  private void start(String model, List<Replica> list) {
    Launch launch = launches.get(model);
    ModelSpec spec = specs.get(model);
    String id = model + "-" + (++sequence);
    Replica r = new Replica(id, spec, launch, logDir().resolve(safeFileName(id) + ".log"), freePort());
    list.add(r);
    List<String> command = launch.command().expand(spec, id, r.port);
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(launch.env());
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.redirectError(ProcessBuilder.Redirect.appendTo(r.logFile.toFile()));
    try {
      r.process = pb.start();
    } catch (IOException e) {
      failed(r, "could not start " + command.get(0) + ": " + e.getMessage());
      return;
    }
    r.tree = new ProcessTree(r.process.toHandle());
    if (settings.orphanGuard()) {
      try {
        r.guard = guard(r.process.pid());
      } catch (IOException e) {
        log.warn("model {}: no orphan guard for replica {}: {}", model, id, e.toString());
      }
    }
    log.info("model {}: started replica {} (pid {}) on port {}, log {}", model, id, r.process.pid(), r.port, r.logFile);
    Process p = r.process;
    Thread reader = new Thread(() -> readStdout(r, p), "replica-stdout-" + id);
    reader.setDaemon(true);
    reader.start();
    p.onExit().thenRun(() -> exited(r, p));
    later(() -> startTimedOut(r), settings.startTimeout().toMillis());
    if (launch.readyLine() == null) up(r, r.port);
    fire(model);
  }

  /** Copies stdout to the replica's log and watches it for the ready line. */
  private void readStdout(Replica r, Process p) {
    Pattern readyLine = r.launch.readyLine();
    boolean seen = readyLine == null;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Writer out =
            Files.newBufferedWriter(
                r.logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.write(line);
        out.write('\n');
        out.flush();
        if (!seen) {
          Matcher m = readyLine.matcher(line);
          if (m.find()) {
            seen = true;
            up(r, portOf(m, r.port));
          }
        }
      }
    } catch (IOException e) {
      // the process went away: exited() reports it
    }
  }

  private static int portOf(Matcher m, int picked) {
    try {
      return Integer.parseInt(m.group("port"));
    } catch (IllegalArgumentException e) {
      return picked; // no group named port
    }
  }

  /** The replica serves on {@code port} now; ready at once, or once its ready path answers. */
  private synchronized void up(Replica r, int port) {
    if (r.phase != ReplicaPhase.STARTING || r.up) return;
    r.port = port;
    r.up = true;
    if (r.launch.readyPath() == null) ready(r);
    else poll(r);
  }

  private void poll(Replica r) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.port + r.launch.readyPath()))
            .timeout(Duration.ofSeconds(2))
            .GET()
            .build();
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .whenComplete(
            (response, error) -> {
              synchronized (this) {
                if (r.phase != ReplicaPhase.STARTING || closed) return;
                if (error == null && response.statusCode() / 100 == 2) {
                  ready(r);
                } else {
                  later(() -> pollIfStarting(r), settings.pollInterval().toMillis());
                }
              }
            });
  }

  private synchronized void pollIfStarting(Replica r) {
    if (r.phase == ReplicaPhase.STARTING && !closed) poll(r);
  }

  private void ready(Replica r) {
    r.phase = ReplicaPhase.READY;
    // the workers a server forks while loading are known now: a later kill -9 of the root must not orphan them
    if (r.tree != null) r.tree.refresh();
    consecutiveFailures.put(r.model.id(), 0);
    log.info("model {}: replica {} is ready on port {}", r.model.id(), r.id, r.port);
    fire(r.model.id());
  }

  private synchronized void startTimedOut(Replica r) {
    if (r.phase == ReplicaPhase.STARTING && !r.stopping) {
      failed(r, "not ready within " + settings.startTimeout().toMillis() + " ms");
    }
  }

  private synchronized void exited(Replica r, Process p) {
    if (r.guard != null) r.guard.destroyForcibly();
    if (r.stopping) {
      byModel.getOrDefault(r.model.id(), new ArrayList<>()).remove(r);
      log.info("model {}: replica {} stopped", r.model.id(), r.id);
      fire(r.model.id());
    } else if (r.phase != ReplicaPhase.FAILED) {
      failed(r, "exited with code " + p.exitValue());
    }
  }

  /** The replica is FAILED: its processes are stopped, and after the back-off it is replaced if still wanted. */
  private void failed(Replica r, String why) {
    String model = r.model.id();
    r.phase = ReplicaPhase.FAILED;
    stopInBackground(r);
    int failures = consecutiveFailures.merge(model, 1, Integer::sum);
    long backoff =
        Math.min(
            settings.restartBackoffMax().toMillis(),
            settings.restartBackoffMin().toMillis() << Math.min(20, failures - 1));
    noStartBeforeNanos.put(model, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff));
    log.warn("model {}: replica {} failed ({}); replaced in {} ms if still wanted, log {}", model, r.id, why, backoff, r.logFile);
    later(() -> forget(r), backoff);
    fire(model);
  }

  private synchronized void forget(Replica r) {
    byModel.getOrDefault(r.model.id(), new ArrayList<>()).remove(r);
    fire(r.model.id());
    reconcile(r.model.id());
  }

  private void drain(Replica r) {
    r.stopping = true;
    r.phase = ReplicaPhase.DRAINING;
    log.info("model {}: draining replica {}", r.model.id(), r.id);
    fire(r.model.id());
    later(() -> stopInBackground(r), settings.drainTime().toMillis());
  }

  /** SIGTERM, SIGKILL after the grace; on its own thread, since it blocks up to the grace. */
  private void stopInBackground(Replica r) {
    if (r.tree == null) return;
    Thread t = new Thread(() -> r.tree.stop(settings.stopGrace().toMillis()), "replica-stop-" + r.id);
    t.setDaemon(true);
    t.start();
  }

  /** Listeners hear of a change on the timer thread, never under this driver's lock. */
  private void fire(String model) {
    later(() -> listeners.fire(model), 0);
  }

  /** Runs on the timer thread after {@code millis}; nothing once the driver is closed. */
  private void later(Runnable task, long millis) {
    try {
      timer.schedule(task, millis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  // ---- closing

  /**
   * For an owner that closes this driver itself after draining its requests (a node does, in its stop): drops the JVM
   * hook, which on SIGTERM would stop every replica at once, beside the drain and under the requests it waits for.
   * Replicas are still reaped if the JVM dies without closing: each one's guard stops it when its parent is gone.
   */
  public void leaveStopToOwner() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is already exiting: the hook stops the processes
    }
  }

  @Override
  public void close() {
    List<ProcessTree> trees = terminateAll();
    long grace = settings.stopGrace().toMillis();
    for (ProcessTree t : trees) {
      if (!t.awaitExit(grace)) t.kill();
    }
    for (ProcessTree t : trees) t.awaitExit(10_000);
    stopGuards();
    timer.shutdownNow();
    listeners.clear();
    leaveStopToOwner();
  }

  /** Kills every orphan guard and waits for it to be gone: close() promises that nothing it started outlives it. */
  private void stopGuards() {
    List<Process> guards = new ArrayList<>();
    synchronized (this) {
      byModel.values().forEach(l -> l.stream().filter(r -> r.guard != null).forEach(r -> guards.add(r.guard)));
    }
    guards.forEach(Process::destroyForcibly);
    for (Process g : guards) {
      try {
        g.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** SIGTERM to every replica's process tree; returns the trees. */
  private synchronized List<ProcessTree> terminateAll() {
    closed = true;
    List<ProcessTree> trees = new ArrayList<>();
    for (List<Replica> list : byModel.values()) {
      for (Replica r : list) {
        r.stopping = true;
        if (r.tree != null) {
          r.tree.terminate();
          trees.add(r.tree);
        }
      }
    }
    return trees;
  }

  /** The JVM exits: SIGTERM, a short grace, SIGKILL. */
  private void stopAllNow() {
    List<ProcessTree> trees = terminateAll();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(5000, settings.stopGrace().toMillis()));
    for (ProcessTree t : trees) t.awaitExit(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    trees.forEach(ProcessTree::kill);
  }

  // ---- helpers

  private Path logDir() {
    if (logDir == null) {
      try {
        logDir = Files.createTempDirectory("pickspin-replicas-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create replica log directory " + logDir, e);
    }
    return logDir;
  }

  private static String safeFileName(String id) {
    return id.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /** A port nobody listens on now and that no replica of this driver was given. */
  private int freePort() {
    Set<Integer> taken = new HashSet<>();
    byModel.values().forEach(l -> l.forEach(r -> taken.add(r.port)));
    for (int attempt = 0; attempt < 20; attempt++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        if (!taken.contains(s.getLocalPort())) return s.getLocalPort();
      } catch (IOException e) {
        throw new UncheckedIOException("no free port on 127.0.0.1", e);
      }
    }
    throw new IllegalStateException("no free port on 127.0.0.1 after 20 attempts");
  }
}
