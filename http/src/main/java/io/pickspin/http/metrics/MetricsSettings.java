package io.pickspin.http.metrics;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Where Prometheus scrapes this node and how fresh the numbers are ({@code pickspin.metrics}).
 *
 * @param enabled off: Kamon is not started and nothing is recorded
 * @param host the scrape endpoint's bind address (127.0.0.1 by default; the Helm chart sets 0.0.0.0)
 * @param port the scrape endpoint's port ({@code /metrics})
 * @param tickInterval Kamon's snapshot period: what a scrape returns is at most this old
 * @param poolInterval how often the pool gauges and scale events are refreshed
 */
public record MetricsSettings(boolean enabled, String host, int port, Duration tickInterval, Duration poolInterval) {
  /** The dashboard's rates need a snapshot at least this often. */
  public static final Duration MAX_TICK = Duration.ofSeconds(15);

  public MetricsSettings {
    if (port < 1 || port > 65535) throw new IllegalArgumentException("pickspin.metrics.port must be in 1..65535");
    if (tickInterval.compareTo(Duration.ofMillis(100)) < 0 || tickInterval.compareTo(MAX_TICK) > 0) {
      throw new IllegalArgumentException("pickspin.metrics.tick-interval must be in 100ms..15s, got " + tickInterval);
    }
    if (poolInterval.compareTo(Duration.ofMillis(100)) < 0) {
      throw new IllegalArgumentException("pickspin.metrics.pool-interval must be >= 100ms, got " + poolInterval);
    }
  }

  /** Reads {@code pickspin.metrics} from the {@code pickspin} section. */
  public static MetricsSettings fromConfig(Config pickspin) {
    Config m = pickspin.getConfig("metrics");
    return new MetricsSettings(
        m.getBoolean("enabled"),
        m.getString("host"),
        m.getInt("port"),
        m.getDuration("tick-interval"),
        m.getDuration("pool-interval"));
  }
}
