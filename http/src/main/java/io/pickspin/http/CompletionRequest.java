package io.pickspin.http;

import static com.fasterxml.jackson.core.JsonToken.END_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.END_OBJECT;
import static com.fasterxml.jackson.core.JsonToken.START_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.START_OBJECT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NULL;
import static com.fasterxml.jackson.core.JsonToken.VALUE_STRING;
import static com.fasterxml.jackson.core.JsonToken.VALUE_TRUE;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pickspin.api.ApiError;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * A validated OpenAI chat or text completion request, or embeddings request, with the Pick and Spin controls taken out
 * of it. An embeddings request names its model (the router does not choose one for it) and is never streamed.
 *
 * <p>Controls come from headers ({@code x-pickspin-profile}, {@code x-pickspin-router}, {@code x-pickspin-deadline-ms})
 * or from body fields ({@code pickspin_profile}, {@code pickspin_router}, {@code pickspin_deadline_ms}); a header wins.
 * Body fields are removed before the request goes to a backend, which would reject unknown fields.
 *
 * <p>Every request passes here, so the body is read with a streaming parser, not as a tree, and kept as the client's
 * bytes: the backend gets them with only the model's value replaced. Where the body has duplicate keys, the last wins,
 * as in a tree.
 */
public final class CompletionRequest {

  /** The endpoints the gateway forwards: the backend path is the same as the gateway's. */
  public enum Endpoint {
    CHAT("/v1/chat/completions"),
    TEXT("/v1/completions"),
    EMBEDDINGS("/v1/embeddings");

    public final String path;

    Endpoint(String path) {
      this.path = path;
    }
  }

  /** A Pick and Spin control: a header, or else a top-level body field. */
  private enum Control {
    PROFILE("profile"),
    ROUTER("router"),
    DEADLINE_MS("deadline_ms");

    static final Control[] ALL = values();
    final String field;
    final String header;

    Control(String name) {
      this.field = FIELD_PREFIX + name;
      this.header = HEADER_PREFIX + name.replace('_', '-');
    }
  }

  private static final String FIELD_PREFIX = "pickspin_";
  private static final String HEADER_PREFIX = "x-pickspin-";

  private final Endpoint endpoint;
  private final boolean stream;
  /** The client asked for usage in its stream (stream_options.include_usage); false for answers that are not streamed. */
  private final boolean clientWantsStreamUsage;
  private final RouteRequest route;
  private final List<HttpHeader> forwardHeaders;
  /** The backend's body but for the model: the client's bytes, unless control fields had to be taken out. */
  private final byte[] body;
  /** Where body's top-level model string is: from its opening quote to just past its closing one. */
  private final int modelStart;
  private final int modelEnd;

  private CompletionRequest(
      Endpoint endpoint, boolean stream, RouteRequest route, List<HttpHeader> forwardHeaders, byte[] body, BodyScan scan,
      boolean clientWantsStreamUsage) {
    this.endpoint = endpoint;
    this.stream = stream;
    this.clientWantsStreamUsage = clientWantsStreamUsage;
    this.route = route;
    this.forwardHeaders = forwardHeaders;
    this.body = body;
    this.modelStart = scan.modelStart;
    this.modelEnd = scan.modelEnd;
  }

  public Endpoint endpoint() {
    return endpoint;
  }

  public boolean stream() {
    return stream;
  }

  public RouteRequest route() {
    return route;
  }

  /** A streamed request whose client asked for the usage chunk itself: the gateway must pass it on. */
  public boolean clientWantsStreamUsage() {
    return clientWantsStreamUsage;
  }

  public List<HttpHeader> forwardHeaders() {
    return forwardHeaders;
  }

  /**
   * The body for a backend that serves the model as {@code servedModel}. When that is the name the client asked for, the
   * body is not copied: callers must not change the array.
   */
  public byte[] body(String servedModel) {
    if (servedModel.equals(route.requestedModel())) return body;
    byte[] name = JsonStringEncoder.getInstance().quoteAsUTF8(servedModel);
    int suffix = body.length - modelEnd;
    byte[] out = new byte[modelStart + 1 + name.length + 1 + suffix];
    System.arraycopy(body, 0, out, 0, modelStart);
    out[modelStart] = '"';
    System.arraycopy(name, 0, out, modelStart + 1, name.length);
    out[modelStart + 1 + name.length] = '"';
    System.arraycopy(body, modelEnd, out, out.length - suffix, suffix);
    return out;
  }

  public static CompletionRequest parse(
      ObjectMapper json, Endpoint endpoint, byte[] bytes, HttpRequest http, RoutingDefaults.Choice defaults) {
    return parse(json, endpoint, bytes, http, defaults, false);
  }

  /**
   * @param askStreamUsage a streamed request goes to the backend with {@code stream_options.include_usage} set, so that
   *     its answer ends with a usage chunk
   */
  public static CompletionRequest parse(
      ObjectMapper json, Endpoint endpoint, byte[] bytes, HttpRequest http, RoutingDefaults.Choice defaults,
      boolean askStreamUsage) {
    return reading(() -> read(json, endpoint, bytes, http, defaults, askStreamUsage));
  }

  /**
   * A chat body, or a text completion body when it has a {@code prompt} and no {@code messages}: what the route API
   * takes. Errors are the chat endpoint's, unless the body is a text completion's.
   */
  public static CompletionRequest parseChatOrText(
      ObjectMapper json, byte[] bytes, HttpRequest http, RoutingDefaults.Choice defaults) {
    return reading(() -> {
      Endpoint endpoint = BodyScan.of(json, Endpoint.CHAT, bytes).textPromptOnly() ? Endpoint.TEXT : Endpoint.CHAT;
      return read(json, endpoint, bytes, http, defaults, false);
    });
  }

  private interface Reading {
    CompletionRequest read() throws IOException;
  }

  /** Turns what reading a body throws into the client's error. */
  private static CompletionRequest reading(Reading reading) {
    try {
      return reading.read();
    } catch (JsonProcessingException e) {
      throw ApiError.invalid(null, "The request body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ApiError.invalid(null, "The request body could not be read: " + e.getMessage());
    }
  }

  private static CompletionRequest read(
      ObjectMapper json, Endpoint endpoint, byte[] bytes, HttpRequest http, RoutingDefaults.Choice defaults,
      boolean askStreamUsage) throws IOException {
    BodyScan scan = BodyScan.of(json, endpoint, bytes);
    String model = scan.model();
    boolean stream = scan.stream();
    String prompt = scan.prompt();

    // Rare: control fields to take out, or bytes around the object a backend must not see. A tree does it simply.
    boolean clientWantsUsage = stream && scan.includeUsage;
    boolean addUsage = stream && askStreamUsage && !clientWantsUsage;
    // a stream_options object without include_usage is rare: the tree sets it
    ObjectNode tree = scan.forwardable() && !(addUsage && scan.streamOptions) ? null : (ObjectNode) json.readTree(bytes);
    Headers headers = new Headers(http);
    Profile profile =
        control(Control.PROFILE, headers, tree).map(s -> parseControl(Control.PROFILE, s, Profile::parse)).orElse(defaults.profile());
    RouterKind router =
        control(Control.ROUTER, headers, tree).map(s -> parseControl(Control.ROUTER, s, RouterKind::parse)).orElse(defaults.router());
    long deadlineMs = control(Control.DEADLINE_MS, headers, tree).map(CompletionRequest::parseDeadline).orElse(0L);
    if (tree != null) {
      tree.properties().removeIf(field -> field.getKey().startsWith(FIELD_PREFIX));
      if (addUsage) {
        JsonNode options = tree.get("stream_options");
        (options instanceof ObjectNode o ? o : tree.putObject("stream_options")).put("include_usage", true);
      }
      bytes = json.writeValueAsBytes(tree);
      scan = BodyScan.of(json, endpoint, bytes); // for where the model is now
    } else if (addUsage) {
      bytes = withStreamUsage(bytes, scan);
    }
    return new CompletionRequest(
        endpoint, stream, new RouteRequest(model, prompt, profile, router, deadlineMs), headers.forward, bytes, scan,
        clientWantsUsage);
  }

  private static final byte[] STREAM_USAGE = "\"stream_options\":{\"include_usage\":true},".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  /** The body with stream_options.include_usage put first, right after its opening brace; the scan's offsets move. */
  private static byte[] withStreamUsage(byte[] bytes, BodyScan scan) {
    int open = scan.objectStart + 1;
    byte[] out = new byte[bytes.length + STREAM_USAGE.length];
    System.arraycopy(bytes, 0, out, 0, open);
    System.arraycopy(STREAM_USAGE, 0, out, open, STREAM_USAGE.length);
    System.arraycopy(bytes, open, out, open + STREAM_USAGE.length, bytes.length - open);
    scan.modelStart += STREAM_USAGE.length;
    scan.modelEnd += STREAM_USAGE.length;
    return out;
  }

  /**
   * One streaming pass over a body: the fields a request needs, checked afterwards in the order a reader expects their
   * errors, and where the model's value is. Values not needed are skipped, not built.
   */
  private static final class BodyScan {
    private final ObjectMapper json;
    private final Endpoint endpoint;
    private final JsonParser p;
    /** Tokens of the fields' values, null while a field is absent. */
    private JsonToken model, stream, prompt;
    private String modelText;
    private int modelStart = -1, modelEnd = -1;
    /** The prompt's text: the last user message's (else the last message's) of a chat, the last prompt's of a text. */
    private String promptText;
    /** Elements in the messages or prompt array, and the first that disqualifies it (-1: none). */
    private int promptItems, badItem;
    private boolean hasControls;
    /** A chat body's scan met a text completion's "prompt" field. */
    private boolean textPrompt;
    /** The body is a UTF-8 object with nothing but whitespace around it: a backend may get it as it is. */
    private boolean plainObject;
    /** Where the body's object opens. */
    private int objectStart;
    /** The body has a stream_options field, and it sets include_usage to true. */
    private boolean streamOptions, includeUsage;

    private BodyScan(ObjectMapper json, Endpoint endpoint, JsonParser p) {
      this.json = json;
      this.endpoint = endpoint;
      this.p = p;
    }

    static BodyScan of(ObjectMapper json, Endpoint endpoint, byte[] bytes) throws IOException {
      try (JsonParser p = json.getFactory().createParser(bytes)) {
        if (p.nextToken() != START_OBJECT) {
          if (p.currentToken() != null) json.readTree(p); // the whole value, for the same JSON errors as a tree read
          throw ApiError.invalid(null, "The request body must be a JSON object.");
        }
        // a UTF-16 or UTF-32 body has no byte offsets
        long start = p.currentTokenLocation().getByteOffset();
        BodyScan scan = new BodyScan(json, endpoint, p);
        scan.readFields();
        long end = p.currentLocation().getByteOffset();
        scan.plainObject = start >= 0 && whitespace(bytes, 0, (int) start) && whitespace(bytes, (int) end, bytes.length);
        scan.objectStart = (int) start;
        return scan;
      }
    }

    private void readFields() throws IOException {
      String promptField = switch (endpoint) {
        case CHAT -> "messages";
        case TEXT -> "prompt";
        case EMBEDDINGS -> "input";
      };
      boolean streams = endpoint != Endpoint.EMBEDDINGS;
      while (p.nextToken() != END_OBJECT) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("model")) {
          readModel();
        } else if (streams && field.equals("stream")) {
          stream = value;
          p.skipChildren();
        } else if (streams && field.equals("stream_options")) {
          readStreamOptions(value);
        } else if (field.equals(promptField)) {
          switch (endpoint) {
            case CHAT -> readMessages();
            case TEXT -> readTextPrompt();
            case EMBEDDINGS -> readInput();
          }
        } else {
          hasControls |= field.startsWith(FIELD_PREFIX);
          textPrompt |= endpoint == Endpoint.CHAT && field.equals("prompt");
          p.skipChildren();
        }
      }
    }

    private void readStreamOptions(JsonToken value) throws IOException {
      streamOptions = true;
      includeUsage = false;
      if (value != START_OBJECT) {
        p.skipChildren();
        return;
      }
      while (p.nextToken() != END_OBJECT) {
        String field = p.currentName();
        JsonToken v = p.nextToken();
        if (field.equals("include_usage")) includeUsage = v == VALUE_TRUE;
        p.skipChildren();
      }
    }

    private void readModel() throws IOException {
      model = p.currentToken();
      if (model == VALUE_STRING) {
        // the UTF-8 parser reads a string lazily: once it has the text, its location is past the closing quote
        modelText = p.getText();
        modelStart = (int) p.currentTokenLocation().getByteOffset();
        modelEnd = (int) p.currentLocation().getByteOffset();
      } else {
        modelText = null;
        p.skipChildren();
      }
    }

    private void readMessages() throws IOException {
      startPrompt();
      if (prompt != START_ARRAY) {
        p.skipChildren();
        return;
      }
      String lastUser = null;
      String last = null;
      for (; p.nextToken() != END_ARRAY; promptItems++) {
        if (badItem >= 0 || p.currentToken() != START_OBJECT) {
          if (badItem < 0) badItem = promptItems;
          p.skipChildren();
          continue;
        }
        String role = null;
        String content = "";
        while (p.nextToken() != END_OBJECT) {
          String field = p.currentName();
          JsonToken value = p.nextToken();
          if (field.equals("content")) {
            content = contentText();
          } else {
            if (field.equals("role")) role = value == VALUE_STRING ? p.getText() : null;
            p.skipChildren();
          }
        }
        if (role == null) badItem = promptItems;
        else if (role.equals("user")) lastUser = content;
        last = content;
      }
      promptText = lastUser != null ? lastUser : last;
    }

    /** Message content is a string or an array of parts, of which the text parts count. */
    private String contentText() throws IOException {
      if (p.currentToken() == VALUE_STRING) return p.getText();
      if (p.currentToken() != START_ARRAY) {
        p.skipChildren();
        return "";
      }
      StringBuilder sb = new StringBuilder();
      while (p.nextToken() != END_ARRAY) {
        String text = partText();
        if (text != null) sb.append(sb.isEmpty() ? "" : "\n").append(text);
      }
      return sb.toString();
    }

    /** A content part's string "text", or null. */
    private String partText() throws IOException {
      if (p.currentToken() != START_OBJECT) {
        p.skipChildren();
        return null;
      }
      String text = null;
      while (p.nextToken() != END_OBJECT) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("text")) text = value == VALUE_STRING ? p.getText() : null;
        p.skipChildren();
      }
      return text;
    }

    /** A string, or an array whose first element is a string: the last element's text counts. */
    private void readTextPrompt() throws IOException {
      startPrompt();
      if (prompt == VALUE_STRING) {
        promptText = p.getText();
      } else if (prompt == START_ARRAY) {
        for (; p.nextToken() != END_ARRAY; promptItems++) {
          if (promptItems == 0 && p.currentToken() != VALUE_STRING) badItem = 0;
          promptText = asText();
        }
      } else {
        p.skipChildren();
      }
    }

    /**
     * An embeddings input: a string, or a non-empty array of strings, of token ids, or of token id arrays, all of one
     * kind. Its text is not routed on, so only its shape is read.
     */
    private void readInput() throws IOException {
      startPrompt();
      if (prompt == VALUE_STRING) {
        promptText = "";
        return;
      }
      if (prompt != START_ARRAY) {
        p.skipChildren();
        return;
      }
      JsonToken kind = null;
      for (; p.nextToken() != END_ARRAY; promptItems++) {
        JsonToken item = p.currentToken();
        boolean allowed = item == VALUE_STRING || item == JsonToken.VALUE_NUMBER_INT || item == START_ARRAY;
        if (kind == null) kind = item;
        if (badItem < 0 && (!allowed || item != kind)) badItem = promptItems;
        p.skipChildren();
      }
      promptText = "";
    }

    private void startPrompt() {
      prompt = p.currentToken();
      promptText = null;
      promptItems = 0;
      badItem = -1;
    }

    /** The value's text as {@link JsonNode#asText()} has it; a node is built only for the odd non-string scalar. */
    private String asText() throws IOException {
      if (p.currentToken() == VALUE_STRING) return p.getText();
      if (p.currentToken().isStructStart()) {
        p.skipChildren();
        return "";
      }
      return json.<JsonNode>readTree(p).asText();
    }

    String model() {
      if (model == null || model == VALUE_NULL) {
        throw ApiError.invalid("model", "'model' is required: a model id from GET /v1/models, or \"auto\".");
      }
      if (model != VALUE_STRING || modelText.isBlank()) throw ApiError.invalid("model", "'model' must be a non-empty string.");
      return modelText;
    }

    boolean stream() {
      if (stream != null && stream != VALUE_NULL && !stream.isBoolean()) {
        throw ApiError.invalid("stream", "'stream' must be true or false.");
      }
      return stream == VALUE_TRUE;
    }

    /** The text the router classifies (an embeddings input is not classified: empty). */
    String prompt() {
      if (endpoint == Endpoint.EMBEDDINGS) {
        if (prompt == null || prompt == VALUE_NULL) {
          throw ApiError.invalid("input", "'input' is required: a string, or an array of strings or of token ids.");
        }
        if (prompt == VALUE_STRING || (prompt == START_ARRAY && promptItems > 0 && badItem < 0)) return promptText;
        throw ApiError.invalid(
            "input", "'input' must be a string, or a non-empty array of strings, of token ids or of token id arrays.");
      }
      if (endpoint == Endpoint.CHAT) {
        if (prompt == null || prompt == VALUE_NULL) {
          throw ApiError.invalid("messages", "'messages' is required: a non-empty array of {role, content} objects.");
        }
        if (prompt != START_ARRAY || promptItems == 0) {
          throw ApiError.invalid("messages", "'messages' must be a non-empty array of {role, content} objects.");
        }
        if (badItem >= 0) {
          throw ApiError.invalid("messages[" + badItem + "]", "messages[" + badItem + "] must be an object with a string 'role'.");
        }
        return promptText;
      }
      if (prompt == null || prompt == VALUE_NULL) {
        throw ApiError.invalid("prompt", "'prompt' is required: a string or an array of strings.");
      }
      if (prompt == VALUE_STRING || (prompt == START_ARRAY && promptItems > 0 && badItem < 0)) return promptText;
      throw ApiError.invalid("prompt", "'prompt' must be a string or a non-empty array of strings.");
    }

    /** A chat body's scan found no "messages" but a text completion's "prompt". */
    boolean textPromptOnly() {
      return prompt == null && textPrompt;
    }

    /** The body may go to a backend as it is, but for its model. */
    boolean forwardable() {
      return plainObject && !hasControls;
    }
  }

  private static boolean whitespace(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      byte b = bytes[i];
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') return false;
    }
    return true;
  }

  /**
   * The request's headers, read in one pass: the end-to-end ones the backend may use (tracing ids, vendor options, the
   * sim's fault injection), and our controls. Hop-by-hop headers, the client's credentials for this gateway and our own
   * controls are not forwarded.
   */
  private static final class Headers {
    final List<HttpHeader> forward = new ArrayList<>(2);
    /** Each control header's value, by {@link Control#ordinal()}: the first, as {@link HttpRequest#getHeader} finds. */
    final String[] controls = new String[Control.ALL.length];

    Headers(HttpRequest http) {
      for (HttpHeader h : http.getHeaders()) {
        String name = h.lowercaseName();
        if (name.startsWith(HEADER_PREFIX)) {
          for (Control c : Control.ALL) {
            if (controls[c.ordinal()] == null && name.equals(c.header)) controls[c.ordinal()] = h.value();
          }
        } else if (!DROPPED.contains(name) && !name.startsWith("timeout-access")) {
          forward.add(h);
        }
      }
    }
  }

  private static final Set<String> DROPPED =
      Set.of(
          "host", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
          "proxy-connection", "authorization", "content-length", "content-type", "accept-encoding", "user-agent",
          "remote-address", "raw-request-uri", "tls-session-info");

  /** A control's value: its header's, else its body field's (there is a tree exactly when the body has control fields). */
  private static Optional<String> control(Control control, Headers headers, ObjectNode tree) {
    String header = headers.controls[control.ordinal()];
    if (header != null) return Optional.of(header);
    JsonNode field = tree == null ? null : tree.get(control.field);
    if (field == null || field.isNull()) return Optional.empty();
    return Optional.of(field.asText());
  }

  private static <T> T parseControl(Control control, String value, Function<String, T> parser) {
    try {
      return parser.apply(value);
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid(control.field, e.getMessage());
    }
  }

  private static long parseDeadline(String s) {
    try {
      long v = Long.parseLong(s.trim());
      if (v < 0) throw new NumberFormatException();
      return v;
    } catch (NumberFormatException e) {
      throw ApiError.invalid(
          Control.DEADLINE_MS.field, "deadline must be a whole number of milliseconds >= 0, got '" + s + "'");
    }
  }
}
