package io.pickspin.http.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Checks {@code Authorization: Bearer <token>} against the configured token in constant time. Without a token (dev
 * mode only) every request passes.
 */
final class BearerAuth {
  /** Why a request was refused. */
  enum Refusal {
    MISSING("This endpoint needs 'Authorization: Bearer <token>' (the admin token, pickspin.admin.token)."),
    MALFORMED("The Authorization header must be 'Bearer <token>'."),
    WRONG("The bearer token is not the admin token.");

    final String message;

    Refusal(String message) {
      this.message = message;
    }
  }

  private final byte[] tokenDigest;
  private final String fingerprint;

  /** @param token the admin token; blank = no authentication (dev mode) */
  BearerAuth(String token) {
    this.tokenDigest = token.isBlank() ? null : sha256(token);
    this.fingerprint = token.isBlank() ? "dev-mode" : "token:" + HexFormat.of().formatHex(tokenDigest, 0, 4);
  }

  /** Empty when the request may pass. */
  Optional<Refusal> check(Optional<String> authorization) {
    if (tokenDigest == null) return Optional.empty();
    if (authorization.isEmpty() || authorization.get().isBlank()) return Optional.of(Refusal.MISSING);
    String h = authorization.get().trim();
    if (h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) return Optional.of(Refusal.MALFORMED);
    // comparing digests of equal length keeps the comparison time independent of the token
    return MessageDigest.isEqual(tokenDigest, sha256(h.substring(7).trim())) ? Optional.empty() : Optional.of(Refusal.WRONG);
  }

  /** Names the token in the audit trail without revealing it: the first 4 bytes of its SHA-256. */
  String fingerprint() {
    return fingerprint;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
