package io.pickspin.keys;

import io.pickspin.CborSerializable;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A client API key as the cluster stores it: its name, the SHA-256 of its secret (the secret itself is shown once, at
 * creation, and never kept), the models it may use, and its limits. A limit of 0 means none.
 *
 * @param models catalogue ids, or "*" for every model
 * @param rpm requests per minute
 * @param tpm tokens (prompt and completion) per minute
 * @param maxTokensTotal tokens over the key's lifetime
 */
public record ApiKey(
    String name, String hash, List<String> models, long rpm, long tpm, long maxTokensTotal, long createdAtMs)
    implements CborSerializable {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  public static final String ANY_MODEL = "*";

  public ApiKey {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "a key's name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    if (hash == null || hash.length() != 64) throw new IllegalArgumentException("a key's hash must be a SHA-256 in hex");
    models = List.copyOf(models == null || models.isEmpty() ? List.of(ANY_MODEL) : models);
    if (rpm < 0 || tpm < 0 || maxTokensTotal < 0) throw new IllegalArgumentException("limits must be >= 0 (0 = none)");
  }

  public boolean allows(String model) {
    return models.contains(ANY_MODEL) || models.contains(model);
  }
}
