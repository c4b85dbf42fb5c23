package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The backend connections' own TCP: bytes both ways, back-pressure, half-close, failures. */
class SelectorTransportTest {
  private static ActorTestKit kit;
  private static SelectorTransport transport;
  private static ClientConnectionSettings settings;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("selector-transport-test");
    transport = SelectorTransport.start("selector-transport-test");
    settings = ClientConnectionSettings.create(kit.system().classicSystem()).withConnectingTimeout(Duration.ofSeconds(2));
  }

  @AfterAll
  static void stop() {
    transport.close();
    kit.shutdownTestKit();
  }

  private static Flow<ByteString, ByteString, ?> connect(String host, int port, ClientConnectionSettings s) {
    return transport.connectTo(host, port, s, kit.system().classicSystem());
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** A peer that reads everything until the client half-closes, then writes {@code answer} and closes. */
  private static CompletableFuture<byte[]> readAllThenAnswer(ServerSocket server, byte[] answer) {
    CompletableFuture<byte[]> received = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try (Socket s = server.accept()) {
        byte[] in = s.getInputStream().readAllBytes(); // until our half-close
        s.getOutputStream().write(answer);
        received.complete(in);
      } catch (IOException e) {
        received.completeExceptionally(e);
      }
    });
    t.setDaemon(true);
    t.start();
    return received;
  }

  @Test
  void bytesGoBothWaysAndAHalfCloseStillReadsTheAnswer() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      byte[] answer = bytes(300_000, 1);
      CompletableFuture<byte[]> received = readAllThenAnswer(server, answer);
      List<ByteString> sent = List.of(ByteString.fromString("hello "), ByteString.fromArray(bytes(100_000, 2)));
      ByteString got =
          Source.from(sent)
              .via(connect("127.0.0.1", server.getLocalPort(), settings))
              .runFold(ByteString.emptyByteString(), ByteString::concat, kit.system())
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      assertArrayEquals(sent.get(0).concat(sent.get(1)).toArray(), received.get(5, TimeUnit.SECONDS));
      assertArrayEquals(answer, got.toArray());
    }
  }

  @Test
  void aSlowReaderHoldsBackThePeerAndMissesNoByte() throws Exception {
    // more than loopback's socket buffers can hold (they grow to a few MiB), so that only back-pressure stops the peer
    int size = 16 << 20;
    byte[] answer = bytes(size, 3);
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Long> writtenBeforeFirstTake = new CompletableFuture<>();
      AtomicLong written = new AtomicLong();
      Thread peer = new Thread(() -> {
        try (Socket s = server.accept()) {
          s.setSendBufferSize(16 * 1024);
          for (int off = 0; off < size; off += 4096) {
            s.getOutputStream().write(answer, off, Math.min(4096, size - off));
            written.set(Math.min(off + 4096, size));
          }
        } catch (IOException e) {
          writtenBeforeFirstTake.completeExceptionally(e);
        }
      });
      peer.setDaemon(true);
      peer.start();
      CompletableFuture<ByteString> got =
          Source.<ByteString>maybe()
              .via(connect("127.0.0.1", server.getLocalPort(), settings))
              // the reader takes nothing for a second, then a chunk at a time with pauses
              .initialDelay(Duration.ofSeconds(1))
              .alsoTo(Sink.foreach(b -> writtenBeforeFirstTake.complete(written.get())))
              .throttle(64, Duration.ofMillis(10))
              .runFold(ByteString.emptyByteString(), ByteString::concat, kit.system())
              .toCompletableFuture();
      long before = writtenBeforeFirstTake.get(10, TimeUnit.SECONDS);
      // without back-pressure the peer would have written everything in that second; with it, the transport's bound
      // plus the socket buffers at most
      assertTrue(before < size, "the peer wrote " + before + " of " + size + " bytes before the reader took any");
      assertArrayEquals(answer, got.get(30, TimeUnit.SECONDS).toArray());
    }
  }

  @Test
  void aSlowPeerGetsEveryByteWrittenInOrder() throws Exception {
    // small pieces (held and written together), pieces larger than one write's buffer, and a peer that lets the
    // socket fill up, so that writes are partial and the rest waits for the selector
    List<ByteString> pieces = new ArrayList<>();
    Random random = new Random(4);
    for (int i = 0; i < 3000; i++) {
      pieces.add(ByteString.fromArray(bytes(i % 500 == 0 ? 300_000 : 1 + random.nextInt(2000), i)));
    }
    ByteString all = pieces.stream().reduce(ByteString.emptyByteString(), ByteString::concat);
    try (ServerSocket server = new ServerSocket()) {
      server.setReceiveBufferSize(8 * 1024);
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      CompletableFuture<byte[]> received = new CompletableFuture<>();
      Thread peer = new Thread(() -> {
        try (Socket s = server.accept()) {
          Thread.sleep(500);
          InputStream in = s.getInputStream();
          ByteArrayOutputStream got = new ByteArrayOutputStream();
          byte[] buffer = new byte[4096];
          for (int n; (n = in.read(buffer)) >= 0; ) {
            got.write(buffer, 0, n);
            if (got.size() % (256 * 1024) < n) Thread.sleep(5);
          }
          received.complete(got.toByteArray());
        } catch (IOException | InterruptedException e) {
          received.completeExceptionally(e);
        }
      });
      peer.setDaemon(true);
      peer.start();
      Source.from(pieces).via(connect("127.0.0.1", server.getLocalPort(), settings)).runWith(Sink.ignore(), kit.system());
      assertArrayEquals(all.toArray(), received.get(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void aRefusedConnectionFailsNamingTheAddress() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () -> Source.single(ByteString.fromString("x"))
                .via(connect("127.0.0.1", port, settings))
                .runWith(Sink.ignore(), kit.system())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS));
    assertInstanceOf(ConnectException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("127.0.0.1:" + port), e.getCause().getMessage());
  }

  @Test
  void aHostNameIsResolvedOffTheStream() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      CompletableFuture<byte[]> received = readAllThenAnswer(server, "ok".getBytes());
      ByteString got =
          Source.single(ByteString.fromString("ping"))
              .via(connect("localhost", server.getLocalPort(), settings))
              .runFold(ByteString.emptyByteString(), ByteString::concat, kit.system())
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      assertEquals("ping", new String(received.get(5, TimeUnit.SECONDS)));
      assertEquals("ok", got.utf8String());
    }
  }

  @Test
  void aConnectionIdleForItsTimeoutIsClosed() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Integer> peerSaw = new CompletableFuture<>();
      Thread peer = new Thread(() -> {
        try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
          peerSaw.complete(in.read()); // -1 once the transport closes the idle connection
        } catch (IOException e) {
          peerSaw.completeExceptionally(e);
        }
      });
      peer.setDaemon(true);
      peer.start();
      long start = System.nanoTime();
      ExecutionException e =
          assertThrows(
              ExecutionException.class,
              () -> Source.<ByteString>maybe()
                  .via(connect("127.0.0.1", server.getLocalPort(), settings.withIdleTimeout(Duration.ofMillis(300))))
                  .runWith(Sink.ignore(), kit.system())
                  .toCompletableFuture()
                  .get(10, TimeUnit.SECONDS));
      assertInstanceOf(SocketTimeoutException.class, e.getCause());
      assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300), "closed before the idle timeout");
      assertEquals(-1, peerSaw.get(5, TimeUnit.SECONDS));
    }
  }

  private static String echo(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes());
    byte[] b = new byte[text.length()];
    int n = 0;
    while (n < b.length) {
      int r = s.getInputStream().read(b, n, b.length - n);
      if (r < 0) throw new IOException("closed after " + n + " bytes");
      n += r;
    }
    return new String(b);
  }

  @Test
  void aListenerServesUpToItsBoundThenPausesAndStopsWhenUnbound() throws Exception {
    SelectorTransport.Listener listener =
        transport.listen(
            new InetSocketAddress("127.0.0.1", 0), 1, Duration.ofSeconds(30), Flow.of(ByteString.class),
            Materializer.matFromSystem(kit.system()), kit.system().executionContext());
    int port = listener.localAddress().getPort();
    try (Socket first = new Socket("127.0.0.1", port); Socket second = new Socket("127.0.0.1", port)) {
      first.setSoTimeout(5000);
      assertEquals("one", echo(first, "one"));
      // the bound is one connection: the second is accepted by the kernel but not served while the first is open
      second.setSoTimeout(500);
      assertThrows(SocketTimeoutException.class, () -> echo(second, "two"));
      first.close();
      second.setSoTimeout(5000);
      assertEquals("two", new String(second.getInputStream().readNBytes(3)), "served once the first closed");
      listener.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
      // unbinding leaves open connections open; closing them ends them
      assertEquals("three", echo(second, "three"));
      listener.closeConnections(Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(-1, second.getInputStream().read());
    }
  }

  @Test
  void onItsLoopsAnAcceptedConnectionsStreamRunsOnTheThreadThatReadsItsSocket() throws Exception {
    SelectorTransport onLoops = SelectorTransport.start("loops-transport-test", kit.system().classicSystem(), 2);
    try {
      // each element answers with the name of the thread the connection's stream ran it on
      Flow<ByteString, ByteString, ?> threadNames = Flow.of(ByteString.class).map(b -> ByteString.fromString(Thread.currentThread().getName() + "\n"));
      SelectorTransport.Listener listener =
          onLoops.listen(
              new InetSocketAddress("127.0.0.1", 0), 16, Duration.ofSeconds(30), threadNames,
              Materializer.matFromSystem(kit.system()), kit.system().executionContext());
      java.util.Set<String> loopsUsed = new java.util.HashSet<>();
      for (int c = 0; c < 8; c++) {
        try (Socket s = new Socket("127.0.0.1", listener.localAddress().getPort())) {
          s.setSoTimeout(5000);
          java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream()));
          java.util.Set<String> threads = new java.util.HashSet<>();
          for (int i = 0; i < 5; i++) {
            s.getOutputStream().write('x');
            threads.add(lines.readLine());
          }
          assertEquals(1, threads.size(), "one connection, one thread: " + threads);
          String thread = threads.iterator().next();
          assertTrue(thread.startsWith("loops-transport-test-"), "ran on " + thread + ", not on a loop");
          loopsUsed.add(thread);
        }
      }
      assertEquals(2, loopsUsed.size(), "connections spread over both loops: " + loopsUsed);
      listener.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } finally {
      onLoops.close();
    }
  }

  @Test
  void thePeerClosingEndsTheStreamAfterItsLastBytes() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      Thread peer = new Thread(() -> {
        try (Socket s = server.accept()) {
          s.getOutputStream().write("bye".getBytes());
        } catch (IOException ignored) {
          // the test fails on what it reads
        }
      });
      peer.setDaemon(true);
      peer.start();
      // the client never half-closes: the peer's close alone must end the stream
      ByteString got =
          Source.<ByteString>maybe()
              .via(connect("127.0.0.1", server.getLocalPort(), settings))
              .runFold(ByteString.emptyByteString(), ByteString::concat, kit.system())
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      assertEquals("bye", got.utf8String());
      assertFalse(SelectorTransport.isIpLiteral("localhost"));
      assertTrue(SelectorTransport.isIpLiteral("10.0.0.12") && SelectorTransport.isIpLiteral("::1"));
    }
  }
}
