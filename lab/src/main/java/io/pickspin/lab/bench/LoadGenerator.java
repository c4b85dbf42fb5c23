package io.pickspin.lab.bench;

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
 * Sends one prepared request to one server, open loop (constant arrival rate, whatever the answers do), closed loop
 * (N connections, each sending its next request when the last one ended), or churn (new connections one after another,
 * two requests each).
 *
 * <p>Open loop: a scheduler thread releases request i at {@code start + i / rate}; a pool of blocking connections takes
 * them, growing (up to a bound) when all are busy. Latency runs from the scheduled send time, not the actual one, so a
 * server stall is charged to every request that should have been sent during it (no coordinated omission). Several
 * targets can share one open loop in time slices ({@link TimeSlices}), each with its own connections.
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

  /**
   * A churn run: each new connection's first request (its latency includes the TCP connect) and second request (the
   * same connection, kept alive), one Run each with a request per connection. A connection whose first request failed
   * sends no second one, which counts as failed too.
   */
  record Churn(Run first, Run second) {
    /** How many requests each connection of a churn run sends. */
    static final int REQUESTS_PER_CONNECTION = 2;
    /** Between two connections: time for the server to be done with one (and its close) before the next comes. */
    static final long PAUSE_MILLIS = 2;

    long errors() {
      return first.errors() + second.errors();
    }

    /** The first failure of the run, null if none. */
    String firstError() {
      return first.firstError() != null ? first.firstError() : second.firstError();
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
    return openLoop(List.of(target), TimeSlices.oneWay(ratePerSecond, warmup, duration), window).get(0);
  }

  /**
   * One open loop shared in time by the targets ({@code --interleave-ms}): request i of the grid is due at
   * {@code slices.sendTime(i)} and goes to the target whose slice holds that time, over its own connections. One Run per
   * target, in order; requests in flight when a slice ends finish during the next one. {@code window} spans the measured
   * part of the whole run.
   */
  List<Run> openLoop(List<Target> targets, TimeSlices slices, Window window) throws InterruptedException {
    if (targets.size() != slices.ways()) {
      throw new IllegalArgumentException(targets.size() + " targets for " + slices.ways() + " ways of time slices");
    }
    long start = System.nanoTime() + 20_000_000;
    long measureFrom = start + slices.measuredFrom();
    long end = start + slices.length();
    List<Connections> pools = new ArrayList<>();
    for (Target t : targets) pools.add(new Connections(t, measureFrom));
    boolean measuring = false;
    for (long i = 0; ; i++) {
      long offset = slices.sendTime(i);
      if (offset >= slices.length()) break;
      long at = start + offset;
      long wait;
      while ((wait = at - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
      boolean measured = at >= measureFrom;
      if (measured && !measuring) {
        measuring = true;
        window.started();
      }
      pools.get(slices.wayAt(offset)).send(at, measured);
    }
    long wait;
    while ((wait = end - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
    window.ended();
    // let the requests in flight end (they still count), then stop the connections
    long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!pools.stream().allMatch(Connections::drained) && System.nanoTime() < drainUntil) Thread.sleep(5);
    for (Connections c : pools) c.stop();
    for (Connections c : pools) c.awaitStopped();
    List<Run> runs = new ArrayList<>();
    for (Connections c : pools) runs.add(c.run(slices.measuredNanosPerWay() / 1e9));
    return runs;
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

  /**
   * {@code connections} new connections one after another: each is opened, sends a first and a second request and is
   * closed, then a pause, so that the server handles every connection on its own. {@code window} spans all of them.
   */
  Churn churn(Target target, int connections, Window window) throws InterruptedException {
    Recorder first = new Recorder();
    Recorder second = new Recorder();
    long start = System.nanoTime();
    first.measureFrom = second.measureFrom = start;
    window.started();
    for (int c = 0; c < connections; c++) {
      // HttpConnection connects on its first exchange: the first request's latency includes the connect
      try (HttpConnection connection = new HttpConnection(target.host(), target.port())) {
        if (exchange(connection, target, System.nanoTime(), first)) {
          exchange(connection, target, System.nanoTime(), second);
        } else {
          second.error(System.nanoTime(), "not sent: the first request on the connection failed");
        }
      }
      Thread.sleep(Churn.PAUSE_MILLIS);
    }
    window.ended();
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Churn(first.run(connections, seconds, connections), second.run(connections, seconds, connections));
  }

  /**
   * An open loop's blocking connections to one target, fed by a queue of due requests (their scheduled send times); a
   * connection is opened whenever all are busy, as a client's pool would, up to the bound.
   */
  private final class Connections {
    private final Target target;
    private final LinkedBlockingQueue<Long> due = new LinkedBlockingQueue<>();
    private final Recorder recorder = new Recorder();
    private final AtomicInteger idle = new AtomicInteger();
    private final List<Thread> workers = new ArrayList<>();
    private long sent; // measured requests handed over; the scheduler thread's alone

    Connections(Target target, long measureFrom) {
      this.target = target;
      recorder.measureFrom = measureFrom;
      for (int i = 0; i < Math.min(4, maxConnections); i++) open();
    }

    void send(long scheduledAt, boolean measured) {
      if (measured) sent++;
      due.add(scheduledAt);
      // every connection busy and requests waiting: open another one
      if (idle.get() == 0 && !due.isEmpty() && workers.size() < maxConnections) open();
    }

    boolean drained() {
      return recorder.finished.get() >= sent;
    }

    /** Tells every connection to close once the requests queued before are done. */
    void stop() {
      for (int i = 0; i < workers.size(); i++) due.add(POISON);
    }

    void awaitStopped() throws InterruptedException {
      for (Thread w : workers) w.join(TimeUnit.SECONDS.toMillis(31));
    }

    Run run(double seconds) {
      return recorder.run(sent, seconds, workers.size());
    }

    /** A connection: a thread that takes the due requests one after the other. */
    private void open() {
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
      workers.add(t);
    }
  }

  /** One request and its answer, recorded; whether the answer was complete. */
  private static boolean exchange(HttpConnection connection, LoadGenerator.Target target, long scheduledAt, Recorder recorder) {
    try {
      HttpConnection.Answer a = connection.exchange(target.request(), target.sse());
      long done = System.nanoTime();
      if (a.complete()) recorder.ok(scheduledAt, done - scheduledAt);
      else recorder.error(scheduledAt, "status " + a.status() + (a.status() == 200 ? " without [DONE]" : ""));
      return a.complete();
    } catch (IOException | RuntimeException e) {
      recorder.error(scheduledAt, e.toString());
      return false;
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
