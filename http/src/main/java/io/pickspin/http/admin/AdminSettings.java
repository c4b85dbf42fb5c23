package io.pickspin.http.admin;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The admin API's port and authentication ({@code pickspin.admin}).
 *
 * @param enabled off: the admin port is not opened
 * @param token the bearer token every request must carry; blank = none
 * @param devMode serve without a token (loudly logged); with a token, the token is still required
 * @param askTimeout how long to wait for the scaling supervisor, a pool or the audit trail
 * @param auditKeep audit entries kept in memory for {@code GET /admin/audit}
 * @param tls the certificate and key the admin API serves HTTPS with, or null for plain HTTP
 */
public record AdminSettings(
    boolean enabled,
    String host,
    int port,
    String token,
    boolean devMode,
    Duration askTimeout,
    long maxBodyBytes,
    int auditKeep,
    io.pickspin.http.ServerTls tls,
    Duration headerTimeout) {

  public AdminSettings {
    if (port < 0 || port > 65535) throw new IllegalArgumentException("pickspin.admin.port must be in 0..65535");
    token = token == null ? "" : token.trim();
    if (askTimeout.isNegative() || askTimeout.isZero()) throw new IllegalArgumentException("ask-timeout must be > 0");
    if (maxBodyBytes < 1) throw new IllegalArgumentException("max-body-bytes must be > 0");
    if (headerTimeout.isNegative() || headerTimeout.isZero()) throw new IllegalArgumentException("header-timeout must be > 0");
    if (auditKeep < 1) throw new IllegalArgumentException("audit-keep must be >= 1");
  }

  public static AdminSettings fromConfig(Config pickspin) {
    Config a = pickspin.getConfig("admin");
    return new AdminSettings(
        a.getBoolean("enabled"),
        a.getString("host"),
        a.getInt("port"),
        a.getString("token"),
        a.getBoolean("dev-mode"),
        a.getDuration("ask-timeout"),
        a.getMemorySize("max-body-bytes").toBytes(),
        a.getInt("audit-keep"),
        io.pickspin.http.ServerTls.fromConfig(a.getConfig("tls")),
        a.getDuration("header-timeout"));
  }

  public boolean hasToken() {
    return !token.isEmpty();
  }

  public AdminSettings withPort(int newPort) {
    return new AdminSettings(enabled, host, newPort, token, devMode, askTimeout, maxBodyBytes, auditKeep, tls, headerTimeout);
  }

  public AdminSettings withToken(String newToken, boolean newDevMode) {
    return new AdminSettings(enabled, host, port, newToken, newDevMode, askTimeout, maxBodyBytes, auditKeep, tls, headerTimeout);
  }

  public AdminSettings withHost(String newHost) {
    return new AdminSettings(enabled, newHost, port, token, devMode, askTimeout, maxBodyBytes, auditKeep, tls, headerTimeout);
  }

  public AdminSettings withTls(io.pickspin.http.ServerTls newTls) {
    return new AdminSettings(enabled, host, port, token, devMode, askTimeout, maxBodyBytes, auditKeep, newTls, headerTimeout);
  }

  /** Hides the token in logs and error messages. */
  @Override
  public String toString() {
    return "AdminSettings[enabled=" + enabled + ", host=" + host + ", port=" + port + ", token="
        + (hasToken() ? "***" : "none") + ", devMode=" + devMode + "]";
  }
}
