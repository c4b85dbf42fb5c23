package io.pickspin.sim.server;

/** The one JSON-writing helper the sim needs: responses are assembled by hand because their shape is fixed. */
final class Json {
  private Json() {}

  /** Appends {@code s} as a JSON string literal, or {@code null}. */
  static StringBuilder quote(StringBuilder out, String s) {
    if (s == null) return out.append("null");
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.append('"');
  }

  static String quote(String s) {
    return quote(new StringBuilder(s.length() + 2), s).toString();
  }
}
