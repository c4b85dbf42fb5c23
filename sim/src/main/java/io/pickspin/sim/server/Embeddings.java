package io.pickspin.sim.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.pickspin.api.ApiError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.pekko.util.ByteString;

/**
 * A validated OpenAI embeddings request and its deterministic answer. Each input's vector is the normalised sum of one
 * pseudo-random vector per word (per token id for token input), seeded by the word: the same input always gets the
 * same vector, and inputs that share words point the same way, so a test can check similarity without a model.
 * prompt_tokens counts words (token ids), as the sim's completions do.
 *
 * @param inputs the texts to embed; a token id input is its ids written as words ("#17")
 * @param promptTokens words and token ids over every input
 * @param dimensions the vectors' length: the request's {@code dimensions}, else {@link #DEFAULT_DIMENSIONS}
 * @param base64 {@code encoding_format: "base64"}: each vector as little-endian float32 bytes in base64
 */
record Embeddings(String model, List<String> inputs, int promptTokens, int dimensions, boolean base64) {
  static final int DEFAULT_DIMENSIONS = 64;
  static final int MAX_DIMENSIONS = 4096;

  static Embeddings parse(ByteString body) {
    JsonNode root = SimRequest.jsonObject(body);
    JsonNode model = SimRequest.requiredModel(root);
    List<String> inputs = inputs(root.get("input"));
    int tokens = 0;
    for (String input : inputs) tokens += SimRequest.countWords(input);
    int dimensions = DEFAULT_DIMENSIONS;
    JsonNode d = root.get("dimensions");
    if (d != null && !d.isNull()) {
      if (!d.isIntegralNumber() || d.asLong() < 1 || d.asLong() > MAX_DIMENSIONS) {
        throw ApiError.badRequest("dimensions", "dimensions must be an integer in 1.." + MAX_DIMENSIONS + ".");
      }
      dimensions = d.intValue();
    }
    JsonNode format = root.get("encoding_format");
    String f = format == null || format.isNull() ? "float" : format.asText();
    if (!f.equals("float") && !f.equals("base64")) {
      throw ApiError.badRequest("encoding_format", "encoding_format must be \"float\" or \"base64\".");
    }
    return new Embeddings(model.textValue(), inputs, tokens, dimensions, f.equals("base64"));
  }

  /** A string, an array of strings, an array of token ids, or an array of token id arrays; nothing empty. */
  private static List<String> inputs(JsonNode input) {
    String shape = "input must be a non-empty string, or a non-empty array of strings, of token ids or of token id arrays.";
    if (input == null || input.isNull()) throw ApiError.badRequest("input", "You must provide an input. " + shape);
    List<String> out = new ArrayList<>();
    if (input.isTextual()) {
      out.add(input.textValue());
    } else if (input.isArray() && !input.isEmpty() && input.get(0).isIntegralNumber()) {
      out.add(tokenWords(input, shape));
    } else if (input.isArray() && !input.isEmpty()) {
      for (JsonNode item : input) {
        if (item.isTextual()) out.add(item.textValue());
        else if (item.isArray() && !item.isEmpty()) out.add(tokenWords(item, shape));
        else throw ApiError.badRequest("input", shape);
      }
    } else {
      throw ApiError.badRequest("input", shape);
    }
    for (String s : out) if (s.isBlank()) throw ApiError.badRequest("input", shape);
    return out;
  }

  private static String tokenWords(JsonNode ids, String shape) {
    StringBuilder words = new StringBuilder();
    for (JsonNode id : ids) {
      if (!id.isIntegralNumber()) throw ApiError.badRequest("input", shape);
      words.append(words.isEmpty() ? "#" : " #").append(id.asLong());
    }
    return words.toString();
  }

  /** The vector of one input: unit length, the same for the same words in any case and spacing. */
  float[] vector(String input) {
    double[] sum = new double[dimensions];
    for (String word : input.toLowerCase(Locale.ROOT).trim().split("\\s+")) {
      SplittableRandom r = new SplittableRandom(word.hashCode() * 0x9E3779B97F4A7C15L);
      for (int i = 0; i < dimensions; i++) sum[i] += r.nextDouble(-1, 1);
    }
    double norm = 0;
    for (double x : sum) norm += x * x;
    norm = Math.sqrt(norm);
    float[] v = new float[dimensions];
    for (int i = 0; i < dimensions; i++) v[i] = (float) (norm == 0 ? 0 : sum[i] / norm);
    return v;
  }

  /** OpenAI's response: a list of embeddings in input order, the model, and the usage. */
  ByteString body(String quotedModel) {
    StringBuilder out = new StringBuilder(64 + inputs.size() * (dimensions * 12 + 48)).append("{\"object\":\"list\",\"data\":[");
    for (int i = 0; i < inputs.size(); i++) {
      if (i > 0) out.append(',');
      out.append("{\"object\":\"embedding\",\"index\":").append(i).append(",\"embedding\":");
      float[] v = vector(inputs.get(i));
      if (base64) {
        ByteBuffer bytes = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) bytes.putFloat(x);
        out.append('"').append(Base64.getEncoder().encodeToString(bytes.array())).append('"');
      } else {
        out.append('[');
        for (int k = 0; k < v.length; k++) out.append(k > 0 ? "," : "").append(v[k]);
        out.append(']');
      }
      out.append('}');
    }
    out.append("],\"model\":").append(quotedModel).append(",\"usage\":{\"prompt_tokens\":").append(promptTokens)
        .append(",\"total_tokens\":").append(promptTokens).append("}}");
    return ByteString.fromString(out.toString());
  }
}
