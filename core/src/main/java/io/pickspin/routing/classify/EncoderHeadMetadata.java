package io.pickspin.routing.classify;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * encoder-classifier.json: which sentence encoder the head reads, how wide its window is, the head's shape, and what
 * the training run did and measured (label rule, seed, validation metrics, the held-out test rule). Written by
 * {@code bin/train-classifier --arch sentence-encoder} next to the head's DJL parameters file.
 *
 * @param format file format version ({@value #FORMAT})
 * @param encoder the {@link SentenceEncoder.Spec#name()} the head was trained on (the embeddings it expects)
 * @param window the encoder window in tokens, {@code [CLS]} and {@code [SEP]} included
 * @param dimension the embedding length (the head's input width)
 * @param hidden hidden ReLU units of the head; 0 = a plain linear layer (softmax regression)
 * @param classes the head's outputs, in order ({@code LOW, MEDIUM, HIGH})
 * @param paramsName prefix of the DJL .params file
 * @param paramsEpoch epoch number in the .params file name
 * @param complexity how the complexity score is made from the probabilities (documentation)
 * @param training how it was trained and what it measured; free-form, for people and tests
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EncoderHeadMetadata(
    int format,
    String encoder,
    int window,
    int dimension,
    int hidden,
    List<String> classes,
    String paramsName,
    int paramsEpoch,
    String complexity,
    Map<String, Object> training) {

  public static final String FILE = "encoder-classifier.json";
  public static final int FORMAT = 1;
  public static final String COMPLEXITY = "P(HIGH) + 0.5 * P(MEDIUM)";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public EncoderHeadMetadata {
    Objects.requireNonNull(encoder, "encoder");
    Objects.requireNonNull(paramsName, "paramsName");
    if (classes == null) classes = List.of("LOW", "MEDIUM", "HIGH");
    if (!classes.equals(List.of("LOW", "MEDIUM", "HIGH")))
      throw new IllegalArgumentException("the head's classes must be [LOW, MEDIUM, HIGH]: " + classes);
    if (window < 2 || window > 512) throw new IllegalArgumentException("window must be 2..512: " + window);
    if (dimension < 1) throw new IllegalArgumentException("dimension must be positive: " + dimension);
    if (hidden < 0) throw new IllegalArgumentException("hidden must be >= 0: " + hidden);
    if (complexity == null) complexity = COMPLEXITY;
    training = training == null ? Map.of() : training;
  }

  /** The parameters file DJL writes and reads: {@code <paramsName>-<epoch, 4 digits>.params}. */
  public String paramsFile() {
    return String.format(Locale.ROOT, "%s-%04d.params", paramsName, paramsEpoch);
  }

  public EncoderHeadMetadata withTraining(Map<String, Object> t) {
    return new EncoderHeadMetadata(format, encoder, window, dimension, hidden, classes, paramsName, paramsEpoch,
        complexity, t);
  }

  public static EncoderHeadMetadata read(InputStream in) throws IOException {
    EncoderHeadMetadata m = JSON.readValue(in, EncoderHeadMetadata.class);
    if (m.format() != FORMAT) throw new IOException("unsupported " + FILE + " format " + m.format() + " (expected " + FORMAT + ")");
    return m;
  }

  public void write(Path file) throws IOException {
    JSON.writeValue(file.toFile(), this);
  }
}
