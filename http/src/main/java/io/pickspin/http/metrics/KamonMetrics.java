package io.pickspin.http.metrics;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import kamon.Kamon;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts Kamon (core API only, no instrumentation agent) with its Prometheus reporter serving {@code /metrics} on
 * {@code pickspin.metrics.host:port}. Kamon is one per JVM: tests that run several nodes in one JVM share it, and it
 * stops when the last of them closes.
 *
 * <p>A port already taken (another node on this host) does not stop the node: it logs an error and records without
 * serving.
 */
public final class KamonMetrics implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KamonMetrics.class);
  private static final Object LOCK = new Object();
  private static int users;
  private static String endpoint;

  /** Histogram buckets in seconds per instrument: Kamon's default time buckets stop at 10 s. */
  private static final String BUCKETS =
      """
      kamon.prometheus.buckets.custom {
        "pickspin.route.latency" = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25]
        "pickspin.classifier.latency" = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25]
        "pickspin.ttft" = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120]
        "pickspin.request.duration" = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300]
        "pickspin.hold" = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120]
        "pickspin.cold.start" = [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600]
      }
      """;

  private boolean closed;

  private KamonMetrics() {}

  /**
   * @param config the node's configuration (Kamon's reference settings come from it)
   */
  public static KamonMetrics start(Config config, MetricsSettings settings) {
    if (!settings.enabled()) throw new IllegalArgumentException("pickspin.metrics.enabled is off");
    synchronized (LOCK) {
      if (users == 0) {
        boolean serving = portFree(settings.host(), settings.port());
        if (!serving) {
          log.error(
              "metrics: {}:{} is in use (another node on this host?): recording without a /metrics endpoint;"
                  + " set pickspin.metrics.port",
              settings.host(),
              settings.port());
        }
        Kamon.initWithoutAttaching(kamonConfig(config, settings, serving));
        endpoint = serving ? "http://" + settings.host() + ":" + settings.port() + "/metrics" : null;
        log.info(
            "metrics: Prometheus endpoint {}, snapshot every {} ms",
            endpoint == null ? "none" : endpoint,
            settings.tickInterval().toMillis());
      } else if (endpoint != null && !endpoint.contains(":" + settings.port() + "/")) {
        log.info("metrics: Kamon already runs in this JVM; this node's metrics are served at {}", endpoint);
      }
      users++;
    }
    return new KamonMetrics();
  }

  /** The scrape URL, or null when the port was taken. */
  public String endpoint() {
    synchronized (LOCK) {
      return endpoint;
    }
  }

  static Config kamonConfig(Config config, MetricsSettings settings, boolean serving) {
    Map<String, Object> o = new HashMap<>();
    o.put("kamon.prometheus.start-embedded-http-server", serving);
    o.put("kamon.prometheus.embedded-server.hostname", settings.host());
    o.put("kamon.prometheus.embedded-server.port", settings.port());
    o.put("kamon.modules.prometheus-reporter.enabled", true);
    o.put("kamon.modules.pushgateway-reporter.enabled", false);
    o.put("kamon.metric.tick-interval", settings.tickInterval().toMillis() + "ms");
    o.put("kamon.metric.optimistic-tick-alignment", false);
    o.put("kamon.init.hide-banner", true);
    o.put("kamon.environment.service", "pickspin");
    return ConfigFactory.parseMap(o).withFallback(ConfigFactory.parseString(BUCKETS)).withFallback(config).resolve();
  }

  private static boolean portFree(String host, int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(host, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops Kamon (and its endpoint) when no other node of this JVM uses it. */
  @Override
  public void close() {
    synchronized (LOCK) {
      if (closed) return;
      closed = true;
      if (--users > 0) return;
      endpoint = null;
      try {
        scala.concurrent.Await.ready(Kamon.stop(), scala.concurrent.duration.Duration.create(10, "s"));
      } catch (Exception e) {
        log.warn("metrics: Kamon did not stop cleanly: {}", e.toString());
      }
    }
  }
}
