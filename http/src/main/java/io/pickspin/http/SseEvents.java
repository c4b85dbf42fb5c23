package io.pickspin.http;

import org.apache.pekko.util.ByteString;

/** Server-sent events: where a backend's event ends, its data, and the events the gateway writes itself. */
final class SseEvents {
  private SseEvents() {}

  /** The event that ends an OpenAI stream. */
  static final ByteString DONE = ByteString.fromString("data: [DONE]\n\n");

  /** A comment a held stream gets while it waits, so that proxies and clients keep the connection. */
  static final ByteString KEEP_ALIVE = ByteString.fromString(": pickspin: waiting for a replica\n\n");

  /** Where the event starting at {@code from} ends, past its blank line; -1 when it has not ended. */
  static int end(byte[] b, int from) {
    for (int i = from; i + 1 < b.length; i++) {
      if (b[i] != '\n') continue;
      if (b[i + 1] == '\n') return i + 2;
      if (b[i + 1] == '\r' && i + 2 < b.length && b[i + 2] == '\n') return i + 3;
    }
    return -1;
  }

  /** An event's data lines joined with newlines, as the SSE format has it; null when it has none. */
  static String data(String event) {
    StringBuilder data = null;
    for (String line : event.split("\r?\n")) {
      if (!line.startsWith("data:")) continue;
      if (data == null) data = new StringBuilder();
      else data.append('\n');
      data.append(line.substring(line.length() > 5 && line.charAt(5) == ' ' ? 6 : 5));
    }
    return data == null ? null : data.toString();
  }
}
