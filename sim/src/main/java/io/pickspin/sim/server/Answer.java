package io.pickspin.sim.server;

import org.apache.pekko.util.ByteString;

/**
 * The deterministic answer to one request, in its OpenAI wire forms: a single JSON body, or server-sent events (one
 * per token, then the finish chunk, the optional usage chunk and {@code [DONE]}).
 *
 * <p>The text is made of short words from a fixed list, one word per token, separated by single spaces. In a stream
 * every token after the first carries its leading space, so the concatenated deltas equal the non-streamed content.
 * A request that continues an answer (it holds its first m words) gets words m+1 onwards, the first with its leading
 * space: the prefix and the continuation joined are the uninterrupted answer.
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

  /**
   * How many opening words of the answer a text ends with, as a stream's deltas joined would put them (the first
   * word may be glued to what precedes it, e.g. a prompt with the answer appended): the largest m such that the text
   * ends with words 1..m separated by single spaces; 0 when it does not end with the first word.
   */
  static int openingWordsAtEnd(String text) {
    int end = text.length();
    int lastStart = pieceStart(text, end);
    int last = indexOf(text.substring(lastStart, end)); // the text's last piece must be word(m): m = last + 1 (mod n)
    if (last < 0) return text.substring(lastStart, end).endsWith(WORDS[0]) ? 1 : 0;
    int best = 0;
    for (int j = 0; ; j++) {
      int start = pieceStart(text, end);
      String piece = text.substring(start, end);
      // piece j from the end is word(m - j); it may be word(1) (glued to what precedes it) when j = m - 1
      if (j % WORDS.length == last && piece.endsWith(WORDS[0])) best = j + 1;
      boolean whole = piece.equals(WORDS[Math.floorMod(last - j, WORDS.length)]);
      if (!whole || start == 0 || text.charAt(start - 1) != ' ') return best;
      end = start - 1;
    }
  }

  /** Where the whitespace-free piece of text that ends at {@code end} starts. */
  private static int pieceStart(String text, int end) {
    int start = end;
    while (start > 0 && !Character.isWhitespace(text.charAt(start - 1))) start--;
    return start;
  }

  private static int indexOf(String word) {
    for (int i = 0; i < WORDS.length; i++) if (WORDS[i].equals(word)) return i;
    return -1;
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
    int from = request.continuedTokens();
    for (int k = 1; k <= n; k++) {
      if (from + k > 1) out.append(' ');
      out.append(word(from + k));
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
      if (request.continuedTokens() + k > 1) out.append(' ');
      out.append(word(request.continuedTokens() + k)).append("\"}");
    } else {
      out.append("{\"index\":0,\"text\":\"");
      if (request.continuedTokens() + k > 1) out.append(' ');
      out.append(word(request.continuedTokens() + k)).append('"');
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
