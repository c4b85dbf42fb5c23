package io.pickspin.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/**
 * One streamed answer spliced together from the segments of successive replicas: when a replica dies mid-answer, the
 * request goes again, with the text the client already has, to be continued, and the continuation's events join the
 * client's stream as if nothing had happened. Not thread-safe: one answer's stream uses it.
 *
 * <p>Only whole events go on to the client, so that a segment that breaks off leaves no half event behind: its
 * unfinished event is dropped, and its tokens come again from the continuation. The splice reads what passes (the
 * answer's id, its text, how many tokens), and rewrites the continuation's events: the first segment's id, no second
 * assistant role, and a usage that counts the whole answer (completion tokens of every segment; the prompt without the
 * text it was resent with).
 *
 * <p>A chat continuation is vLLM's: the text as a final assistant message, {@code continue_final_message: true} and
 * {@code add_generation_prompt: false}; a text completion's continuation has the text appended to its prompt. A limit
 * on the answer's tokens shrinks by the tokens already sent.
 */
final class StreamSplice {
  private static final String[] LIMITS = {"max_completion_tokens", "max_tokens"};

  /** What follows a segment that broke off. */
  enum Step {
    /** The answer had ended ([DONE] went out): nothing more. */
    COMPLETE,
    /** The answer's text is whole (it finished, or reached its token limit): only the closing events are missing. */
    FINISH,
    /** Send the continuation's body. */
    CONTINUE,
    /** The answer cannot be continued (several choices, tool calls, a prompt of token ids). */
    CANNOT
  }

  /** @param body the continuation's request body when {@code step} is CONTINUE, else null */
  record Next(Step step, byte[] body, String why) {}

  private final ObjectMapper json;
  private final CompletionRequest.Endpoint endpoint;
  /** The current segment's bytes that do not make a whole event yet. */
  private ByteString held = ByteString.emptyByteString();
  /** Segments that broke off so far. */
  private int breaks;
  /** The answer's id, from the first event with one; null before. */
  private String id;
  private final StringBuilder text = new StringBuilder();
  /** Events with text that went to the client: the tokens sent. */
  private int tokens;
  /** Tokens sent before the current segment began: the text the current segment continues. */
  private int continued;
  private boolean finished;
  private boolean done;
  /** Why the answer cannot be continued, if something in it rules that out. */
  private String notContinuable;
  /** The last event with choices, the model of a closing event. */
  private ObjectNode lastChunk;

  StreamSplice(ObjectMapper json, CompletionRequest.Endpoint endpoint) {
    this.json = json;
    this.endpoint = endpoint;
  }

  /** Takes the next bytes of the current segment; returns the whole events that go to the client now. */
  ByteString onBytes(ByteString chunk) {
    ByteString all = held.concat(chunk);
    byte[] b = all.toArray();
    ByteString out = ByteString.emptyByteString();
    int from = 0;
    for (int end; (end = SseEvents.end(b, from)) >= 0; from = end) out = out.concat(onEvent(b, from, end));
    held = all.drop(from);
    return out;
  }

  /**
   * The current segment broke off: its unfinished event is dropped, and the next segment continues the text sent so
   * far. Returns what to do next.
   *
   * @param requestBody the request's body as the next replica would get it
   */
  Next broke(byte[] requestBody) {
    held = ByteString.emptyByteString();
    breaks++;
    continued = tokens;
    if (done) return new Next(Step.COMPLETE, null, null);
    if (finished) return new Next(Step.FINISH, null, null);
    if (notContinuable != null) return new Next(Step.CANNOT, null, notContinuable);
    ObjectNode body;
    try {
      body = (ObjectNode) json.readTree(requestBody);
    } catch (IOException | ClassCastException e) {
      return new Next(Step.CANNOT, null, "the request body could not be read again");
    }
    if (body.path("n").asInt(1) != 1) return new Next(Step.CANNOT, null, "the request asked for several choices");
    for (String limit : LIMITS) {
      JsonNode value = body.get(limit);
      if (value == null || !value.isIntegralNumber()) continue;
      int left = value.intValue() - tokens;
      if (left < 1) return new Next(Step.FINISH, null, null);
      body.put(limit, left);
    }
    if (tokens == 0) return new Next(Step.CONTINUE, requestBody, null); // nothing sent: the request goes again whole
    if (endpoint == CompletionRequest.Endpoint.CHAT) {
      JsonNode messages = body.get("messages");
      if (!(messages instanceof ArrayNode list)) return new Next(Step.CANNOT, null, "the request has no messages");
      list.addObject().put("role", "assistant").put("content", text.toString());
      body.put("continue_final_message", true).put("add_generation_prompt", false);
    } else {
      JsonNode prompt = body.get("prompt");
      if (prompt != null && prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
        body.putArray("prompt").add(prompt.get(0).textValue() + text);
      } else if (prompt != null && prompt.isTextual()) {
        body.put("prompt", prompt.textValue() + text);
      } else {
        return new Next(Step.CANNOT, null, "a prompt of token ids cannot be continued with text");
      }
    }
    try {
      return new Next(Step.CONTINUE, json.writeValueAsBytes(body), null);
    } catch (IOException e) {
      return new Next(Step.CANNOT, null, "the continuation could not be written");
    }
  }

  /**
   * The events that close an answer whose text is whole but whose end did not come: a finish event when none came
   * (the token limit was reached), then [DONE].
   */
  ByteString closingEvents() {
    if (finished || lastChunk == null) return SseEvents.DONE;
    ObjectNode chunk = lastChunk.deepCopy();
    ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
    if (endpoint == CompletionRequest.Endpoint.CHAT) choice.putObject("delta");
    else choice.put("text", "");
    choice.put("finish_reason", "length");
    return event(chunk).concat(SseEvents.DONE);
  }

  /** An SSE comment that tells the client where its answer resumed: clients skip it, people and tests can read it. */
  ByteString resumedNote(String backend) {
    return ByteString.fromString(": resumed on " + backend + " after " + tokens + " tokens\n\n");
  }

  /** Tokens the client has had so far. */
  int tokensSent() {
    return tokens;
  }

  /** Segments that broke off so far. */
  int breaks() {
    return breaks;
  }

  /** Reads one whole event and returns it as it goes to the client. */
  private ByteString onEvent(byte[] b, int from, int to) {
    ByteString raw = ByteString.fromArray(b, from, to - from);
    String data = SseEvents.data(new String(b, from, to - from, StandardCharsets.UTF_8));
    if (data == null) return raw; // a comment or a blank event
    if (data.equals("[DONE]")) {
      done = true;
      return raw;
    }
    JsonNode root;
    try {
      root = json.readTree(data);
    } catch (IOException e) {
      return raw;
    }
    if (!(root instanceof ObjectNode chunk)) return raw;
    boolean rewrite = breaks > 0;
    JsonNode eventId = chunk.get("id");
    if (id == null && eventId != null && eventId.isTextual()) id = eventId.textValue();
    else if (rewrite && id != null && eventId != null && !id.equals(eventId.asText())) chunk.put("id", id);
    JsonNode choices = chunk.get("choices");
    if (choices != null && choices.isArray() && !choices.isEmpty()) {
      lastChunk = chunk;
      if (choices.size() > 1) notContinuable = "the answer has several choices";
      JsonNode choice = choices.get(0);
      JsonNode delta = choice.get("delta");
      if (delta instanceof ObjectNode d) {
        if (d.has("tool_calls") || d.has("function_call")) notContinuable = "the answer calls tools";
        if (rewrite && d.has("role")) d.remove("role"); // the client had the role with the first segment
      }
      String piece = (delta != null ? delta.path("content") : choice.path("text")).asText("");
      if (!piece.isEmpty()) {
        text.append(piece);
        tokens++;
      }
      JsonNode finish = choice.get("finish_reason");
      if (finish != null && !finish.isNull()) finished = true;
    } else if (rewrite && chunk.get("usage") instanceof ObjectNode usage) {
      // what the client would have been told had nothing broken: the resent text was an answer, not a prompt
      long prompt = Math.max(0, usage.path("prompt_tokens").asLong() - continued);
      long completion = usage.path("completion_tokens").asLong() + continued;
      usage.put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
    }
    return rewrite ? event(chunk) : raw;
  }

  private ByteString event(JsonNode chunk) {
    try {
      return ByteString.fromString("data: ").concat(ByteString.fromArray(json.writeValueAsBytes(chunk)))
          .concat(ByteString.fromString("\n\n"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

}
