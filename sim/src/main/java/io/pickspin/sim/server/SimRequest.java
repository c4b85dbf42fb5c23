package io.pickspin.sim.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.api.ApiError;
import java.io.IOException;
import org.apache.pekko.util.ByteString;

/**
 * A validated OpenAI completion request: only what the sim needs to produce its answer. Fields it does not model
 * (temperature, stop, tools, ...) are accepted and ignored, as a real server would ignore what it cannot honour.
 *
 * @param promptTokens whitespace-separated words of the prompt text (1 word = 1 token)
 * @param outputTokens how many tokens the answer has
 * @param limited whether the client set the limit (finish_reason "length") or the default applied ("stop")
 * @param continuedTokens tokens of the answer that the request already holds and asks to be continued: the words of
 *     the final assistant message with {@code continue_final_message} (chat), or the answer's opening words the prompt
 *     ends with (text); the answer goes on from the next word, so that prefix plus answer is the uninterrupted answer
 */
record SimRequest(
    Kind kind, String model, int promptTokens, int outputTokens, boolean limited, boolean stream,
    boolean includeUsage, int continuedTokens) {

  /** The two OpenAI endpoints: chat completions (messages) and legacy text completions (prompt). */
  enum Kind { CHAT, TEXT }

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  static SimRequest parse(Kind kind, ByteString body, SimSettings settings) {
    JsonNode root = jsonObject(body);
    JsonNode model = requiredModel(root);
    int promptTokens =
        kind == Kind.CHAT ? chatPromptTokens(root.get("messages")) : textPromptTokens(root.get("prompt"));
    int continuedTokens = kind == Kind.CHAT ? continuedChatTokens(root) : continuedTextTokens(root.get("prompt"));

    JsonNode n = root.get("n");
    if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asLong() == 1)) {
      throw ApiError.badRequest("n", "The sim produces one choice per request: n must be 1.");
    }
    boolean stream = optionalBoolean(root, "stream", false);
    boolean includeUsage = false;
    JsonNode streamOptions = root.get("stream_options");
    if (streamOptions != null && !streamOptions.isNull()) {
      if (!streamOptions.isObject()) throw ApiError.badRequest("stream_options", "stream_options must be an object.");
      includeUsage = optionalBoolean(streamOptions, "include_usage", false);
    }

    int room = settings.maxModelLen() - promptTokens;
    String limitParam = "max_completion_tokens";
    JsonNode limit = root.get(limitParam);
    if (limit == null || limit.isNull()) {
      limitParam = "max_tokens";
      limit = root.get(limitParam);
    }
    int outputTokens;
    boolean limited = limit != null && !limit.isNull();
    if (limited) {
      if (!limit.isIntegralNumber() || !limit.canConvertToInt() || limit.intValue() < 1) {
        throw ApiError.badRequest(limitParam, limitParam + " must be an integer >= 1.");
      }
      outputTokens = limit.intValue();
      if (outputTokens > room) throw contextTooLong(settings, promptTokens, outputTokens, limitParam);
    } else {
      if (room < 1) throw contextTooLong(settings, promptTokens, 1, kind == Kind.CHAT ? "messages" : "prompt");
      // a continued answer stops where the whole answer would have: the default length counts its prefix
      outputTokens = Math.max(0, Math.min(settings.defaultMaxTokens() - continuedTokens, room));
    }
    return new SimRequest(
        kind, model.textValue(), promptTokens, outputTokens, limited, stream, includeUsage, continuedTokens);
  }

  /**
   * vLLM's {@code continue_final_message}: the final message must be the assistant's, and {@code add_generation_prompt}
   * (true by default) must be false; the answer then continues that message.
   */
  private static int continuedChatTokens(JsonNode root) {
    boolean continueFinal = optionalBoolean(root, "continue_final_message", false);
    boolean generationPrompt = optionalBoolean(root, "add_generation_prompt", true);
    if (!continueFinal) return 0;
    if (generationPrompt) {
      throw ApiError.badRequest("continue_final_message",
          "continue_final_message and add_generation_prompt cannot both be true.");
    }
    JsonNode messages = root.get("messages");
    JsonNode last = messages.get(messages.size() - 1);
    if (!"assistant".equals(last.path("role").asText())) {
      throw ApiError.badRequest("continue_final_message",
          "continue_final_message needs the final message to be the assistant's.");
    }
    JsonNode content = last.get("content");
    return content != null && content.isTextual() ? countWords(content.textValue()) : 0;
  }

  /** A text prompt continues the answer when it ends with the answer's opening words (appended as streamed). */
  private static int continuedTextTokens(JsonNode prompt) {
    if (prompt != null && prompt.isArray() && prompt.size() == 1) prompt = prompt.get(0);
    return prompt != null && prompt.isTextual() ? Answer.openingWordsAtEnd(prompt.textValue()) : 0;
  }

  private static ApiError contextTooLong(SimSettings settings, int prompt, int output, String param) {
    return ApiError.badRequest(param, "This model's maximum context length is " + settings.maxModelLen()
        + " tokens. However, you requested " + ((long) prompt + output) + " tokens (" + prompt + " in the prompt, "
        + output + " in the completion). Please reduce the length of the prompt or completion.");
  }

  private static boolean optionalBoolean(JsonNode parent, String field, boolean absent) {
    JsonNode value = parent.get(field);
    if (value == null || value.isNull()) return absent;
    if (!value.isBoolean()) throw ApiError.badRequest(field, field + " must be true or false.");
    return value.booleanValue();
  }

  private static int chatPromptTokens(JsonNode messages) {
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw ApiError.badRequest("messages", "messages must be a non-empty array of {role, content} objects.");
    }
    int words = 0;
    for (int i = 0; i < messages.size(); i++) {
      JsonNode message = messages.get(i);
      String at = "messages[" + i + "]";
      if (!message.isObject()) throw ApiError.badRequest(at, at + " must be an object.");
      JsonNode role = message.get("role");
      if (role == null || !role.isTextual()) throw ApiError.badRequest(at + ".role", at + ".role must be a string.");
      JsonNode content = message.get("content");
      if (content == null || content.isNull()) continue; // e.g. an assistant turn that only made tool calls
      if (content.isTextual()) {
        words += countWords(content.textValue());
      } else if (content.isArray()) {
        for (JsonNode part : content) {
          JsonNode text = part.get("text");
          if (text != null && text.isTextual()) words += countWords(text.textValue());
        }
      } else {
        throw ApiError.badRequest(at + ".content", at + ".content must be a string or an array of content parts.");
      }
    }
    return words;
  }

  /** A prompt is a string, one string in an array, token ids, or one array of token ids (as in the OpenAI API). */
  private static int textPromptTokens(JsonNode prompt) {
    if (prompt != null && prompt.isTextual()) return countWords(prompt.textValue());
    if (prompt != null && prompt.isArray() && !prompt.isEmpty()) {
      JsonNode first = prompt.get(0);
      if (prompt.size() == 1 && first.isTextual()) return countWords(first.textValue());
      if (prompt.size() == 1 && first.isArray() && allIntegers(first)) return first.size();
      if (allIntegers(prompt)) return prompt.size();
      if (first.isTextual() || first.isArray()) {
        throw ApiError.badRequest("prompt", "The sim answers one prompt per request; send the prompts separately.");
      }
    }
    throw ApiError.badRequest("prompt", "prompt must be a string or an array of token ids.");
  }

  private static boolean allIntegers(JsonNode array) {
    if (array.isEmpty()) return false;
    for (JsonNode item : array) if (!item.isIntegralNumber()) return false;
    return true;
  }

  /** A request body as a JSON object, or a 400 in OpenAI's shape. */
  static JsonNode jsonObject(ByteString body) {
    JsonNode root;
    try {
      root = MAPPER.readTree(body.toArray());
    } catch (JacksonException e) {
      throw ApiError.badRequest(null, "Request body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ApiError.badRequest(null, "Request body could not be read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) throw ApiError.badRequest(null, "Request body must be a JSON object.");
    return root;
  }

  /** The body's non-empty {@code model} string, or a 400. */
  static JsonNode requiredModel(JsonNode root) {
    JsonNode model = root.get("model");
    if (model == null || !model.isTextual() || model.textValue().isEmpty()) {
      throw ApiError.badRequest("model", "You must provide a model parameter (a string).");
    }
    return model;
  }

  /** Whitespace-separated words: the sim's token count. */
  static int countWords(String text) {
    int words = 0;
    boolean inWord = false;
    for (int i = 0; i < text.length(); i++) {
      boolean space = Character.isWhitespace(text.charAt(i));
      if (!space && !inWord) words++;
      inWord = !space;
    }
    return words;
  }
}
