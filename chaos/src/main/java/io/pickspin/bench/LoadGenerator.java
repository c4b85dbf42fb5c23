package io.pickspin.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends one prepared request to one server, open loop (constant arrival rate, whatever the answers do) or closed loop
 * (N connections, each sending its next request when the last one ended).
 *
 * <p>Open loop: a scheduler thread releases request i at {@code start + i / rate}; a pool of blocking connections takes
 * them, growing (up to a bound) when all are busy. Latency runs from the scheduled send time, not the actual one, so a
 * server stall is charged to every request that should have been sent during it (no coordinated omission).
 */
final class LoadGenerator {
  /** What to send: a complete HTTP request to host:port. */
  record Target(String name, String host, int port, byte[] request, boolean sse) {}

  /**
   * Latencies (nanoseconds, unsorted) of the measured requests, plus counts; {@code connections} is how many the run
   * opened (an open loop opens one whenever all are busy, as a client's pool would).
   */
  record Run(long[] latenciesNanos, long sent, long errors, double seconds, String firstError, int connections) {
    long ok() {
      return latenciesNanos.length;
    }

    double throughput() {
      return ok() / seconds;
    }
  }

  /** Called when the measured part of a run starts and when it ends (e.g. to read CPU counters of the servers). */
  interface Window {
    Window NONE = new Window() {};

    default void started() {}

    default void ended() {}
  }

  private static final long POISON = Long.MIN_VALUE;

  private final int maxConnections;

  LoadGenerator(int maxConnections) {
    this.maxConnections = maxConnections;
  }

  /** Sends at {@code ratePerSecond} for {@code warmup + duration}; only requests scheduled after the warm-up count. */
  Run openLoop(Target target, double ratePerSecond, Duration warmup, Duration duration, Window window)
      throws InterruptedException {
    LinkedBlockingQueue<Long> due = new LinkedBlockingQueue<>();
    Recorder recorder = new Recorder();
    AtomicInteger idle = new AtomicInteger();
    List<Thread> workers = new ArrayList<>();
    long interval = Math.round(1e9 / ratePerSecond);
    long start = System.nanoTime() + 20_000_000;
    long measureFrom = start + warmup.toNanos();
    long end = measureFrom + duration.toNanos();
    recorder.measureFrom = measureFrom;
    for (int i = 0; i < Math.min(4, maxConnections); i++) workers.add(worker(target, due, recorder, idle));
    long sent = 0;
    for (long i = 0; ; i++) {
      long at = start + i * interval;
      if (at >= end) break;
      long wait;
      while ((wait = at - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
      if (at >= measureFrom && sent++ == 0) window.started();
      due.add(at);
      // every connection busy and requests waiting: open another one
      if (idle.get() == 0 && !due.isEmpty() && workers.size() < maxConnections) {
        workers.add(worker(target, due, recorder, idle));
      }
    }
    long wait;
    while ((wait = end - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
    window.ended();
    // let the requests in flight end (they still count), then stop the connections
    long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (recorder.finished.get() < sent && System.nanoTime() < drainUntil) Thread.sleep(5);
    for (int i = 0; i < workers.size(); i++) due.add(POISON);
    for (Thread w : workers) w.join(TimeUnit.SECONDS.toMillis(31));
    double seconds = duration.toNanos() / 1e9;
    return recorder.run(sent, seconds, workers.size());
  }

  /** {@code connections} connections, each sending back to back, for {@code warmup + duration}. */
  Run closedLoop(Target target, int connections, Duration warmup, Duration duration, Window window)
      throws InterruptedException {
    Recorder recorder = new Recorder();
    long measureFrom = System.nanoTime() + warmup.toNanos();
    long end = measureFrom + duration.toNanos();
    recorder.measureFrom = measureFrom;
    AtomicLong sent = new AtomicLong();
    List<Thread> workers = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      Thread t = new Thread(() -> {
        try (HttpConnection connection = new HttpConnection(target.host(), target.port())) {
          long now;
          while ((now = System.nanoTime()) < end) {
            if (now >= measureFrom) sent.incrementAndGet();
            exchange(connection, target, now, recorder);
          }
        }
      }, "bench-closed-" + c);
      t.setDaemon(true);
      t.start();
      workers.add(t);
    }
    long wait;
    while ((wait = measureFrom - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
    window.started();
    while ((wait = end - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
    window.ended();
    for (Thread w : workers) w.join(35_000);
    return recorder.run(sent.get(), duration.toNanos() / 1e9, connections);
  }

  private Thread worker(Target target, LinkedBlockingQueue<Long> due, Recorder recorder, AtomicInteger idle) {
    Thread t = new Thread(() -> {
      try (HttpConnection connection = new HttpConnection(target.host(), target.port())) {
        while (true) {
          idle.incrementAndGet();
          long at;
          try {
            at = due.take();
          } finally {
            idle.decrementAndGet();
          }
          if (at == POISON) return;
          exchange(connection, target, at, recorder);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "bench-open-" + target.name());
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void exchange(HttpConnection connection, LoadGenerator.Target target, long scheduledAt, Recorder recorder) {
    try {
      HttpConnection.Answer a = connection.exchange(target.request(), target.sse());
      long done = System.nanoTime();
      if (a.complete()) recorder.ok(scheduledAt, done - scheduledAt);
      else recorder.error(scheduledAt, "status " + a.status() + (a.status() == 200 ? " without [DONE]" : ""));
    } catch (IOException | RuntimeException e) {
      recorder.error(scheduledAt, e.toString());
    }
  }

  /** Collects latencies of requests scheduled at or after {@code measureFrom}. */
  private static final class Recorder {
    volatile long measureFrom;
    final AtomicLong finished = new AtomicLong();
    private long[] latencies = new long[1 << 14];
    private int count;
    private long errors;
    private String firstError;

    synchronized void ok(long scheduledAt, long nanos) {
      if (scheduledAt < measureFrom) return;
      if (count == latencies.length) latencies = java.util.Arrays.copyOf(latencies, count * 2);
      latencies[count++] = nanos;
      finished.incrementAndGet();
    }

    synchronized void error(long scheduledAt, String what) {
      if (scheduledAt < measureFrom) return;
      errors++;
      if (firstError == null) firstError = what;
      finished.incrementAndGet();
    }

    synchronized Run run(long sent, double seconds, int connections) {
      return new Run(
          java.util.Arrays.copyOf(latencies, count), sent, errors + Math.max(0, sent - count - errors), seconds, firstError, connections);
    }
  }
}
