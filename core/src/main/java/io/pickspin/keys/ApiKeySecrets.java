package io.pickspin.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Makes key secrets and the hashes the cluster keeps instead of them. */
public final class ApiKeySecrets {
  /** What every secret starts with, so that a leaked one is recognisable (secret scanners, logs). */
  public static final String PREFIX = "sk-ps-";
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeySecrets() {}

  /** A new secret: the prefix and 32 random bytes, base64url. */
  public static String newSecret() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /**
   * SHA-256 of the secret in hex. A plain hash is enough: secrets are 256 random bits, not passwords, so there is
   * nothing to guess; and it keeps the lookup on every request one digest and one map read.
   */
  public static String hash(String secret) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
