package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.Outcome;
import io.pickspin.sim.server.SimModel;
import io.pickspin.sim.server.SimServer;
import io.pickspin.testing.Eventually;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's connections to replicas (Pekko HTTP's pool, one per replica) against replicas on plain sockets: reuse, a
 * replica that hangs up on a kept connection, the per-replica bound, a client that leaves, a replica that stalls.
 */
class BackendConnectionsTest {
  private static final String BODY =
      "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}";
  private static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("backend-connections-test");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /**
   * A replica on a plain socket, one thread per connection: it counts connections, answers after a delay, and may hang
   * up on a connection's next request after a number of answers, as a replica whose keep-alive timer fired while the
   * request was on its way. One that stalls sends the head of a streamed answer and one event, then nothing.
   */
  private static final class SocketReplica implements AutoCloseable {
    final ServerSocket server;
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    final int answersPerConnection;
    final long delayMs;
    final boolean stalls;

    SocketReplica(int answersPerConnection, long delayMs) throws IOException {
      this(answersPerConnection, delayMs, false);
    }

    static SocketReplica stallingAfterOneEvent() throws IOException {
      return new SocketReplica(0, 0, true);
    }

    private SocketReplica(int answersPerConnection, long delayMs, boolean stalls) throws IOException {
      this.answersPerConnection = answersPerConnection;
      this.delayMs = delayMs;
      this.stalls = stalls;
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor = new Thread(this::accept, "socket-replica");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    URI baseUrl() {
      return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          connections.incrementAndGet();
          Thread t = new Thread(() -> serve(s), "socket-replica-connection");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket s) {
      try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
        int answered = 0;
        while (true) {
          String head = readHead(in);
          if (head == null) return; // the gateway closed the connection
          int length = contentLength(head);
          in.readNBytes(length);
          requests.incrementAndGet();
          if (answersPerConnection > 0 && answered >= answersPerConnection) return; // hang up without an answer
          if (delayMs > 0) Thread.sleep(delayMs);
          if (stalls) {
            String event = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Paris\"}}]}\n\n";
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(event.length()) + "\r\n" + event + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            while (in.read() >= 0) {} // nothing more, until the gateway closes the connection
            return;
          }
          byte[] body =
              "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Paris\"}}]}"
                  .getBytes(StandardCharsets.UTF_8);
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
          out.write(body);
          out.flush();
          answered++;
        }
      } catch (IOException | InterruptedException e) {
        // the gateway closed the connection
      }
    }

    private static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int lastFour = 0;
      while (lastFour != 0x0D0A0D0A) { // up to the empty line
        int b = in.read();
        if (b < 0) return null;
        head.write(b);
        lastFour = (lastFour << 8) | b;
      }
      return head.toString(StandardCharsets.US_ASCII);
    }

    private static int contentLength(String head) {
      for (String line : head.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) return Integer.parseInt(line.substring(15).trim());
      }
      return 0;
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /** Model {@code m} on the one replica. */
  private static Catalog catalog(URI replica) {
    List<BackendEndpoint> backend = List.of(new BackendEndpoint("replica-0", "sim", replica));
    return new Catalog(List.of(new ModelSpec("m", Tier.LOW, "m", 0.5, 1, 2.0, new LatencyProfile(5, 1, 8, 0), 0, 1, backend)));
  }

  private static GatewaySettings settings(int backendMaxConnections) {
    return settings(backendMaxConnections, null);
  }

  /** @param idleTimeout the answer streams' idle timeout, or null for the default */
  private static GatewaySettings settings(int backendMaxConnections, Duration idleTimeout) {
    GatewaySettings s = TestGatewaySettings.of(kit.system());
    return new GatewaySettings(
        s.host(), 0, s.maxBodyBytes(), s.connectTimeout(), s.firstByteTimeout(), idleTimeout != null ? idleTimeout : s.idleTimeout(),
        s.maxHold(), s.maxAttempts(), s.streamHoldGrace(), s.keepAliveInterval(), backendMaxConnections, s.classifierThreads(),
        s.classifierQueueSize());
  }

  private interface WithGateway {
    void run(String url, RecordingLeases leases) throws Exception;
  }

  private static void withGateway(SocketReplica replica, int backendMaxConnections, WithGateway body) throws Exception {
    withGateway(replica.baseUrl(), settings(backendMaxConnections), body);
  }

  private static void withGateway(URI replica, GatewaySettings settings, WithGateway body) throws Exception {
    Catalog catalog = catalog(replica);
    RecordingLeases leases = new RecordingLeases(catalog);
    Gateway g = Gateway.start(kit.system(), settings, catalog, new MediumTierPolicy(catalog), leases)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      body.run("http://127.0.0.1:" + g.port() + "/v1/chat/completions", leases);
    } finally {
      g.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  private static HttpResponse<String> post(HttpClient client, String url) throws Exception {
    return post(client, url, BODY);
  }

  private static HttpResponse<String> post(HttpClient client, String url, String body) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aClientsRequestsShareOneBackendConnection() throws Exception {
    try (SocketReplica replica = new SocketReplica(0, 0)) {
      withGateway(replica, 1024, (url, leases) -> {
        HttpClient client = client();
        for (int i = 0; i < 5; i++) assertEquals(200, post(client, url).statusCode());
        assertEquals(5, replica.requests.get());
        assertEquals(1, replica.connections.get(), "one client connection, one backend connection");
      });
    }
  }

  @Test
  void aRequestOnAKeptConnectionTheReplicaHungUpOnIsSentAgainOverANewOne() throws Exception {
    try (SocketReplica replica = new SocketReplica(1, 0)) {
      withGateway(replica, 1024, (url, leases) -> {
        HttpClient client = client();
        for (int i = 0; i < 3; i++) {
          HttpResponse<String> r = post(client, url);
          assertEquals(200, r.statusCode(), r.body());
          assertEquals("1", r.headers().firstValue("x-pickspin-attempts").orElse("1"), "sent again by the connection, not retried");
        }
        assertEquals(3, replica.connections.get());
        for (int i = 0; i < 3; i++) {
          Outcome o = leases.outcomes.poll(5, TimeUnit.SECONDS);
          assertTrue(o != null && o.ok(), "the replica is not to blame: " + o);
        }
      });
    }
  }

  @Test
  void beyondTheBoundOnAReplicasConnectionsRequestsWaitForOneOfThem() throws Exception {
    try (SocketReplica replica = new SocketReplica(0, 300)) {
      withGateway(replica, 1, (url, leases) -> {
        // two client connections at once; the bound allows one connection to the replica
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> send(client(), url));
        CompletableFuture<HttpResponse<String>> second = CompletableFuture.supplyAsync(() -> send(client(), url));
        assertEquals(200, first.get(20, TimeUnit.SECONDS).statusCode());
        assertEquals(200, second.get(20, TimeUnit.SECONDS).statusCode());
        assertEquals(2, replica.requests.get());
        assertEquals(1, replica.connections.get());
      });
    }
  }

  @Test
  void aClientThatLeavesBeforeTheAnswerReleasesItsReplicaWithoutBlamingIt() throws Exception {
    try (SocketReplica replica = new SocketReplica(0, 1500)) {
      withGateway(replica, 1024, (url, leases) -> {
        URI u = URI.create(url);
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
          byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
          s.getOutputStream().write(("POST " + u.getPath() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().write(body);
          s.getOutputStream().flush();
          Eventually.awaitEquals("requests at the replica", Duration.ofSeconds(5), 1, replica.requests::get);
        } // the client hangs up while the replica works
        Outcome o = leases.outcomes.poll(5, TimeUnit.SECONDS);
        assertTrue(o != null && !o.replicaFault(), "released, and not as the replica's fault: " + o);
        assertEquals(1, replica.requests.get(), "not sent again: no one waits for the answer");
      });
    }
  }

  @Test
  void backendConnectionsOutliveTheClientConnectionsTheyServed() throws Exception {
    try (SocketReplica replica = new SocketReplica(0, 0)) {
      withGateway(replica, 1024, (url, leases) -> {
        for (int i = 0; i < 3; i++) {
          String answer = postAndClose(URI.create(url), BODY); // a new client connection each time, closed after
          assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        }
        assertEquals(3, replica.requests.get());
        assertEquals(1, replica.connections.get(), "one kept connection, not one per client connection");
      });
    }
  }

  @Test
  void aStreamedAnswerToAClientThatAsksToCloseArrivesWhole() throws Exception {
    // the client connection ends with this request: its backend connection must still stream the answer to its end
    SimServer sim = SimServer.start(kit.system(), "127.0.0.1", 0, List.of(new SimModel("m", new LatencyProfile(5, 20, 8, 0))))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      String body = "{\"model\":\"m\",\"max_tokens\":15,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
      String direct = postAndClose(URI.create(sim.baseUrl() + "/v1/chat/completions"), body);
      long events = direct.lines().filter(l -> l.startsWith("data: {")).count();
      assertTrue(events >= 15, direct);
      withGateway(sim.baseUrl(), settings(1024), (url, leases) -> {
        String answer = postAndClose(URI.create(url), body);
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        assertEquals(events, answer.lines().filter(l -> l.startsWith("data: {")).count(), answer);
        assertTrue(answer.contains("data: [DONE]"), answer);
        Outcome o = leases.outcomes.poll(5, TimeUnit.SECONDS);
        assertTrue(o != null && o.ok(), "the answer ended well: " + o);
      });
    } finally {
      sim.close();
    }
  }

  @Test
  void aReplicaThatStallsMidAnswerIsCutAfterTheIdleTimeoutWithAnErrorEvent() throws Exception {
    try (SocketReplica replica = SocketReplica.stallingAfterOneEvent()) {
      withGateway(replica.baseUrl(), settings(1024, Duration.ofMillis(500)), (url, leases) -> {
        String body = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        long start = System.nanoTime();
        HttpResponse<String> r = post(client(), url, body);
        assertEquals(200, r.statusCode());
        assertTrue(r.body().startsWith("data: {\"choices\""), "the event before the stall arrives: " + r.body());
        assertTrue(r.body().contains("\"code\":\"backend_stream_error\""), r.body());
        assertTrue(r.body().trim().endsWith("data: [DONE]"), r.body());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        Outcome o = leases.outcomes.poll(5, TimeUnit.SECONDS);
        assertTrue(o != null && !o.ok() && o.replicaFault(), "released as the replica's failure: " + o);
        assertEquals("stream-StreamIdleTimeoutException", o.error());
      });
    }
  }

  /** Posts with {@code Connection: close} and reads the whole answer, up to the close. */
  private static String postAndClose(URI url, String body) throws IOException {
    try (Socket s = new Socket(url.getHost(), url.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(("POST " + url.getPath() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
          .getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static HttpResponse<String> send(HttpClient client, String url) {
    try {
      return post(client, url);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
