package io.pickspin.persistence;

import java.io.DataInputStream;
import java.io.File;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A single-node Cassandra 5.0.9 in its own JVM on 127.0.0.1, for tests, development and the chaos harness. It is
 * forked exactly as ../shared/research/proto-pekko.md (section 2a) prescribes: cassandra-all's own classpath (written by
 * the persistence/cassandra-runtime module), a JDK 17 (Cassandra 5.0 fails on 24+), the jvm17-server.options flags and
 * a minimal yaml, with free native, storage and JMX ports. {@link #start} returns once the native port answers a CQL
 * OPTIONS request; data survives {@link #stop}, {@link #kill} and {@link #restart}, which keeps dir and ports.
 *
 * <p>Where things are found: the classpath from {@code -Dpickspin.cassandra.classpath} (the classpath itself),
 * {@code -Dpickspin.cassandra.classpath-file} or {@code PICKSPIN_CASSANDRA_CLASSPATH_FILE}, else
 * {@code persistence/cassandra-runtime/target/cassandra.classpath} above the working directory or
 * {@code -Dpickspin.project.dir}; the JDK from {@code -Dpickspin.cassandra.java} or {@code PICKSPIN_CASSANDRA_JAVA} (a
 * java binary or a JDK home), else this JVM when it is a 17, else a JDK 17 under /usr/lib/jvm.
 *
 * <p>Files under the data directory: {@code cassandra.yaml}, {@code logback.xml}, {@code data/}, {@code commitlog/}, ...,
 * {@code logs/system.log} (Cassandra's log) and {@code logs/output.log} (the JVM's stdout and stderr).
 */
public final class CassandraServer implements AutoCloseable {

  static final String MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon";
  static final String CLASSPATH_FILE = "persistence/cassandra-runtime/target/cassandra.classpath";

  /**
   * @param heap -Xms and -Xmx: 256m suits tests (RSS ~0.7 GB), 512m development (~1 GB)
   * @param startTimeout how long {@link #start} waits for CQL (5.6-6.4 s measured alone, ~15 s beside another JVM)
   * @param stopTimeout how long {@link #stop} lets Cassandra drain after SIGTERM before it kills it (~6 s measured)
   */
  public record Settings(String heap, Duration startTimeout, Duration stopTimeout, String clusterName) {
    public Settings {
      if (heap == null || !heap.matches("\\d+[kmgKMG]?")) throw new IllegalArgumentException("bad heap size " + heap);
      Objects.requireNonNull(startTimeout);
      Objects.requireNonNull(stopTimeout);
      if (clusterName == null || clusterName.isBlank() || clusterName.contains("'")) {
        throw new IllegalArgumentException("bad cluster name " + clusterName);
      }
    }

    public static Settings defaults() {
      return new Settings("512m", Duration.ofSeconds(90), Duration.ofSeconds(30), "pickspin-dev");
    }

    public Settings withHeap(String heap) {
      return new Settings(heap, startTimeout, stopTimeout, clusterName);
    }

    public Settings withStartTimeout(Duration timeout) {
      return new Settings(heap, timeout, stopTimeout, clusterName);
    }
  }

  private final Path dir;
  private final Settings settings;
  private final String classpath;
  private final Path java;
  private final int nativePort;
  private final int storagePort;
  private final int jmxPort;
  private Process process;
  private Thread reaper;
  private Duration lastStartTook = Duration.ZERO;

  private CassandraServer(Path dir, Settings settings, String classpath, Path java, int[] ports) {
    this.dir = dir;
    this.settings = settings;
    this.classpath = classpath;
    this.java = java;
    this.nativePort = ports[0];
    this.storagePort = ports[1];
    this.jmxPort = ports[2];
  }

  /** Starts Cassandra with {@link Settings#defaults()} on {@code dataDir} (created if missing) and waits for CQL. */
  public static CassandraServer start(Path dataDir) {
    return start(dataDir, Settings.defaults());
  }

  public static CassandraServer start(Path dataDir, Settings settings) {
    CassandraServer server =
        new CassandraServer(dataDir.toAbsolutePath(), settings, cassandraClasspath(), java17(), freePorts(3));
    server.launch();
    return server;
  }

  /** {@code "127.0.0.1:<native port>"}, as datastax-java-driver.basic.contact-points and Journal.configure take it. */
  public String contactPoint() {
    return "127.0.0.1:" + nativePort;
  }

  public int port() {
    return nativePort;
  }

  public Path dataDir() {
    return dir;
  }

  /** Process id of the Cassandra JVM (for SIGSTOP faults), or -1 when it is not running. */
  public synchronized long pid() {
    return isRunning() ? process.pid() : -1;
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Wall-clock time the last (re)start took until CQL answered. */
  public synchronized Duration lastStartTook() {
    return lastStartTook;
  }

  /** SIGTERM (Cassandra drains in its shutdown hook), then SIGKILL after the stop timeout; the whole process tree. */
  public synchronized void stop() {
    if (process == null) return;
    process.destroy();
    try {
      if (!process.waitFor(settings.stopTimeout().toMillis(), TimeUnit.MILLISECONDS)) killTree(process.toHandle());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      killTree(process.toHandle());
    }
    finish();
  }

  /** kill -9 of the process tree, as a crash: the commit log is replayed on the next start. */
  public synchronized void kill() {
    if (process == null) return;
    killTree(process.toHandle());
    finish();
  }

  /** Stops Cassandra if it runs, then starts it again on the same directory and ports and waits for CQL. */
  public synchronized void restart() {
    stop();
    launch();
  }

  @Override
  public void close() {
    stop();
  }

  private synchronized void launch() {
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(dir.resolve("logs"));
      Files.writeString(dir.resolve("cassandra.yaml"), yaml(), StandardCharsets.UTF_8);
      Files.writeString(dir.resolve("logback.xml"), resource("logback.xml"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare Cassandra directory " + dir, e);
    }
    ProcessBuilder pb = new ProcessBuilder(command()).directory(dir.toFile()).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("logs/output.log").toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    // options meant for this JVM must not leak into Cassandra's (gotcha G10)
    pb.environment().remove("JDK_JAVA_OPTIONS");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + java, e);
    }
    Process started = process;
    reaper = new Thread(() -> killTree(started.toHandle()), "cassandra-reaper-" + nativePort);
    Runtime.getRuntime().addShutdownHook(reaper);
    try {
      awaitCql(started);
    } catch (RuntimeException e) {
      kill();
      throw e;
    }
    lastStartTook = Duration.ofNanos(System.nanoTime() - t0);
  }

  List<String> command() {
    List<String> c = new ArrayList<>();
    c.add(java.toString());
    c.addAll(List.of("-Xms" + settings.heap(), "-Xmx" + settings.heap(), "-Xss512k"));
    c.addAll(
        List.of(
            "-XX:+UseG1GC", "-XX:+ParallelRefProcEnabled", "-XX:MaxTenuringThreshold=1", "-XX:+ExitOnOutOfMemoryError",
            "-XX:ActiveProcessorCount=2", "-Djdk.attach.allowAttachSelf=true"));
    // Cassandra's conf/jvm17-server.options, plus java.nio (proto-pekko.md G9)
    for (String e :
        List.of(
            "java.base/jdk.internal.misc", "java.management.rmi/com.sun.jmx.remote.internal.rmi",
            "java.rmi/sun.rmi.registry", "java.rmi/sun.rmi.server", "java.sql/java.sql", "java.base/java.lang.ref",
            "jdk.unsupported/sun.misc", "jdk.compiler/com.sun.tools.javac.file", "jdk.attach/sun.tools.attach")) {
      c.add("--add-exports");
      c.add(e + "=ALL-UNNAMED");
    }
    for (String o :
        List.of(
            "java.base/java.lang.module", "java.base/jdk.internal.loader", "java.base/jdk.internal.ref",
            "java.base/jdk.internal.reflect", "java.base/jdk.internal.math", "java.base/jdk.internal.module",
            "java.base/jdk.internal.util.jar", "jdk.management/com.sun.management.internal", "java.base/sun.nio.ch",
            "java.base/java.io", "java.base/java.lang.reflect", "jdk.compiler/com.sun.tools.javac",
            "java.base/java.lang", "java.base/java.util", "java.base/java.nio")) {
      c.add("--add-opens");
      c.add(o + "=ALL-UNNAMED");
    }
    c.addAll(
        List.of(
            "-Dio.netty.tryReflectionSetAccessible=true",
            "-Dio.netty.allocator.useCacheForAllThreads=true",
            "-Dio.netty.allocator.maxOrder=11",
            "-Dcassandra-foreground=true",
            "-Dcassandra.config=" + dir.resolve("cassandra.yaml").toUri(),
            "-Dcassandra.storagedir=" + dir,
            "-Dcassandra.logdir=" + dir.resolve("logs"),
            "-Dlogback.configurationFile=" + dir.resolve("logback.xml"),
            "-Dcassandra.jmx.local.port=" + jmxPort,
            // a single node on one host: nothing to wait for
            "-Dcassandra.ring_delay_ms=0",
            "-Dcassandra.skip_wait_for_gossip_to_settle=0",
            "-Dcassandra.superuser_setup_delay_ms=0",
            "-cp",
            classpath,
            MAIN_CLASS));
    return c;
  }

  private String yaml() {
    return resource("cassandra.yaml.template")
        .replace("@DIR@", dir.toString())
        .replace("@CLUSTER@", settings.clusterName())
        .replace("@PORT@", Integer.toString(nativePort))
        .replace("@SPORT@", Integer.toString(storagePort));
  }

  private static String resource(String name) {
    try (InputStream in = CassandraServer.class.getResourceAsStream("/pickspin/cassandra/" + name)) {
      if (in == null) throw new IllegalStateException("resource pickspin/cassandra/" + name + " is missing");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Polls until the native port answers a CQL OPTIONS frame with SUPPORTED, the process dies, or time runs out. */
  private void awaitCql(Process p) {
    long deadline = System.nanoTime() + settings.startTimeout().toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "Cassandra exited with code " + p.exitValue() + " before serving CQL on " + contactPoint() + "\n" + logTail());
      }
      if (answersCql(nativePort)) return;
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for Cassandra", e);
      }
    }
    throw new IllegalStateException(
        "Cassandra did not serve CQL on " + contactPoint() + " within " + settings.startTimeout() + "\n" + logTail());
  }

  /**
   * Native protocol v4 OPTIONS (opcode 5) on stream 1; a live server answers SUPPORTED (opcode 6). Cheaper than a
   * driver session, and it proves more than an open port: the port opens before CQL is served.
   */
  static boolean answersCql(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      s.setSoTimeout(2000);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeByte(0x04);
      out.writeByte(0);
      out.writeShort(1);
      out.writeByte(0x05);
      out.writeInt(0);
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      int version = in.readUnsignedByte();
      in.readUnsignedByte();
      in.readShort();
      int opcode = in.readUnsignedByte();
      return version == 0x84 && opcode == 0x06;
    } catch (IOException e) {
      return false;
    }
  }

  /** The last lines of Cassandra's log and of its console, for error messages. */
  String logTail() {
    StringBuilder sb = new StringBuilder();
    for (String name : List.of("logs/output.log", "logs/system.log")) {
      Path f = dir.resolve(name);
      if (!Files.exists(f)) continue;
      try {
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        sb.append("--- ").append(f).append(" (last lines)\n");
        lines.subList(Math.max(0, lines.size() - 25), lines.size()).forEach(l -> sb.append(l).append('\n'));
      } catch (IOException | UncheckedIOException e) {
        sb.append("--- ").append(f).append(": ").append(e).append('\n');
      }
    }
    return sb.toString();
  }

  private void finish() {
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (reaper != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException e) {
        // the JVM is shutting down; the hook runs anyway
      }
      reaper = null;
    }
    process = null;
  }

  /** SIGKILL to the descendants, then the root, and waits for the root to exit. */
  static void killTree(ProcessHandle root) {
    root.descendants().forEach(ProcessHandle::destroyForcibly);
    root.destroyForcibly();
    try {
      root.onExit().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // nothing more can be done
    }
  }

  static int[] freePorts(int n) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing a listening socket does not fail in practice
        }
      }
    }
  }

  /** cassandra-all's runtime classpath (see the class comment for where it is looked for). */
  static String cassandraClasspath() {
    String direct = System.getProperty("pickspin.cassandra.classpath");
    if (direct != null && !direct.isBlank()) return direct.trim();
    String file =
        Optional.ofNullable(System.getProperty("pickspin.cassandra.classpath-file"))
            .orElse(System.getenv("PICKSPIN_CASSANDRA_CLASSPATH_FILE"));
    Path found = file != null && !file.isBlank() ? Path.of(file) : findUpwards(CLASSPATH_FILE);
    if (found == null || !Files.isRegularFile(found)) {
      throw new IllegalStateException(
          "cassandra-all's classpath file was not found ("
              + (found == null ? CLASSPATH_FILE + " above " + Path.of("").toAbsolutePath() : found)
              + "); build it with: mvn -B -pl persistence/cassandra-runtime generate-resources");
    }
    try {
      String cp = Files.readString(found, StandardCharsets.UTF_8).trim();
      String first = cp.split(File.pathSeparator)[0];
      if (!Files.isRegularFile(Path.of(first))) {
        throw new IllegalStateException(found + " names " + first + ", which does not exist: rebuild it");
      }
      return cp;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path findUpwards(String relative) {
    List<Path> starts = new ArrayList<>();
    Optional.ofNullable(System.getProperty("pickspin.project.dir")).map(Path::of).ifPresent(starts::add);
    starts.add(Path.of("").toAbsolutePath());
    for (Path start : starts) {
      for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
        Path candidate = p.resolve(relative);
        if (Files.isRegularFile(candidate)) return candidate;
      }
    }
    return null;
  }

  /** A java binary of JDK 17 (see the class comment). */
  static Path java17() {
    String configured =
        Optional.ofNullable(System.getProperty("pickspin.cassandra.java")).orElse(System.getenv("PICKSPIN_CASSANDRA_JAVA"));
    if (configured != null && !configured.isBlank()) {
      Path p = Path.of(configured);
      Path bin = Files.isDirectory(p) ? p.resolve("bin/java") : p;
      if (!Files.isExecutable(bin)) throw new IllegalStateException("pickspin.cassandra.java: " + bin + " is not executable");
      return bin;
    }
    if (Runtime.version().feature() == 17) return Path.of(System.getProperty("java.home"), "bin", "java");
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> homes = Files.list(jvms)) {
        Optional<Path> jdk17 =
            homes.sorted().filter(h -> isJdk17(h) && Files.isExecutable(h.resolve("bin/java"))).findFirst();
        if (jdk17.isPresent()) return jdk17.get().resolve("bin/java");
      } catch (IOException e) {
        // fall through to the error
      }
    }
    throw new IllegalStateException(
        "Cassandra 5.0 needs a JDK 17 (it fails on 24+) and none was found: set -Dpickspin.cassandra.java or "
            + "PICKSPIN_CASSANDRA_JAVA to one");
  }

  private static boolean isJdk17(Path home) {
    try {
      return Files.readAllLines(home.resolve("release")).stream().anyMatch(l -> l.startsWith("JAVA_VERSION=\"17"));
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "CassandraServer" + Map.of("contactPoint", contactPoint(), "dir", dir.toString());
  }
}
