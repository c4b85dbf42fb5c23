package io.pickspin.lab.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A process the bench starts (sim, gateway, nginx, Portkey): its stderr goes to a log file, its stdout lines can be awaited,
 * and its stdin takes commands. {@link #close} sends SIGTERM, then SIGKILL after a grace period.
 */
final class ChildProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final PrintWriter stdin;

  private ChildProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) lines.add(l);
      } catch (IOException ignored) {
        // the process ended
      }
    }, name + "-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  static ChildProcess start(String name, List<String> command, Path logDir) throws IOException {
    return start(name, command, logDir, env -> {});
  }

  /** As {@link #start(String, List, Path)}, with the environment (this process's) changed by {@code environment}. */
  static ChildProcess start(String name, List<String> command, Path logDir, Consumer<Map<String, String>> environment)
      throws IOException {
    Path log = logDir.resolve(name + ".log");
    ProcessBuilder b = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    environment.accept(b.environment());
    return new ChildProcess(name, b.start(), log);
  }

  /** Waits for a stdout line starting with {@code prefix} and returns the rest of it. */
  String awaitLine(String prefix, Duration timeout) throws IOException, InterruptedException {
    long until = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < until) {
      String l = lines.poll(100, TimeUnit.MILLISECONDS);
      if (l != null && l.startsWith(prefix)) return l.substring(prefix.length()).trim();
      if (l == null && !process.isAlive()) break;
    }
    throw new IOException(name + " did not print '" + prefix + "' within " + timeout.toSeconds() + " s; its log "
        + log + " ends with:\n" + tail());
  }

  /** Sends a command line and waits for the answer line that starts with {@code answerPrefix}. */
  String ask(String command, String answerPrefix, Duration timeout) throws IOException, InterruptedException {
    stdin.println(command);
    return awaitLine(answerPrefix, timeout);
  }

  long pid() {
    return process.pid();
  }

  /** Throws if the process has ended: a benchmark against a dead server measures nothing. */
  void requireAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(name + " (pid " + process.pid() + ") ended with exit code " + process.exitValue()
          + " while the benchmark ran (something else on this machine may have stopped it); its log " + log
          + " ends with:\n" + tail());
    }
  }

  private String tail() {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - 20), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    if (!process.isAlive()) return;
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
