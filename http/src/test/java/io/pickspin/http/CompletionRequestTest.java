package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.pickspin.api.ApiError;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.RoutingSettings;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

class CompletionRequestTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final RoutingSettings ROUTING = RoutingSettings.fromConfig(ConfigFactory.load().getConfig("pickspin.routing"));

  private static final HttpRequest CHAT = HttpRequest.create("/v1/chat/completions");
  private static final String USER_X = "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";

  private static CompletionRequest chat(String body, HttpRequest http) {
    return CompletionRequest.parse(JSON, CompletionRequest.Endpoint.CHAT, body.getBytes(StandardCharsets.UTF_8), http, RoutingDefaults.of(ROUTING).get());
  }

  private static CompletionRequest text(String body) {
    return CompletionRequest.parse(
        JSON, CompletionRequest.Endpoint.TEXT, body.getBytes(StandardCharsets.UTF_8), HttpRequest.create("/v1/completions"), RoutingDefaults.of(ROUTING).get());
  }

  @Test
  void takesTheLastUserMessageAsThePromptAndStripsControls() throws Exception {
    CompletionRequest r = chat(
        "{\"model\":\"auto\",\"stream\":true,\"pickspin_profile\":\"cost\",\"pickspin_router\":\"keyword\",\"pickspin_deadline_ms\":250,"
            + "\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"first\"},"
            + "{\"role\":\"assistant\",\"content\":\"ok\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"prove it\"}]}]}",
        HttpRequest.create("/v1/chat/completions"));
    assertTrue(r.stream());
    assertTrue(r.route().isAuto());
    assertEquals("prove it", r.route().prompt());
    assertEquals(Profile.COST, r.route().profile());
    assertEquals(RouterKind.KEYWORD, r.route().router());
    assertEquals(250, r.route().deadlineMs());
    JsonNode sent = JSON.readTree(r.body("served-name"));
    sent.fieldNames().forEachRemaining(f -> assertFalse(f.startsWith("pickspin_"), f));
    assertEquals("served-name", sent.get("model").asText());
    assertEquals(4, sent.get("messages").size());
  }

  @Test
  void headersWinOverBodyFieldsAndDefaultsApply() {
    HttpRequest http = HttpRequest.create("/v1/chat/completions").addHeader(RawHeader.create("x-pickspin-profile", "quality"));
    CompletionRequest r = chat("{\"model\":\"m\",\"pickspin_profile\":\"cost\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", http);
    assertEquals(Profile.QUALITY, r.route().profile());
    assertEquals(ROUTING.defaultRouter(), r.route().router());
    assertEquals(0, r.route().deadlineMs());
  }

  @Test
  void forwardsEndToEndHeadersButNotCredentialsOrControls() {
    HttpRequest http = HttpRequest.create("/v1/chat/completions")
        .addHeader(RawHeader.create("authorization", "Bearer secret"))
        .addHeader(RawHeader.create("x-request-id", "abc"))
        .addHeader(RawHeader.create("x-pickspin-router", "keyword"));
    CompletionRequest r = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", http);
    assertEquals(1, r.forwardHeaders().size());
    assertEquals("x-request-id", r.forwardHeaders().get(0).lowercaseName());
  }

  @Test
  void rejectsWhatABackendWouldChokeOn() {
    HttpRequest http = HttpRequest.create("/v1/chat/completions");
    for (String bad : new String[] {
        "{\"model\":\"m\",\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "{\"model\":42,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "{\"model\":\"m\",\"messages\":[{\"content\":\"no role\"}]}",
        "{\"model\":\"m\",\"messages\":\"hi\"}",
        "{\"model\":\"m\",\"pickspin_deadline_ms\":-5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "{\"model\":\"m\",\"pickspin_router\":\"magic\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"}) {
      ApiError e = assertThrows(ApiError.class, () -> chat(bad, http), bad);
      assertEquals(400, e.status(), bad);
    }
    assertThrows(ApiError.class, () -> CompletionRequest.parse(
        JSON, CompletionRequest.Endpoint.TEXT, "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8), http, RoutingDefaults.of(ROUTING).get()));
  }

  @Test
  void sendsTheClientsBytesUncopiedWhenTheServedNameIsTheRequestedOne() {
    String body = "{ \"model\" : \"m\", " + USER_X + ", \"temperature\": 0.70 }\n";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    CompletionRequest r = CompletionRequest.parse(JSON, CompletionRequest.Endpoint.CHAT, bytes, CHAT, RoutingDefaults.of(ROUTING).get());
    assertSame(bytes, r.body("m"));
    assertNotSame(bytes, r.body("other"));
  }

  @Test
  void splicesTheServedNameInPlaceOfTheModelValueOnly() throws Exception {
    String[] bodies = {
      "{\"model\":\"m\"," + USER_X + "}",
      " \n{ \"model\"\t :\r\n  \"m\"  ,\n " + USER_X + " }\n ",
      // escapes and non-ASCII text inside the model value and around it
      "{\"note\":\"caf\u00e9 \\\" \u2603 \uD83D\uDE00\",\"model\":\"a\\\"b\\\\c\\u00e9\u00e9\uD83D\uDE00\\/\"," + USER_X + ",\"\u00fcber\":\"\u00e9\"}",
      // not first, after nested values holding a "model" of their own
      "{" + USER_X + ",\"metadata\":{\"model\":\"inner\",\"list\":[\"model\",{\"model\":1}]},\"model\":\"auto\",\"stream\":false}",
      // a duplicated key: the last one counts, as in a tree
      "{\"model\":\"first\"," + USER_X + ",\"model\":\"last\"}",
    };
    for (String body : bodies) {
      for (String served : new String[] {"served", "", "quote\" back\\slash \u0001 \u00e9\u00df \uD83D\uDE00"}) {
        CompletionRequest r = chat(body, CHAT);
        ObjectNode expected = (ObjectNode) JSON.readTree(body);
        expected.put("model", served);
        assertEquals(expected, JSON.readTree(r.body(served)), body + " as " + served);
      }
    }
    assertEquals("last", chat(bodies[4], CHAT).route().requestedModel());
    assertEquals("a\"b\\c\u00e9\u00e9\uD83D\uDE00/", chat(bodies[2], CHAT).route().requestedModel());
  }

  @Test
  void bytesAroundTheObjectDoNotReachTheBackend() throws Exception {
    for (String body : new String[] {"\uFEFF{\"model\":\"m\"," + USER_X + "}", "{\"model\":\"m\"," + USER_X + "} trailing"}) {
      byte[] sent = chat(body, CHAT).body("m");
      assertEquals(JSON.readTree("{\"model\":\"m\"," + USER_X + "}"), JSON.readTree(sent), body);
      assertEquals('{', sent[0], body);
      assertEquals('}', sent[sent.length - 1], body);
    }
  }

  @Test
  void takesATextPromptOrTheLastOfAnArrayOfThem() {
    assertEquals("once upon", text("{\"model\":\"m\",\"prompt\":\"once upon\"}").route().prompt());
    assertEquals("third", text("{\"prompt\":[\"first\",\"second\",\"third\"],\"model\":\"m\"}").route().prompt());
    // a chat request's messages are no prompt for a text completion, and the other way round
    assertThrows(ApiError.class, () -> text("{\"model\":\"m\"," + USER_X + "}"));
    assertThrows(ApiError.class, () -> chat("{\"model\":\"m\",\"prompt\":\"p\"}", CHAT));
    for (String bad : new String[] {"[]", "[1,\"a\"]", "42", "{\"a\":\"b\"}"}) {
      ApiError e = assertThrows(ApiError.class, () -> text("{\"model\":\"m\",\"prompt\":" + bad + "}"), bad);
      assertEquals("'prompt' must be a string or a non-empty array of strings.", e.getMessage(), bad);
    }
  }

  @Test
  void joinsTheTextPartsOfArrayContentByNewLines() {
    CompletionRequest r = chat(
        "{\"model\":\"m\",\"messages\":[{\"content\":[{\"type\":\"text\",\"text\":\"one\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}},"
            + "\"stray\",{\"type\":\"text\",\"text\":\"two\"}],\"role\":\"user\"},{\"role\":\"assistant\",\"content\":\"no\"}]}",
        CHAT);
    assertEquals("one\ntwo", r.route().prompt());
    // no user message: the last message counts
    assertEquals("last", chat("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"last\"}]}", CHAT).route().prompt());
  }

  @Test
  void rejectsInvalidJsonAndRootsThatAreNoObject() {
    for (String bad : new String[] {"{\"model\":\"m\",", "{\"model\":\"m\" " + USER_X + "}", "{\"model\":\"m\",\"x\":\"\\q\"}", "[1,"}) {
      ApiError e = assertThrows(ApiError.class, () -> chat(bad, CHAT), bad);
      assertEquals(400, e.status(), bad);
      assertTrue(e.getMessage().startsWith("The request body is not valid JSON: "), e.getMessage());
    }
    for (String notObject : new String[] {"", "  ", "null", "[{\"model\":\"m\"}]", "\"model\"", "42"}) {
      ApiError e = assertThrows(ApiError.class, () -> chat(notObject, CHAT), notObject);
      assertEquals("The request body must be a JSON object.", e.getMessage(), notObject);
    }
  }

  @Test
  void skipsNestedValuesWithBracketsAndQuotesInTheirStrings() throws Exception {
    String body =
        "{\"tools\":[{\"function\":{\"name\":\"f\",\"description\":\"} ] { [ \\\" \\\\\",\"parameters\":{\"model\":\"\\\"model\\\":\\\"x\\\"\"}}}],"
            + "\"messages\":[{\"role\":\"user\",\"name\":{\"role\":\"system\"},\"content\":\"]}\\\"{[\"}],"
            + "\"stop\":[\"]\",\"}\",\"\\\"\"],\"model\":\"m\",\"stream\":true}";
    CompletionRequest r = chat(body, CHAT);
    assertEquals("m", r.route().requestedModel());
    assertEquals("]}\"{[", r.route().prompt());
    assertTrue(r.stream());
    ObjectNode expected = (ObjectNode) JSON.readTree(body);
    expected.put("model", "served");
    assertEquals(expected, JSON.readTree(r.body("served")));
  }

  private static CompletionRequest askingUsage(String body) {
    return CompletionRequest.parse(
        JSON, CompletionRequest.Endpoint.CHAT, body.getBytes(StandardCharsets.UTF_8), CHAT, RoutingDefaults.of(ROUTING).get(), true);
  }

  @Test
  void aStreamedRequestAsksTheBackendForUsageAndRemembersWhetherTheClientDid() throws Exception {
    CompletionRequest plain = askingUsage("{\"model\":\"auto\",\"stream\":true," + USER_X + "}");
    JsonNode sent = JSON.readTree(plain.body("served-name"));
    assertTrue(sent.at("/stream_options/include_usage").asBoolean(), sent.toString());
    assertEquals("served-name", sent.get("model").asText(), "the model's place moved with the insert");
    assertFalse(plain.clientWantsStreamUsage());

    CompletionRequest otherOptions = askingUsage("{\"model\":\"auto\",\"stream\":true,\"stream_options\":{\"x\":1}," + USER_X + "}");
    JsonNode sent2 = JSON.readTree(otherOptions.body("m"));
    assertTrue(sent2.at("/stream_options/include_usage").asBoolean(), sent2.toString());
    assertEquals(1, sent2.at("/stream_options/x").asInt());
    assertFalse(otherOptions.clientWantsStreamUsage());

    CompletionRequest asked = askingUsage("{\"model\":\"auto\",\"stream\":true,\"stream_options\":{\"include_usage\":true}," + USER_X + "}");
    assertTrue(asked.clientWantsStreamUsage());

    CompletionRequest notStreamed = askingUsage("{\"model\":\"auto\"," + USER_X + "}");
    assertFalse(JSON.readTree(notStreamed.body("m")).has("stream_options"));
  }
}
