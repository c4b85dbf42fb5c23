package io.pickspin.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.api.ApiError;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/**
 * Reads the {@code usage} of a backend's answer as its bytes pass: from the JSON of a plain answer, or from the events
 * of a streamed one (the chunk that {@code stream_options.include_usage} asks for). Where the gateway asked for that
 * chunk and the client did not, the tap takes it out again; where the client's key has a token budget, each event
 * that carries a token takes it from the budget before it goes on, and the answer is cut ({@link #cut()}) at the first
 * token the budget no longer has. In either case the tap holds back an event until its end has arrived, so that only
 * whole events go on; else it passes every byte on at once. Not thread-safe: one answer's stream stage uses it.
 */
final class UsageTap {
  /** A plain answer larger than this is passed on without its usage being read. */
  static final int MAX_PLAIN_BYTES = 4 << 20;
  private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);

  /** A key's lifetime token budget, spent by a streamed answer token by token as it goes out. */
  interface Budget {
    /** Takes one token; false, and nothing taken, when the budget has none left. */
    boolean take();

    /** The error that ends an answer cut for its budget. */
    ApiError spent();
  }

  private final ObjectMapper json;
  private final boolean events;
  private final boolean dropUsageEvent;
  /** The budget a streamed answer's tokens are taken from, or null. */
  private final Budget budget;
  /** Only whole events go on. */
  private final boolean wholeEvents;
  /** A plain answer so far, or a streamed answer's event that has not ended yet. */
  private ByteString held = ByteString.emptyByteString();
  private boolean tooLarge;
  private long promptTokens = -1;
  private long completionTokens = -1;
  /** Tokens taken from the budget. */
  private long taken;
  /** The budget ran out: nothing more goes on. */
  private boolean cut;

  /**
   * @param events the answer is a stream of server-sent events
   * @param dropUsageEvent take out the usage-only event (empty choices), which the client did not ask for
   */
  UsageTap(ObjectMapper json, boolean events, boolean dropUsageEvent) {
    this(json, events, dropUsageEvent, null);
  }

  /** @param budget where a streamed answer's tokens are taken from as they go out, or null for no budget */
  UsageTap(ObjectMapper json, boolean events, boolean dropUsageEvent, Budget budget) {
    this.json = json;
    this.events = events;
    this.dropUsageEvent = events && dropUsageEvent;
    this.budget = events ? budget : null;
    this.wholeEvents = this.dropUsageEvent || this.budget != null;
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
    if (cut) return ByteString.emptyByteString();
    ByteString all = held.concat(chunk);
    int end = lastEventEnd(all);
    if (end < 0) {
      held = all;
      return wholeEvents ? ByteString.emptyByteString() : chunk;
    }
    ByteString complete = all.take(end);
    held = all.drop(end);
    ByteString passed = readEvents(complete);
    // without holding back, every byte went on as it came; the events are only read
    return wholeEvents ? passed : chunk;
  }

  /** The answer ended; returns what is still to go to the client. */
  ByteString onEnd() {
    ByteString rest = held;
    held = ByteString.emptyByteString();
    if (!events) {
      if (!tooLarge && !rest.isEmpty()) readUsage(rest.toArray(), 0, rest.size());
      return ByteString.emptyByteString();
    }
    if (cut) return ByteString.emptyByteString();
    ByteString passed = rest.isEmpty() ? rest : readEvents(rest);
    return wholeEvents ? passed : ByteString.emptyByteString();
  }

  /** The budget ran out mid-answer: the rest of the answer is not wanted, and {@link #cutEvents()} end it. */
  boolean cut() {
    return cut;
  }

  /** What ends an answer cut for its budget: an error event in OpenAI's shape, then [DONE]. */
  ByteString cutEvents() {
    return ByteString.fromString("data: " + budget.spent().json() + "\n\n").concat(SseEvents.DONE);
  }

  /** The answer's usage is known: its backend reported it, or its tokens were counted against a budget. */
  boolean found() {
    return taken > 0 || cut || promptTokens >= 0 || completionTokens >= 0;
  }

  /** The prompt's tokens as the backend reported them; 0 when it did not (an answer cut before its usage came). */
  long promptTokens() {
    return Math.max(0, promptTokens);
  }

  /**
   * The answer's tokens as the backend reported them, and at least those counted against a budget as they went out
   * (all an answer that was cut, or broke off, has to show).
   */
  long completionTokens() {
    return Math.max(taken, Math.max(0, completionTokens));
  }

  /** Tokens taken from the budget as they went out: they count as the key's until its usage is recorded. */
  long budgetTaken() {
    return taken;
  }

  /**
   * Reads complete events; returns them, less a usage-only event when it is to be dropped, and up to the first token
   * the budget no longer has.
   */
  private ByteString readEvents(ByteString complete) {
    byte[] b = complete.toArray();
    if (budget == null && indexOf(b, USAGE, 0, b.length) < 0) return complete;
    ByteString kept = ByteString.emptyByteString();
    int from = 0;
    while (from < b.length) {
      int end = SseEvents.end(b, from);
      if (end < 0) end = b.length;
      // with a budget every event is read, for its token; else only one that may hold the usage
      JsonNode root = budget != null || indexOf(b, USAGE, from, end) >= 0 ? readEvent(b, from, end) : null;
      if (root != null && budget != null && carriesToken(root)) {
        if (!budget.take()) {
          cut = true;
          held = ByteString.emptyByteString();
          break;
        }
        taken++;
      }
      if (!(dropUsageEvent && root != null && usageOnly(root))) kept = kept.concat(ByteString.fromArray(b, from, end - from));
      from = end;
    }
    return kept;
  }

  /** Reads an event's data as JSON and notes its usage, if it has one; the JSON, or null when the data is not JSON. */
  private JsonNode readEvent(byte[] b, int from, int to) {
    String data = SseEvents.data(new String(b, from, to - from, StandardCharsets.UTF_8));
    if (data == null) return null;
    byte[] d = data.getBytes(StandardCharsets.UTF_8);
    return readUsage(d, 0, d.length);
  }

  /** The usage-only chunk: its choices are empty. */
  private static boolean usageOnly(JsonNode root) {
    JsonNode choices = root.get("choices");
    return root.path("usage").isObject() && choices != null && choices.isArray() && choices.isEmpty();
  }

  /**
   * An event that carries a generated token: its choice has text, content, reasoning or a tool call (one token per
   * such event, as backends stream them; a backend that packs several into one event spends the budget slower, and its
   * usage, when it comes, counts them all).
   */
  private static boolean carriesToken(JsonNode root) {
    JsonNode choice = root.path("choices").path(0);
    if (choice.isMissingNode()) return false;
    JsonNode delta = choice.path("delta");
    return !choice.path("text").asText("").isEmpty()
        || !delta.path("content").asText("").isEmpty()
        || !delta.path("reasoning_content").asText("").isEmpty()
        || delta.has("tool_calls");
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

  /** Where the last complete event ends; -1 when none has. */
  private static int lastEventEnd(ByteString all) {
    byte[] b = all.toArray();
    int last = -1;
    for (int from = 0; from < b.length; ) {
      int end = SseEvents.end(b, from);
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
