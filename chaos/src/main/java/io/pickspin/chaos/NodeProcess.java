package io.pickspin.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Pick and Spin node in its own JVM, so that faults are real: kill -9, SIGSTOP/SIGCONT and SIGTERM reach a process,
 * not a thread. The node runs {@code io.pickspin.cluster.Main} on the classpath of this JVM.
 */
public final class NodeProcess implements AutoCloseable {
  private final String name;
  private final Map<String, String> settings;
  private final String heap;
  private final Path log;
  private Process process;

  private NodeProcess(String name, Map<String, String> settings, String heap, Path log) {
    this.name = name;
    this.settings = new java.util.LinkedHashMap<>(settings);
    this.heap = heap;
    this.log = log;
  }

  /**
   * @param settings -D settings for the node (ports, seed nodes, journal)
   */
  public static NodeProcess start(String name, Map<String, String> settings, Path logDir, String heap) throws IOException {
    Files.createDirectories(logDir);
    NodeProcess node = new NodeProcess(name, settings, heap, logDir.resolve(name + ".log"));
    node.launch();
    return node;
  }

  private List<String> command() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xms" + heap);
    cmd.add("-Xmx" + heap);
    cmd.add("-XX:+UseG1GC");
    cmd.add("-XX:ActiveProcessorCount=2");
    cmd.add("-Dai.djl.offline=true");
    settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add("-cp");
    cmd.add(JvmClasspath.current());
    cmd.add("io.pickspin.cluster.Main");
    return cmd;
  }

  private void launch() throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("OPT_OUT_TRACKING", "true");
    process = pb.start();
    process.getOutputStream().close();
  }

  /**
   * Starts the node again after it was killed or stopped, with some settings changed (e.g. seed nodes that do not list
   * itself first: a restarted first seed node that hears no other seed in time would form a second cluster).
   */
  public void restart(Map<String, String> changed) throws IOException {
    if (process != null && process.isAlive()) throw new IllegalStateException(name + " is still running");
    settings.putAll(changed);
    launch();
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  public Path log() {
    return log;
  }

  /** kill -9: no shutdown hook, no graceful leave. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM: the node leaves the cluster gracefully and hands over its singleton. */
  public boolean terminate(Duration grace) throws InterruptedException {
    process.destroy();
    return process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Waits up to {@code timeout} for the process to end by itself (e.g. a node that found itself downed). */
  public boolean exitsWithin(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** SIGSTOP: the process freezes; peers see it unreachable, as in a long GC pause or a hung VM. */
  public void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause()}. */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String sig) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + sig + " " + process.pid() + " failed");
    }
  }

  @Override
  public void close() {
    if (process == null || !process.isAlive()) return;
    try {
      resume(); // a stopped process ignores SIGTERM until continued
    } catch (Exception ignored) {
      // it may have exited in between
    }
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
