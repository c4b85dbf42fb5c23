package io.pickspin.routing;

import java.util.Locale;

/** Which router decides the tier of a request whose model is "auto". */
public enum RouterKind {
  /** The paper's keyword lists: near-zero cost. */
  KEYWORD,
  /** The learned complexity classifier. */
  CLASSIFIER,
  /** Keyword when it is confident, classifier otherwise. */
  HYBRID,
  /** The Double-DQN best-effort policy. */
  RL;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static RouterKind parse(String s) {
    try {
      return RouterKind.valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "unknown router '" + s + "', expected one of keyword, classifier, hybrid, rl");
    }
  }
}
