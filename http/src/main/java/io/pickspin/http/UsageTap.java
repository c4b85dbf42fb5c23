package io.pickspin.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/**
 * Reads the {@code usage} of a backend's answer as its bytes pass: from the JSON of a plain answer, or from the events
 * of a streamed one (the chunk that {@code stream_options.include_usage} asks for). Where the gateway asked for that
 * chunk and the client did not, the tap takes it out again: then it holds back an event until its end has arrived,
 * else it passes every byte on at once. Not thread-safe: one answer's stream stage uses it.
 */
final class UsageTap {
  /** A plain answer larger than this is passed on without its usage being read. */
  static final int MAX_PLAIN_BYTES = 4 << 20;
  private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);

  private final ObjectMapper json;
  private final boolean events;
  private final boolean dropUsageEvent;
  /** A plain answer so far, or a streamed answer's event that has not ended yet. */
  private ByteString held = ByteString.emptyByteString();
  private boolean tooLarge;
  private long promptTokens = -1;
  private long completionTokens = -1;

  /**
   * @param events the answer is a stream of server-sent events
   * @param dropUsageEvent take out the usage-only event (empty choices), which the client did not ask for
   */
  UsageTap(ObjectMapper json, boolean events, boolean dropUsageEvent) {
    this.json = json;
    this.events = events;
    this.dropUsageEvent = events && dropUsageEvent;
  }

  /** Takes the next bytes of the answer; returns what goes on to the client now. */
  ByteString onBytes(ByteString chunk) {
    if (!events) {
      if (!tooLarge) {
        if (held.size() + chunk.size() > MAX_PLAIN_BYTES) {
          tooLarge = true;
          held = ByteString.emptyByteString();
        } else {
          held = held.concat(chunk);
        }
      }
      return chunk;
    }
    ByteString all = held.concat(chunk);
    int end = lastEventEnd(all);
    if (end < 0) {
      held = all;
      return dropUsageEvent ? ByteString.emptyByteString() : chunk;
    }
    ByteString complete = all.take(end);
    held = all.drop(end);
    ByteString passed = readEvents(complete);
    // without dropping, every byte went on as it came; the events are only read
    return dropUsageEvent ? passed : chunk;
  }

  /** The answer ended; returns what is still to go to the client. */
  ByteString onEnd() {
    ByteString rest = held;
    held = ByteString.emptyByteString();
    if (!events) {
      if (!tooLarge && !rest.isEmpty()) readUsage(rest.toArray(), 0, rest.size());
      return ByteString.emptyByteString();
    }
    ByteString passed = rest.isEmpty() ? rest : readEvents(rest);
    return dropUsageEvent ? passed : ByteString.emptyByteString();
  }

  boolean found() {
    return promptTokens >= 0 || completionTokens >= 0;
  }

  long promptTokens() {
    return Math.max(0, promptTokens);
  }

  long completionTokens() {
    return Math.max(0, completionTokens);
  }

  /** Reads complete events; returns them, less a usage-only event when it is to be dropped. */
  private ByteString readEvents(ByteString complete) {
    byte[] b = complete.toArray();
    if (indexOf(b, USAGE, 0, b.length) < 0) return complete;
    ByteString kept = ByteString.emptyByteString();
    int from = 0;
    while (from < b.length) {
      int end = eventEnd(b, from);
      if (end < 0) end = b.length;
      boolean usageOnly = indexOf(b, USAGE, from, end) >= 0 && readEvent(b, from, end);
      if (!(usageOnly && dropUsageEvent)) kept = kept.concat(ByteString.fromArray(b, from, end - from));
      from = end;
    }
    return kept;
  }

  /** Reads an event's usage; true when the event is the usage-only chunk (its choices are empty). */
  private boolean readEvent(byte[] b, int from, int to) {
    String event = new String(b, from, to - from, StandardCharsets.UTF_8);
    StringBuilder data = new StringBuilder();
    for (String line : event.split("\r?\n")) {
      if (line.startsWith("data:")) data.append(line.substring(line.charAt(5) == ' ' ? 6 : 5));
    }
    byte[] d = data.toString().getBytes(StandardCharsets.UTF_8);
    JsonNode root = readUsage(d, 0, d.length);
    if (root == null) return false;
    JsonNode choices = root.get("choices");
    return root.path("usage").isObject() && choices != null && choices.isArray() && choices.isEmpty();
  }

  /** Parses a JSON object and notes its usage, if it has one; the object, or null when the bytes are not one. */
  private JsonNode readUsage(byte[] b, int from, int length) {
    JsonNode root;
    try {
      root = json.readTree(b, from, length);
    } catch (Exception e) {
      return null;
    }
    if (root == null) return null;
    JsonNode usage = root.get("usage");
    if (usage != null && usage.isObject()) {
      promptTokens = usage.path("prompt_tokens").asLong(0);
      completionTokens = usage.path("completion_tokens").asLong(0);
    }
    return root;
  }

  /** Where the event starting at {@code from} ends, past its blank line; -1 when it has not ended. */
  private static int eventEnd(byte[] b, int from) {
    for (int i = from; i + 1 < b.length; i++) {
      if (b[i] != '\n') continue;
      if (b[i + 1] == '\n') return i + 2;
      if (b[i + 1] == '\r' && i + 2 < b.length && b[i + 2] == '\n') return i + 3;
    }
    return -1;
  }

  /** Where the last complete event ends; -1 when none has. */
  private static int lastEventEnd(ByteString all) {
    byte[] b = all.toArray();
    int last = -1;
    for (int from = 0; from < b.length; ) {
      int end = eventEnd(b, from);
      if (end < 0) break;
      last = end;
      from = end;
    }
    return last;
  }

  private static int indexOf(byte[] b, byte[] what, int from, int to) {
    outer:
    for (int i = from; i + what.length <= to; i++) {
      for (int j = 0; j < what.length; j++) if (b[i + j] != what[j]) continue outer;
      return i;
    }
    return -1;
  }
}
