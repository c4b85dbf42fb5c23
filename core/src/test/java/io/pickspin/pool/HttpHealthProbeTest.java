package io.pickspin.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.pickspin.model.BackendEndpoint;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HttpHealthProbeTest {

  @Test
  void healthUriIsBaseUrlPlusHealth() {
    assertEquals(URI.create("http://h:1/health"), HttpHealthProbe.healthUri(URI.create("http://h:1/")));
    assertEquals(URI.create("http://h:1/health"), HttpHealthProbe.healthUri(URI.create("http://h:1")));
    assertEquals(URI.create("http://h:1/x/health"), HttpHealthProbe.healthUri(URI.create("http://h:1/x")));
  }

  @Test
  void twoHundredIsHealthyAnythingElseOrNoAnswerIsNot() throws Exception {
    AtomicInteger status = new AtomicInteger(200);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/health",
        exchange -> {
          exchange.sendResponseHeaders(status.get(), -1);
          exchange.close();
        });
    server.start();
    try {
      HttpHealthProbe probe = new HttpHealthProbe(Duration.ofMillis(500));
      BackendEndpoint ep =
          new BackendEndpoint("b", "sim", URI.create("http://127.0.0.1:" + server.getAddress().getPort()));
      assertTrue(check(probe, ep));
      status.set(503);
      assertFalse(check(probe, ep));
    } finally {
      server.stop(0);
    }
    // nothing listens there any more: refused, reported as unhealthy rather than failing the stage
    HttpHealthProbe probe = new HttpHealthProbe(Duration.ofMillis(500));
    assertFalse(
        check(probe, new BackendEndpoint("b", "sim", URI.create("http://127.0.0.1:" + server.getAddress().getPort()))));
  }

  private static boolean check(HttpHealthProbe probe, BackendEndpoint ep) throws Exception {
    return probe.check(ep, Duration.ofSeconds(1)).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }
}
