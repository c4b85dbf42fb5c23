package io.pickspin.prefix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OpenAiPromptBlocksTest {
  static long[] of(String json) {
    return OpenAiPromptBlocks.of(json.getBytes(StandardCharsets.UTF_8), 4);
  }

  @Test
  void aNextTurnStartsWithThePreviousTurnsBlocks() {
    long[] turn1 = of("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief and kind please\"},"
        + "{\"role\":\"user\",\"content\":\"why is the sky blue today\"}]}");
    long[] turn2 = of("{\"messages\":[{\"role\":\"system\",\"content\":\"be brief and kind please\"},"
        + "{\"content\":\"why is the sky blue today\",\"role\":\"user\"},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Rayleigh scattering of sunlight\"}]},"
        + "{\"role\":\"user\",\"content\":\"and at sunset\"}],\"model\":\"m\"}");
    // "be brief and kind | please why is the | sky blue today": the contents' words, as the sim counts tokens
    assertEquals(3, turn1.length);
    assertArrayEquals(java.util.Arrays.copyOf(turn1, 2), java.util.Arrays.copyOf(turn2, 2));
    assertNotEquals(turn1[2], turn2[2], "turn 1's partial block goes on differently in turn 2");
    assertArrayEquals(PromptBlocks.ofWords("be brief and kind please why is the sky blue today", 4), turn1);
  }

  @Test
  void textPromptsAndBodiesWithoutAPrompt() {
    assertArrayEquals(PromptBlocks.ofWords("one two three four five", 4), of("{\"prompt\":\"one two three four five\"}"));
    assertArrayEquals(PromptBlocks.ofWords("one two", 4), of("{\"prompt\":[\"one two\"]}"));
    assertEquals(0, of("{\"prompt\":[1,2,3]}").length);
    assertEquals(0, of("{\"prompt\":[\"a\",\"b\"]}").length);
    assertEquals(0, of("{\"model\":\"m\"}").length);
    assertEquals(0, of("not json").length);
    assertEquals(0, of("{\"messages\":[{\"role\":\"user\",\"content\":\"unterminated").length);
  }
}
