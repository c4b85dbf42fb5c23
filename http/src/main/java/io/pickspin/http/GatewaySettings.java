package io.pickspin.http;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How the gateway serves: where it listens, request limits, backend timeouts and connections, and the classifier's
 * threads. The routing defaults a request gets when it names neither a profile nor a router are the routing settings'
 * ({@link RoutingDefaults#of(io.pickspin.routing.RoutingSettings)}).
 */
public record GatewaySettings(
    String host,
    int port,
    long maxBodyBytes,
    Duration connectTimeout,
    Duration firstByteTimeout,
    Duration idleTimeout,
    Duration maxHold,
    int maxAttempts,
    Duration streamHoldGrace,
    Duration keepAliveInterval,
    int backendMaxConnections,
    int classifierThreads,
    int classifierQueueSize,
    boolean streamUsage,
    Auth auth,
    Duration keySyncInterval,
    ServerTls tls,
    Duration bodyTimeout,
    int resumeMaxAttempts,
    Duration classifierMaxWait,
    Duration headerTimeout) {

  /** How clients authenticate: not at all, or with API keys made through the admin API. */
  public enum Auth {
    NONE,
    KEYS;

    static Auth parse(String s) {
      return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "none" -> NONE;
        case "keys" -> KEYS;
        default -> throw new IllegalArgumentException("pickspin.gateway.auth must be none or keys, not '" + s + "'");
      };
    }
  }

  /** How long a decision may wait for a classifier thread unless configured. */
  static final Duration DEFAULT_CLASSIFIER_MAX_WAIT = Duration.ofMillis(10);

  /** No bound on the wait for a classifier thread (only the queue's length bounds it). */
  static final Duration UNBOUNDED_CLASSIFIER_WAIT = Duration.ofDays(1);

  /** How long a request head may take to arrive unless configured. */
  static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);

  /** How often a streamed answer may resume on another replica unless configured. */
  static final int DEFAULT_RESUME_MAX_ATTEMPTS = 2;

  /** Settings without keys, TLS or stream usage, as before those existed: for tests that do not need them. */
  public GatewaySettings(
      String host,
      int port,
      long maxBodyBytes,
      Duration connectTimeout,
      Duration firstByteTimeout,
      Duration idleTimeout,
      Duration maxHold,
      int maxAttempts,
      Duration streamHoldGrace,
      Duration keepAliveInterval,
      int backendMaxConnections,
      int classifierThreads,
      int classifierQueueSize) {
    this(
        host, port, maxBodyBytes, connectTimeout, firstByteTimeout, idleTimeout, maxHold, maxAttempts, streamHoldGrace,
        keepAliveInterval, backendMaxConnections, classifierThreads, classifierQueueSize, true, Auth.NONE,
        Duration.ofSeconds(1), null, idleTimeout, DEFAULT_RESUME_MAX_ATTEMPTS, UNBOUNDED_CLASSIFIER_WAIT,
        DEFAULT_HEADER_TIMEOUT);
  }

  public GatewaySettings {
    if (port < 0 || port > 65535) throw new IllegalArgumentException("gateway port must be in 0..65535");
    if (maxBodyBytes < 1) throw new IllegalArgumentException("max-body-bytes must be positive");
    if (maxAttempts < 1) throw new IllegalArgumentException("max-attempts must be >= 1");
    if (resumeMaxAttempts < 0) throw new IllegalArgumentException("resume.max-attempts must be >= 0");
    if (backendMaxConnections < 1) throw new IllegalArgumentException("backend-max-connections must be >= 1");
    if (classifierThreads < 1) throw new IllegalArgumentException("classifier-threads must be >= 1");
    if (classifierQueueSize < 1) throw new IllegalArgumentException("classifier-queue-size must be >= 1");
    if (classifierMaxWait == null) classifierMaxWait = DEFAULT_CLASSIFIER_MAX_WAIT;
    if (classifierMaxWait.isNegative()) throw new IllegalArgumentException("classifier-max-wait must be >= 0");
    if (auth == null) throw new IllegalArgumentException("auth is required");
    if (bodyTimeout.isNegative() || bodyTimeout.isZero()) throw new IllegalArgumentException("body-timeout must be > 0");
    if (headerTimeout == null) headerTimeout = DEFAULT_HEADER_TIMEOUT;
    if (headerTimeout.isNegative() || headerTimeout.isZero()) throw new IllegalArgumentException("header-timeout must be > 0");
    if (keySyncInterval.isNegative() || keySyncInterval.isZero()) throw new IllegalArgumentException("keys.sync-interval must be > 0");
  }

  /** Reads the {@code gateway} block of a {@code pickspin} block. */
  public static GatewaySettings fromConfig(Config pickspin) {
    Config g = pickspin.getConfig("gateway");
    return new GatewaySettings(
        g.getString("host"),
        g.getInt("port"),
        g.getMemorySize("max-body-bytes").toBytes(),
        g.getDuration("connect-timeout"),
        g.getDuration("first-byte-timeout"),
        g.getDuration("idle-timeout"),
        g.getDuration("max-hold"),
        g.getInt("max-attempts"),
        g.getDuration("stream-hold-grace"),
        g.getDuration("keep-alive-interval"),
        g.getInt("backend-max-connections"),
        g.getInt("classifier-threads"),
        g.getInt("classifier-queue-size"),
        g.getBoolean("stream-usage"),
        Auth.parse(g.getString("auth")),
        g.getDuration("keys.sync-interval"),
        ServerTls.fromConfig(g.getConfig("tls")),
        g.getDuration("body-timeout"),
        g.getInt("resume.max-attempts"),
        g.getDuration("classifier-max-wait"),
        g.getDuration("header-timeout"));
  }

  public GatewaySettings withPort(int newPort) {
    return new GatewaySettings(
        host, newPort, maxBodyBytes, connectTimeout, firstByteTimeout, idleTimeout, maxHold, maxAttempts,
        streamHoldGrace, keepAliveInterval, backendMaxConnections, classifierThreads, classifierQueueSize, streamUsage,
        auth, keySyncInterval, tls, bodyTimeout, resumeMaxAttempts, classifierMaxWait, headerTimeout);
  }

  /** "https" with TLS, else "http". */
  public String scheme() {
    return tls == null ? "http" : "https";
  }
}
