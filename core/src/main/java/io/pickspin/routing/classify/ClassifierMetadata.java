package io.pickspin.routing.classify;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * classifier.json: how to rebuild the built-in network and its input encoding, plus what the training run measured.
 * Written by the training command next to the weights and tokenizer.json.
 *
 * @param format file format version
 * @param arch {@link TierNet#BAG} or {@link TierNet#ENCODER}
 * @param vocabSize word-piece vocabulary size of tokenizer.json
 * @param bigramBuckets hashed bigram ids after the vocabulary (0 = none)
 * @param maxTokens word-piece tokens read from the head of a prompt
 * @param maxChars characters of the prompt given to the tokenizer
 * @param embedding embedding width
 * @param hidden hidden units of the head
 * @param layers encoder layers (encoder only)
 * @param heads attention heads (encoder only)
 * @param paramsName prefix of the DJL .params file
 * @param paramsEpoch epoch number in the .params file name
 * @param training how the model was trained and what it measured (label rule, seed, counts, held-out results)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ClassifierMetadata(
    int format,
    String arch,
    int vocabSize,
    int bigramBuckets,
    int maxTokens,
    int maxChars,
    int embedding,
    int hidden,
    int layers,
    int heads,
    String paramsName,
    int paramsEpoch,
    Map<String, Object> training) {

  public static final String FILE = "classifier.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public int dictionarySize() {
    return vocabSize + bigramBuckets;
  }

  public String paramsFile() {
    return String.format(java.util.Locale.ROOT, "%s-%04d.params", paramsName, paramsEpoch);
  }

  public ClassifierMetadata withTraining(Map<String, Object> t) {
    return new ClassifierMetadata(
        format, arch, vocabSize, bigramBuckets, maxTokens, maxChars, embedding, hidden, layers, heads, paramsName,
        paramsEpoch, t);
  }

  public static ClassifierMetadata read(InputStream in) throws IOException {
    return JSON.readValue(in, ClassifierMetadata.class);
  }

  public void write(Path file) throws IOException {
    JSON.writeValue(file.toFile(), this);
  }
}
