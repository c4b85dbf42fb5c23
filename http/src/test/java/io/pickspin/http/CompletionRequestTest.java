package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

class CompletionRequestTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final GatewaySettings SETTINGS = GatewaySettings.fromConfig(ConfigFactory.load().getConfig("pickspin"));

  private static CompletionRequest chat(String body, HttpRequest http) {
    return CompletionRequest.parse(JSON, CompletionRequest.Endpoint.CHAT, body.getBytes(StandardCharsets.UTF_8), http, RoutingDefaults.of(SETTINGS).get());
  }

  @Test
  void takesTheLastUserMessageAsThePromptAndStripsControls() {
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
    r.body().fieldNames().forEachRemaining(f -> assertFalse(f.startsWith("pickspin_"), f));
  }

  @Test
  void headersWinOverBodyFieldsAndDefaultsApply() {
    HttpRequest http = HttpRequest.create("/v1/chat/completions").addHeader(RawHeader.create("x-pickspin-profile", "quality"));
    CompletionRequest r = chat("{\"model\":\"m\",\"pickspin_profile\":\"cost\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", http);
    assertEquals(Profile.QUALITY, r.route().profile());
    assertEquals(SETTINGS.defaultRouter(), r.route().router());
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
      assertEquals(400, e.status().intValue(), bad);
    }
    assertThrows(ApiError.class, () -> CompletionRequest.parse(
        JSON, CompletionRequest.Endpoint.TEXT, "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8), http, RoutingDefaults.of(SETTINGS).get()));
  }
}
