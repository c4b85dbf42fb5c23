package io.pickspin.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.api.ApiError;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class SimRequestTest {
  private static final SimSettings SETTINGS = new SimSettings(16, 100, 0, 1 << 20, 5000, 20_000_000, 1000);

  private static SimRequest parse(SimRequest.Kind kind, String json) {
    return SimRequest.parse(kind, ByteString.fromString(json), SETTINGS);
  }

  @Test
  void countsWhitespaceSeparatedWords() {
    assertEquals(0, SimRequest.countWords(""));
    assertEquals(0, SimRequest.countWords(" \n\t "));
    assertEquals(3, SimRequest.countWords(" one\ttwo\n\nthree "));
  }

  @Test
  void promptsInEveryOpenAiForm() {
    assertEquals(2, parse(SimRequest.Kind.TEXT, "{\"model\":\"m\",\"prompt\":\"a b\"}").promptTokens());
    assertEquals(3, parse(SimRequest.Kind.TEXT, "{\"model\":\"m\",\"prompt\":[\"a b c\"]}").promptTokens());
    assertEquals(4, parse(SimRequest.Kind.TEXT, "{\"model\":\"m\",\"prompt\":[1,2,3,4]}").promptTokens());
    assertEquals(2, parse(SimRequest.Kind.TEXT, "{\"model\":\"m\",\"prompt\":[[7,8]]}").promptTokens());
    assertEquals(5, parse(SimRequest.Kind.CHAT, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
        + "[{\"type\":\"text\",\"text\":\"a b\"},{\"type\":\"text\",\"text\":\"c d e\"}]},"
        + "{\"role\":\"assistant\",\"content\":null}]}").promptTokens());
  }

  @Test
  void limitsAndTheContextWindow() {
    SimRequest unlimited = parse(SimRequest.Kind.TEXT, "{\"model\":\"m\",\"prompt\":\"a\"}");
    assertEquals(16, unlimited.outputTokens());
    assertFalse(unlimited.limited());
    SimRequest nearlyFull = parse(SimRequest.Kind.TEXT, "{\"model\":\"m\",\"prompt\":[" + "1,".repeat(94) + "1]}");
    assertEquals(5, nearlyFull.outputTokens(), "the default shrinks to what fits in max-model-len");
    assertTrue(parse(SimRequest.Kind.TEXT, "{\"model\":\"m\",\"prompt\":\"a\",\"max_tokens\":99}").limited());
    ApiError tooLong = assertThrows(ApiError.class,
        () -> parse(SimRequest.Kind.TEXT, "{\"model\":\"m\",\"prompt\":\"a\",\"max_tokens\":100}"));
    assertEquals(400, tooLong.status());
    assertTrue(tooLong.getMessage().contains("maximum context length is 100"));
    ApiError trailing = assertThrows(ApiError.class,
        () -> parse(SimRequest.Kind.TEXT, "{\"model\":\"m\",\"prompt\":\"a\"} {}"));
    assertEquals(400, trailing.status());
  }

  @Test
  void continueFinalMessageContinuesTheAssistantsWords() {
    String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"},"
        + "{\"role\":\"assistant\",\"content\":\"the sim says\"}]";
    SimRequest continued = parse(SimRequest.Kind.CHAT, "{\"model\":\"m\"," + messages
        + ",\"continue_final_message\":true,\"add_generation_prompt\":false}");
    assertEquals(3, continued.continuedTokens());
    assertEquals(5, continued.promptTokens(), "the assistant's words are read as prompt");
    assertEquals(16 - 3, continued.outputTokens(), "an unlimited continuation ends where the whole answer would");
    assertEquals(0, parse(SimRequest.Kind.CHAT, "{\"model\":\"m\"," + messages + "}").continuedTokens(),
        "without the flag an assistant turn is only history");
    ApiError withPrompt = assertThrows(ApiError.class, () -> parse(SimRequest.Kind.CHAT,
        "{\"model\":\"m\"," + messages + ",\"continue_final_message\":true}"));
    assertTrue(withPrompt.getMessage().contains("add_generation_prompt"), withPrompt.getMessage());
    ApiError notAssistant = assertThrows(ApiError.class, () -> parse(SimRequest.Kind.CHAT,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
            + "\"continue_final_message\":true,\"add_generation_prompt\":false}"));
    assertEquals(400, notAssistant.status());
  }

  @Test
  void aTextPromptThatEndsWithTheAnswersOpeningIsContinued() {
    assertEquals(0, Answer.openingWordsAtEnd("Tell me a story"));
    assertEquals(0, Answer.openingWordsAtEnd("the sim says "), "a streamed answer never ends with a space");
    assertEquals(3, Answer.openingWordsAtEnd("Tell me a story:the sim says"), "the answer appended as streamed");
    assertEquals(2, Answer.openingWordsAtEnd("Go on. the sim"));
    assertEquals(1, Answer.openingWordsAtEnd("the"));
    assertEquals(0, Answer.openingWordsAtEnd("the says"), "words out of order");
    StringBuilder long40 = new StringBuilder("Prompt?");
    for (int k = 1; k <= 40; k++) long40.append(k > 1 ? " " : "").append(Answer.word(k));
    assertEquals(40, Answer.openingWordsAtEnd(long40.toString()), "past one cycle of the word list");
    assertEquals(3, parse(SimRequest.Kind.TEXT, "{\"model\":\"m\",\"prompt\":[\"x:the sim says\"]}").continuedTokens());
  }
}
