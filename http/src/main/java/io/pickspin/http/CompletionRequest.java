package io.pickspin.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * A validated OpenAI chat or text completion request, with the Pick and Spin controls taken out of it.
 *
 * <p>Controls come from headers ({@code x-pickspin-profile}, {@code x-pickspin-router}, {@code x-pickspin-deadline-ms})
 * or from body fields ({@code pickspin_profile}, {@code pickspin_router}, {@code pickspin_deadline_ms}); a header wins.
 * Body fields are removed before the request goes to a backend, which would reject unknown fields.
 */
public record CompletionRequest(
    Endpoint endpoint, ObjectNode body, boolean stream, RouteRequest route, List<HttpHeader> forwardHeaders) {

  /** The two completion endpoints: the backend path is the same as the gateway's. */
  public enum Endpoint {
    CHAT("/v1/chat/completions"),
    TEXT("/v1/completions");

    public final String path;

    Endpoint(String path) {
      this.path = path;
    }
  }

  private static final String PREFIX = "pickspin_";

  public static CompletionRequest parse(
      ObjectMapper json, Endpoint endpoint, byte[] bytes, HttpRequest http, RoutingDefaults.Choice defaults) {
    JsonNode root;
    try {
      root = json.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw ApiError.invalid(null, "The request body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ApiError.invalid(null, "The request body could not be read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) throw ApiError.invalid(null, "The request body must be a JSON object.");
    ObjectNode body = (ObjectNode) root;

    JsonNode model = body.get("model");
    if (model == null || model.isNull()) {
      throw ApiError.invalid("model", "'model' is required: a model id from GET /v1/models, or \"auto\".");
    }
    if (!model.isTextual() || model.asText().isBlank()) {
      throw ApiError.invalid("model", "'model' must be a non-empty string.");
    }
    JsonNode stream = body.get("stream");
    if (stream != null && !stream.isNull() && !stream.isBoolean()) {
      throw ApiError.invalid("stream", "'stream' must be true or false.");
    }
    String prompt = endpoint == Endpoint.CHAT ? chatPrompt(body) : textPrompt(body);

    Profile profile =
        control(http, body, "profile").map(s -> parseControl("profile", s, Profile::parse)).orElse(defaults.profile());
    RouterKind router =
        control(http, body, "router").map(s -> parseControl("router", s, RouterKind::parse)).orElse(defaults.router());
    long deadlineMs = control(http, body, "deadline_ms").map(CompletionRequest::parseDeadline).orElse(0L);
    stripControls(body);

    return new CompletionRequest(
        endpoint,
        body,
        stream != null && stream.asBoolean(),
        new RouteRequest(model.asText(), prompt, profile, router, deadlineMs),
        forwardHeaders(http));
  }

  /**
   * End-to-end headers the backend may use (tracing ids, vendor options, the sim's fault injection). Hop-by-hop
   * headers, the client's credentials for this gateway and our own controls stay here.
   */
  private static List<HttpHeader> forwardHeaders(HttpRequest http) {
    List<HttpHeader> out = new ArrayList<>(2);
    for (HttpHeader h : http.getHeaders()) {
      String name = h.lowercaseName();
      if (!DROPPED.contains(name) && !name.startsWith("x-pickspin-") && !name.startsWith("timeout-access")) out.add(h);
    }
    return out;
  }

  private static final Set<String> DROPPED =
      Set.of(
          "host", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
          "proxy-connection", "authorization", "content-length", "content-type", "accept-encoding", "user-agent",
          "remote-address", "raw-request-uri", "tls-session-info");

  /** The text the router classifies: the last user message. */
  private static String chatPrompt(ObjectNode body) {
    JsonNode messages = body.get("messages");
    if (messages == null || messages.isNull()) {
      throw ApiError.invalid("messages", "'messages' is required: a non-empty array of {role, content} objects.");
    }
    if (!messages.isArray() || messages.isEmpty()) {
      throw ApiError.invalid("messages", "'messages' must be a non-empty array of {role, content} objects.");
    }
    String lastUser = null;
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      if (!m.isObject() || !m.path("role").isTextual()) {
        throw ApiError.invalid("messages[" + i + "]", "messages[" + i + "] must be an object with a string 'role'.");
      }
      if ("user".equals(m.get("role").asText())) lastUser = text(m.get("content"));
    }
    return lastUser != null ? lastUser : text(messages.get(messages.size() - 1).get("content"));
  }

  private static String textPrompt(ObjectNode body) {
    JsonNode prompt = body.get("prompt");
    if (prompt == null || prompt.isNull()) {
      throw ApiError.invalid("prompt", "'prompt' is required: a string or an array of strings.");
    }
    if (prompt.isTextual()) return prompt.asText();
    if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isTextual()) return prompt.get(prompt.size() - 1).asText();
    throw ApiError.invalid("prompt", "'prompt' must be a string or a non-empty array of strings.");
  }

  /** Message content is a string or an array of parts, of which the text parts count. */
  private static String text(JsonNode content) {
    if (content == null || content.isNull()) return "";
    if (content.isTextual()) return content.asText();
    StringBuilder sb = new StringBuilder();
    if (content.isArray()) {
      for (JsonNode part : content) {
        if (part.path("text").isTextual()) sb.append(sb.isEmpty() ? "" : "\n").append(part.get("text").asText());
      }
    }
    return sb.toString();
  }

  private static Optional<String> control(HttpRequest http, ObjectNode body, String name) {
    Optional<String> header =
        http.getHeader("x-pickspin-" + name.replace('_', '-')).map(h -> h.value());
    if (header.isPresent()) return header;
    JsonNode field = body.get(PREFIX + name);
    if (field == null || field.isNull()) return Optional.empty();
    return Optional.of(field.asText());
  }

  private static <T> T parseControl(String name, String value, java.util.function.Function<String, T> parser) {
    try {
      return parser.apply(value);
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid(PREFIX + name, e.getMessage());
    }
  }

  private static long parseDeadline(String s) {
    try {
      long v = Long.parseLong(s.trim());
      if (v < 0) throw new NumberFormatException();
      return v;
    } catch (NumberFormatException e) {
      throw ApiError.invalid(PREFIX + "deadline_ms", "deadline must be a whole number of milliseconds >= 0, got '" + s + "'");
    }
  }

  private static void stripControls(ObjectNode body) {
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      if (names.next().startsWith(PREFIX)) names.remove();
    }
  }
}
