package io.pickspin.prefix;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The {@link PromptBlocks} of an OpenAI completion request body, as the gateway and the sim server both compute them:
 * a chat's messages' contents in order (a string, or the text parts; roles are not tokens the sim counts), or a text
 * completion's prompt (a string, or an array of one string). One streaming pass, no tree; a body without such a prompt,
 * or that does not parse, has no blocks (prefixes are an optimisation: nothing fails for lack of them).
 */
public final class OpenAiPromptBlocks {
  private static final JsonFactory JSON = new JsonFactory();
  private static final long[] NONE = new long[0];

  private OpenAiPromptBlocks() {}

  public static long[] of(byte[] body, int blockTokens) {
    PromptBlocks.Hasher h = new PromptBlocks.Hasher(blockTokens);
    boolean found = false;
    try (JsonParser p = JSON.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return NONE;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (!found && field.equals("messages") && value == JsonToken.START_ARRAY) {
          found = messages(p, h);
        } else if (!found && field.equals("prompt") && value == JsonToken.VALUE_STRING) {
          h.add(p.getText());
          found = true;
        } else if (!found && field.equals("prompt") && value == JsonToken.START_ARRAY) {
          found = textArray(p, h);
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException | RuntimeException e) {
      return NONE;
    }
    return found ? h.blocks() : NONE;
  }

  private static boolean messages(JsonParser p, PromptBlocks.Hasher h) throws IOException {
    while (p.nextToken() == JsonToken.START_OBJECT) {
      StringBuilder content = new StringBuilder();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("content") && value == JsonToken.VALUE_STRING) {
          content.append(p.getText());
        } else if (field.equals("content") && value == JsonToken.START_ARRAY) {
          parts(p, content);
        } else {
          p.skipChildren();
        }
      }
      h.add(content);
    }
    return true;
  }

  private static void parts(JsonParser p, StringBuilder content) throws IOException {
    while (p.nextToken() != JsonToken.END_ARRAY) {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        p.skipChildren();
        continue;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("text") && value == JsonToken.VALUE_STRING) content.append(p.getText()).append('\n');
        else p.skipChildren();
      }
    }
  }

  /** One string in an array (token ids or several prompts have no blocks). */
  private static boolean textArray(JsonParser p, PromptBlocks.Hasher h) throws IOException {
    String only = null;
    int items = 0;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      items++;
      if (p.currentToken() == JsonToken.VALUE_STRING) only = p.getText();
      p.skipChildren();
    }
    if (items != 1 || only == null) return false;
    h.add(only);
    return true;
  }
}
