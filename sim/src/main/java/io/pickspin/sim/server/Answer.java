package io.pickspin.sim.server;

import org.apache.pekko.util.ByteString;

/**
 * The deterministic answer to one request, in its OpenAI wire forms: a single JSON body, or server-sent events (one
 * per token, then the finish chunk, the optional usage chunk and {@code [DONE]}).
 *
 * <p>The text is made of short words from a fixed list, one word per token, separated by single spaces. In a stream
 * every token after the first carries its leading space, so the concatenated deltas equal the non-streamed content.
 */
final class Answer {
  private static final String[] WORDS = {
    "the", "sim", "says", "hello", "to", "you", "and", "counts", "each", "word", "as", "one", "token", "so", "tests",
    "can", "check", "how", "many", "came", "back", "in", "order", "on", "time", "with", "no", "gaps", "or", "extra",
    "text", "here"
  };
  private static final ByteString DONE = ByteString.fromString("data: [DONE]\n\n");

  private final SimRequest request;
  /** {@code "id":...,"object":...,"created":...,"model":...} of the non-streamed body. */
  private final String bodyHead;
  /** {@code data: {"id":...,"object":...,"created":...,"model":...,"choices":[} of every stream chunk. */
  private final String chunkHead;

  Answer(SimRequest request, String id, long createdEpochSeconds, String quotedModel) {
    this.request = request;
    boolean chat = request.kind() == SimRequest.Kind.CHAT;
    String common = "\"created\":" + createdEpochSeconds + ",\"model\":" + quotedModel;
    this.bodyHead = "{\"id\":\"" + id + "\",\"object\":\"" + (chat ? "chat.completion" : "text_completion") + "\","
        + common;
    this.chunkHead = "data: {\"id\":\"" + id + "\",\"object\":\""
        + (chat ? "chat.completion.chunk" : "text_completion") + "\"," + common + ",\"choices\":[";
  }

  /** Word {@code k} (1-based) of every answer. */
  static String word(int k) {
    return WORDS[(k - 1) % WORDS.length];
  }

  int tokens() {
    return request.outputTokens();
  }

  /** The non-streamed response body. */
  ByteString body() {
    int n = request.outputTokens();
    StringBuilder out = new StringBuilder(bodyHead.length() + 200 + n * 7).append(bodyHead).append(",\"choices\":[");
    out.append(request.kind() == SimRequest.Kind.CHAT
        ? "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
        : "{\"index\":0,\"text\":\"");
    for (int k = 1; k <= n; k++) {
      if (k > 1) out.append(' ');
      out.append(word(k));
    }
    out.append(request.kind() == SimRequest.Kind.CHAT ? "\"}" : "\"");
    out.append(",\"logprobs\":null,\"finish_reason\":\"").append(finishReason()).append("\"}],\"usage\":");
    return ByteString.fromString(usage(out).append('}').toString());
  }

  /** The stream event carrying token {@code k} (1-based); the first also carries the assistant role. */
  ByteString tokenEvent(int k) {
    StringBuilder out = new StringBuilder(chunkHead.length() + 120).append(chunkHead);
    if (request.kind() == SimRequest.Kind.CHAT) {
      out.append(k == 1
          ? "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\""
          : "{\"index\":0,\"delta\":{\"content\":\"");
      if (k > 1) out.append(' ');
      out.append(word(k)).append("\"}");
    } else {
      out.append("{\"index\":0,\"text\":\"");
      if (k > 1) out.append(' ');
      out.append(word(k)).append('"');
    }
    return ByteString.fromString(out.append(",\"logprobs\":null,\"finish_reason\":null}]}\n\n").toString());
  }

  /** What follows the last token: the finish chunk, the usage chunk if asked for, and {@code [DONE]}. */
  ByteString endEvents() {
    StringBuilder out = new StringBuilder(chunkHead.length() * 2 + 200).append(chunkHead);
    out.append(request.kind() == SimRequest.Kind.CHAT ? "{\"index\":0,\"delta\":{}" : "{\"index\":0,\"text\":\"\"");
    out.append(",\"logprobs\":null,\"finish_reason\":\"").append(finishReason()).append("\"}]}\n\n");
    if (request.includeUsage()) usage(out.append(chunkHead).append("],\"usage\":")).append("}\n\n");
    return ByteString.fromString(out.toString()).concat(DONE);
  }

  /** The whole stream at once, for a model with no delays. */
  ByteString allEvents() {
    var all = ByteString.createBuilder();
    for (int k = 1; k <= request.outputTokens(); k++) all.append(tokenEvent(k));
    return all.append(endEvents()).result();
  }

  private String finishReason() {
    return request.limited() ? "length" : "stop";
  }

  private StringBuilder usage(StringBuilder out) {
    int prompt = request.promptTokens();
    int completion = request.outputTokens();
    return out.append("{\"prompt_tokens\":").append(prompt).append(",\"completion_tokens\":").append(completion)
        .append(",\"total_tokens\":").append(prompt + completion).append('}');
  }
}
