package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.http.CompletionRequest.Endpoint;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class StreamSpliceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHAT_BODY =
      "{\"model\":\"m\",\"stream\":true,\"max_tokens\":6,\"messages\":[{\"role\":\"user\",\"content\":\"hi you\"}]}";

  private static ByteString chatEvent(String id, String content, boolean role) {
    return ByteString.fromString("data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"model\":\"m\","
        + "\"choices\":[{\"index\":0,\"delta\":{" + (role ? "\"role\":\"assistant\"," : "") + "\"content\":\"" + content
        + "\"},\"finish_reason\":null}]}\n\n");
  }

  private static ByteString finishEvent(String id) {
    return ByteString.fromString("data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"model\":\"m\","
        + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n");
  }

  private static ByteString usageEvent(String id, int prompt, int completion) {
    return ByteString.fromString("data: {\"id\":\"" + id + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":" + prompt
        + ",\"completion_tokens\":" + completion + ",\"total_tokens\":" + (prompt + completion) + "}}\n\n");
  }

  private static final ByteString DONE = ByteString.fromString("data: [DONE]\n\n");

  /** The data of every event the client got, in order. */
  private static List<String> data(ByteString stream) {
    List<String> out = new ArrayList<>();
    for (String event : stream.utf8String().split("\n\n")) if (event.startsWith("data: ")) out.add(event.substring(6));
    return out;
  }

  /** The text of every chat delta the client got, joined. */
  private static String text(ByteString stream) throws Exception {
    StringBuilder text = new StringBuilder();
    for (String d : data(stream)) {
      if (d.equals("[DONE]")) continue;
      JsonNode choices = JSON.readTree(d).path("choices");
      if (!choices.isEmpty()) text.append(choices.get(0).path("delta").path("content").asText(""));
    }
    return text.toString();
  }

  @Test
  void aBrokenChatStreamIsContinuedAndSplicedWithoutDuplicateOrLostText() throws Exception {
    StreamSplice splice = new StreamSplice(JSON, Endpoint.CHAT);
    ByteString client = ByteString.emptyByteString();
    client = client.concat(splice.onBytes(chatEvent("a", "the", true).concat(chatEvent("a", " sim", false))));
    ByteString half = chatEvent("a", " says", false);
    ByteString passed = splice.onBytes(half.take(20));
    assertTrue(passed.isEmpty(), "half an event is held back");
    client = client.concat(passed);
    assertEquals(2, splice.tokensSent());

    StreamSplice.Next next = splice.broke(CHAT_BODY.getBytes(StandardCharsets.UTF_8));
    assertEquals(StreamSplice.Step.CONTINUE, next.step());
    JsonNode body = JSON.readTree(next.body());
    assertEquals(4, body.path("max_tokens").asInt(), "the limit shrinks by the tokens sent");
    assertTrue(body.path("continue_final_message").asBoolean());
    assertFalse(body.path("add_generation_prompt").asBoolean(true));
    JsonNode last = body.path("messages").get(1);
    assertEquals("assistant", last.path("role").asText());
    assertEquals("the sim", last.path("content").asText(), "the half event's text is not in the prefix");

    // the continuation comes from another replica: its own id, its own role, its own usage
    ByteString rest = chatEvent("b", " says", true).concat(chatEvent("b", " hello", false)).concat(chatEvent("b", " to", false))
        .concat(chatEvent("b", " you", false)).concat(finishEvent("b")).concat(usageEvent("b", 4, 4)).concat(DONE);
    // in pieces that cut events apart
    for (int i = 0; i < rest.size(); i += 37) client = client.concat(splice.onBytes(rest.slice(i, Math.min(rest.size(), i + 37))));

    assertEquals("the sim says hello to you", text(client));
    List<String> events = data(client);
    assertEquals("[DONE]", events.get(events.size() - 1));
    assertEquals(1, events.stream().filter("[DONE]"::equals).count());
    int roles = 0;
    for (String d : events) {
      if (d.equals("[DONE]")) continue;
      JsonNode e = JSON.readTree(d);
      assertEquals("a", e.path("id").asText(), "every event carries the first segment's id: " + d);
      if (e.path("choices").path(0).path("delta").has("role")) roles++;
    }
    assertEquals(1, roles, "the assistant role comes once");
    JsonNode usage = JSON.readTree(events.get(events.size() - 2)).path("usage");
    assertEquals(2, usage.path("prompt_tokens").asInt(), "the resent text is not counted as prompt");
    assertEquals(6, usage.path("completion_tokens").asInt(), "completion tokens of both segments");
    assertEquals(8, usage.path("total_tokens").asInt());
    assertEquals(6, splice.tokensSent());
  }

  @Test
  void aTextCompletionIsContinuedWithItsTextAppendedToThePrompt() throws Exception {
    StreamSplice splice = new StreamSplice(JSON, Endpoint.TEXT);
    splice.onBytes(ByteString.fromString("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"text\":\"the\",\"finish_reason\":null}]}\n\n"
        + "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"text\":\" sim\",\"finish_reason\":null}]}\n\n"));
    JsonNode body = JSON.readTree(splice.broke("{\"model\":\"m\",\"prompt\":\"Q:\",\"max_completion_tokens\":9}".getBytes()).body());
    assertEquals("Q:the sim", body.path("prompt").asText());
    assertEquals(7, body.path("max_completion_tokens").asInt());
    assertFalse(body.has("continue_final_message"), "a chat field has no place in a text completion");
    JsonNode array = JSON.readTree(splice.broke("{\"model\":\"m\",\"prompt\":[\"Q:\"]}".getBytes()).body());
    assertEquals("Q:the sim", array.path("prompt").get(0).asText());
    assertEquals(StreamSplice.Step.CANNOT, splice.broke("{\"model\":\"m\",\"prompt\":[1,2]}".getBytes()).step());
  }

  @Test
  void whatIsLeftWhenTheAnswerHadEndedOrCannotGoOn() {
    byte[] body = CHAT_BODY.getBytes(StandardCharsets.UTF_8);

    StreamSplice nothingSent = new StreamSplice(JSON, Endpoint.CHAT);
    StreamSplice.Next again = nothingSent.broke(body);
    assertEquals(StreamSplice.Step.CONTINUE, again.step());
    assertSame(body, again.body(), "with nothing sent the request goes again as it was");

    StreamSplice ended = new StreamSplice(JSON, Endpoint.CHAT);
    ended.onBytes(chatEvent("a", "the", true).concat(finishEvent("a")).concat(DONE));
    assertEquals(StreamSplice.Step.COMPLETE, ended.broke(body).step());

    StreamSplice finished = new StreamSplice(JSON, Endpoint.CHAT);
    finished.onBytes(chatEvent("a", "the", true).concat(finishEvent("a")));
    assertEquals(StreamSplice.Step.FINISH, finished.broke(body).step());
    assertEquals(List.of("[DONE]"), data(finished.closingEvents()), "a finish event came already");

    StreamSplice atLimit = new StreamSplice(JSON, Endpoint.CHAT);
    for (int i = 0; i < 6; i++) atLimit.onBytes(chatEvent("a", i == 0 ? "w" : " w", i == 0));
    StreamSplice.Next full = atLimit.broke(body);
    assertEquals(StreamSplice.Step.FINISH, full.step(), "max_tokens reached: the text is whole");
    assertNull(full.body());
    List<String> closing = data(atLimit.closingEvents());
    assertTrue(closing.get(0).contains("\"finish_reason\":\"length\""), closing.get(0));
    assertEquals("[DONE]", closing.get(1));

    StreamSplice tools = new StreamSplice(JSON, Endpoint.CHAT);
    tools.onBytes(ByteString.fromString("data: {\"id\":\"t\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[]}}]}\n\n"));
    assertEquals(StreamSplice.Step.CANNOT, tools.broke(body).step());
    StreamSplice two = new StreamSplice(JSON, Endpoint.CHAT);
    assertEquals(StreamSplice.Step.CANNOT, two.broke(CHAT_BODY.replace("\"stream\"", "\"n\":2,\"stream\"").getBytes()).step());
  }

  @Test
  void theFirstSegmentPassesAsTheReplicaSentIt() {
    StreamSplice splice = new StreamSplice(JSON, Endpoint.CHAT);
    ByteString events = ByteString.fromString(": keep-alive\n\n").concat(chatEvent("a", "the", true)).concat(usageEvent("a", 2, 1))
        .concat(DONE);
    assertEquals(events, splice.onBytes(events));
  }
}
