package io.pickspin.model;

import java.util.Locale;

/** Complexity tier of a prompt, and the size class of a model that serves it. */
public enum Tier {
  LOW,
  MEDIUM,
  HIGH;

  /** Parses a tier name case-insensitively; throws IllegalArgumentException naming the valid values. */
  public static Tier parse(String s) {
    try {
      return Tier.valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("unknown tier '" + s + "', expected one of low, medium, high");
    }
  }
}
