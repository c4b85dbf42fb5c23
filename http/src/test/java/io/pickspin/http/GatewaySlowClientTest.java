package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.StaticLeaseProvider;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Clients that send slowly or too much get a clear 4xx within the bounds, not a connection held open. */
class GatewaySlowClientTest {
  static ActorTestKit kit;
  static Gateway gateway;

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create("gateway-slow-client-test");
    Catalog catalog = new Catalog(List.of(new ModelSpec(
        "small", Tier.LOW, "small", 0.5, 1, 2.0, new LatencyProfile(5, 1, 8, 0), 0, 1,
        List.of(new BackendEndpoint("sim-0", "sim", URI.create("http://127.0.0.1:9"))))));
    GatewaySettings settings = TestGatewaySettings.of(kit.system(), "body-timeout = 1s, header-timeout = 2s");
    gateway = Gateway.start(kit.system(), settings, catalog, new MediumTierPolicy(catalog), new StaticLeaseProvider(catalog))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (gateway != null) gateway.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    kit.shutdownTestKit();
  }

  /** Sends {@code request} and reads the answer's status line, within 10 s. */
  static String statusLine(String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", gateway.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      } catch (java.io.IOException closedEarly) {
        // the server may answer and close before it read everything: its answer is still to be read
      }
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int c; (c = in.read()) != -1 && c != '\n'; ) line.append((char) c);
      return line.toString().trim();
    }
  }

  @Test
  void aBodyThatDoesNotArriveInTimeIs400() throws Exception {
    long start = System.nanoTime();
    String status = statusLine(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\":");
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(status.startsWith("HTTP/1.1 400"), status);
    assertTrue(ms >= 900 && ms < 8_000, "answered after " + ms + " ms");
  }

  /**
   * A request head sent a byte a second: the connection is closed at the header timeout (2 s here), while a client that
   * sends its request at once is served meanwhile.
   */
  @Test
  void aHeadSentAByteASecondIsCutAtTheHeaderTimeoutWhileOtherClientsAreServed() throws Exception {
    byte[] head = "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    try (Socket slow = new Socket("127.0.0.1", gateway.port())) {
      slow.setSoTimeout(10_000);
      OutputStream out = slow.getOutputStream();
      long start = System.nanoTime();
      Thread trickle = new Thread(() -> {
        try {
          for (byte b : head) {
            out.write(b);
            out.flush();
            Thread.sleep(1_000);
          }
        } catch (java.io.IOException | InterruptedException closed) {
          // the gateway closed the connection, or the test is over
        }
      }, "one-byte-a-second");
      trickle.start();
      try {
        Thread.sleep(500);
        HttpResponse<String> other = java.net.http.HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/models"))
                .timeout(java.time.Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, other.statusCode(), other.body());
        int read;
        try {
          read = slow.getInputStream().read();
        } catch (java.net.SocketException reset) {
          read = -1;
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(-1, read, "closed without an answer");
        assertTrue(ms >= 1_900 && ms < 5_000, "closed after " + ms + " ms");
      } finally {
        trickle.interrupt();
      }
    }
  }

  /** The header timeout runs from a head's first byte: a kept connection may sit idle between requests for longer. */
  @Test
  void aKeptConnectionIdleForLongerThanTheHeaderTimeoutServesItsNextRequest() throws Exception {
    byte[] request = "GET /alive HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    try (Socket s = new Socket("127.0.0.1", gateway.port())) {
      s.setSoTimeout(10_000);
      for (int i = 0; i < 2; i++) {
        if (i > 0) Thread.sleep(2_500);
        s.getOutputStream().write(request);
        s.getOutputStream().flush();
        assertTrue(readResponse(s.getInputStream()).startsWith("HTTP/1.1 200"), "request " + (i + 1));
      }
    }
  }

  /** One response with a Content-Length body, read whole; returns its head. */
  private static String readResponse(InputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c == -1) throw new java.io.EOFException("closed after: " + head);
      head.append((char) c);
    }
    java.util.regex.Matcher length =
        java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    int body = length.find() ? Integer.parseInt(length.group(1)) : 0;
    in.readNBytes(body);
    return head.toString();
  }

  @Test
  void tooManyHeadersAreRefusedAtOnce() throws Exception {
    StringBuilder r = new StringBuilder("GET /v1/models HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 10_000; i++) r.append("x-h").append(i).append(": v\r\n");
    String status = statusLine(r.append("\r\n").toString());
    assertTrue(status.startsWith("HTTP/1.1 431") || status.startsWith("HTTP/1.1 400"), status);
  }
}
