package io.pickspin.lab.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Bad clients of one server on 127.0.0.1, all at once, until {@link #stop}: idle connections that never send a byte,
 * request heads sent a byte a second (one header line that never ends), bodies sent a byte a second after their head
 * (a Content-Length they never reach), and deeply nested JSON bodies at a fixed rate, each on a new connection. A
 * trickling client whose connection the server answers or closes opens a new one, so the pressure stays the same.
 * It records what the server did to each: how many idle connections it still held at the end, how long it let a
 * trickling client hold a connection, and the statuses and latencies of the deep JSON requests.
 */
final class AbuseMix {
  /** How the server treated the mix during one phase. */
  record Outcome(
      int idleOpened,
      int idleStillOpen,
      Endings slowHeads,
      Endings slowBodies,
      Map<String, Integer> deepJsonStatuses,
      Latencies deepJson) {}

  /** How trickling connections ended: how often by what ("closed", "reset", or the answer's status), and after how long. */
  record Endings(Map<String, Integer> byKind, Latencies heldFor, int stillOpen) {}

  private final InetSocketAddress server;
  private volatile boolean running = true;
  private final List<Socket> idle = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final Trickles heads = new Trickles();
  private final Trickles bodies = new Trickles();
  private final Map<String, Integer> deepStatuses = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Long> deepNanos = new ConcurrentLinkedQueue<>();

  /** One kind of trickling client's endings so far, and how many of its connections are open. */
  private static final class Trickles {
    final Map<String, Integer> byKind = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<Long> heldNanos = new ConcurrentLinkedQueue<>();
    final AtomicLong open = new AtomicLong();
  }

  private AbuseMix(InetSocketAddress server) {
    this.server = server;
  }

  /**
   * @param idleConnections connections opened and left silent
   * @param slowHeads connections that send a request head a byte a second
   * @param slowBodies connections that send a head, then its body a byte a second
   * @param deepJsonPerSecond requests with a body nested {@code depth} arrays deep, each on a new connection
   */
  static AbuseMix start(
      InetSocketAddress server, int idleConnections, int slowHeads, int slowBodies, int deepJsonPerSecond, int depth)
      throws IOException {
    AbuseMix mix = new AbuseMix(server);
    for (int i = 0; i < idleConnections; i++) {
      Socket s = new Socket();
      s.connect(server, 5_000);
      mix.idle.add(s);
    }
    // a header line that does not end within any timeout
    byte[] head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a".repeat(100_000))
        .getBytes(StandardCharsets.US_ASCII);
    byte[] bodyHead = ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] body = ("{\"model\":\"bench-small\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(100_000))
        .getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < slowHeads; i++) mix.thread("slow-head-" + i, () -> mix.trickle(new byte[0], head, mix.heads));
    for (int i = 0; i < slowBodies; i++) mix.thread("slow-body-" + i, () -> mix.trickle(bodyHead, body, mix.bodies));
    if (deepJsonPerSecond > 0) {
      String json = "{\"model\":\"bench-small\",\"messages\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
      byte[] request = HttpConnection.post("127.0.0.1", server.getPort(), "/v1/chat/completions", json, "Connection: close");
      mix.thread("deep-json", () -> mix.deepJson(request, deepJsonPerSecond));
    }
    return mix;
  }

  private void thread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  /** Stops every client, closes every connection, and tells what the server did. */
  Outcome stop() throws InterruptedException {
    running = false;
    for (Thread t : threads) t.join(5_000);
    int stillOpen = 0;
    for (Socket s : idle) {
      if (ending(s) == null) stillOpen++;
      closeQuietly(s);
    }
    return new Outcome(
        idle.size(), stillOpen, endings(heads), endings(bodies), new TreeMap<>(deepStatuses), latencies(deepNanos));
  }

  private static Endings endings(Trickles t) {
    return new Endings(new TreeMap<>(t.byKind), latencies(t.heldNanos), (int) t.open.get());
  }

  private static Latencies latencies(ConcurrentLinkedQueue<Long> nanos) {
    return Latencies.of(nanos.stream().mapToLong(Long::longValue).toArray());
  }

  /** Sends {@code upfront}, then {@code trickled} a byte a second, until the server answers or closes; then again. */
  private void trickle(byte[] upfront, byte[] trickled, Trickles record) {
    while (running) {
      long opened = System.nanoTime();
      Socket s = new Socket();
      try {
        s.connect(server, 5_000);
        record.open.incrementAndGet();
        OutputStream out = s.getOutputStream();
        out.write(upfront);
        out.flush();
        String ending = null;
        for (int i = 0; running && ending == null; i++) {
          out.write(trickled[i % trickled.length]);
          out.flush();
          long next = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
          while (running && ending == null && System.nanoTime() < next) {
            ending = ending(s);
            if (ending == null) LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
          }
        }
        if (ending != null) {
          record.byKind.merge(ending, 1, Integer::sum);
          record.heldNanos.add(System.nanoTime() - opened);
        }
      } catch (IOException e) {
        record.byKind.merge("reset", 1, Integer::sum);
        record.heldNanos.add(System.nanoTime() - opened);
      } finally {
        if (s.isConnected()) record.open.decrementAndGet();
        closeQuietly(s);
      }
      if (running) LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
  }

  /**
   * How the server ended a connection, looked at without waiting: null while it is open and silent, "closed" when it
   * closed without an answer, else the answer's status code.
   */
  private static String ending(Socket s) {
    try {
      s.setSoTimeout(1);
      InputStream in = s.getInputStream();
      int first = in.read();
      if (first == -1) return "closed";
      s.setSoTimeout(2_000);
      StringBuilder line = new StringBuilder().append((char) first);
      for (int c; (c = in.read()) != -1 && c != '\n'; ) line.append((char) c);
      String[] parts = line.toString().trim().split(" ");
      return parts.length > 1 ? parts[1] : line.toString().trim();
    } catch (SocketTimeoutException open) {
      return null;
    } catch (IOException e) {
      return "reset";
    }
  }

  /** Requests with deeply nested JSON at a fixed rate, one connection each; their statuses and latencies. */
  private void deepJson(byte[] request, int perSecond) {
    long interval = TimeUnit.SECONDS.toNanos(1) / perSecond;
    long next = System.nanoTime();
    while (running) {
      long wait = next - System.nanoTime();
      if (wait > 0) LockSupport.parkNanos(wait);
      next += interval;
      long sent = System.nanoTime();
      try (Socket s = new Socket()) {
        s.connect(server, 5_000);
        s.setSoTimeout(10_000);
        try {
          s.getOutputStream().write(request);
        } catch (IOException refusedEarly) {
          // the server may answer and close before it read everything: its answer is still to be read
        }
        InputStream in = s.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != -1 && c != '\n'; ) line.append((char) c);
        String[] parts = line.toString().trim().split(" ");
        deepStatuses.merge(parts.length > 1 ? parts[1] : "closed", 1, Integer::sum);
        in.readAllBytes();
        deepNanos.add(System.nanoTime() - sent);
      } catch (IOException e) {
        deepStatuses.merge("reset", 1, Integer::sum);
      }
      // behind by more than a second: start over rather than send a burst
      if (System.nanoTime() - next > TimeUnit.SECONDS.toNanos(1)) next = System.nanoTime();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing a connection the test no longer uses
    }
  }

  /** The statuses of a map as "400 x 120, closed x 3". */
  static String counts(Map<String, Integer> byKind) {
    if (byKind.isEmpty()) return "none";
    List<String> parts = new ArrayList<>();
    byKind.forEach((k, n) -> parts.add(k + " x " + n));
    Collections.sort(parts);
    return String.join(", ", parts);
  }
}
