package io.pickspin.routing.classify;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.typesafe.config.Config;
import io.pickspin.model.Tier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A complexity classifier the operator supplies: a TorchScript (.pt, DJL PyTorch engine) or ONNX (.onnx, DJL
 * OnnxRuntime engine) model plus its HuggingFace tokenizer.json. The model takes int64 token ids (batch, length) and,
 * optionally, an int64 attention mask, and returns one score per class; {@code labels} says which tier each class is.
 * Thread-safe: each call runs the model's block in its own NDManager scope (ONNX Runtime sessions and TorchScript
 * modules both allow concurrent inference).
 */
public final class OperatorModelClassifier implements ComplexityClassifier {
  /** How to read the operator's model. */
  public record Settings(
      Path model, String engine, Path tokenizer, int maxLength, boolean padToMaxLength, List<String> inputNames,
      List<Tier> labels, boolean outputIsLogits) {
    public Settings {
      if (inputNames.isEmpty() || inputNames.size() > 2)
        throw new IllegalArgumentException("pickspin.routing.classifier.operator.input-names must list 1 or 2 inputs (ids, mask)");
      if (labels.isEmpty()) throw new IllegalArgumentException("pickspin.routing.classifier.operator.labels are required");
      if (maxLength < 1) throw new IllegalArgumentException("pickspin.routing.classifier.operator.max-length must be >= 1");
    }

    /** Reads the {@code pickspin.routing.classifier.operator} block, resolving a model directory to its one model. */
    public static Settings fromConfig(Config c) throws IOException {
      String p = c.getString("path");
      if (p.isBlank()) throw new IllegalArgumentException("pickspin.routing.classifier.operator.path is required for kind = operator");
      Path model = resolveModelFile(Path.of(p));
      String engine = c.getString("engine");
      if (engine.isBlank()) engine = model.getFileName().toString().endsWith(".onnx") ? "OnnxRuntime" : "PyTorch";
      Path tok = c.getString("tokenizer").isBlank() ? model.resolveSibling("tokenizer.json") : Path.of(c.getString("tokenizer"));
      String out = c.getString("output").toLowerCase(Locale.ROOT);
      if (!out.equals("logits") && !out.equals("probabilities"))
        throw new IllegalArgumentException("pickspin.routing.classifier.operator.output must be logits or probabilities, not " + out);
      return new Settings(model, engine, tok, c.getInt("max-length"), c.getBoolean("pad-to-max-length"),
          c.getStringList("input-names"), c.getStringList("labels").stream().map(Tier::parse).toList(),
          out.equals("logits"));
    }
  }

  private final Settings settings;
  private final Model model;
  private final HuggingFaceTokenizer tokenizer;
  private final String name;

  private OperatorModelClassifier(Settings s, Model model, HuggingFaceTokenizer tokenizer) {
    this.settings = s;
    this.model = model;
    this.tokenizer = tokenizer;
    this.name = "operator:" + s.model().getFileName();
  }

  public static OperatorModelClassifier load(Settings s) throws IOException {
    if (!Files.isRegularFile(s.model())) throw new IOException("operator classifier model not found: " + s.model());
    if (!Files.isRegularFile(s.tokenizer())) throw new IOException("operator classifier tokenizer not found: " + s.tokenizer());
    HuggingFaceTokenizer tok =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(s.tokenizer())
            .optMaxLength(s.maxLength())
            .optTruncation(true)
            .optPadding(false)
            .build();
    String file = s.model().getFileName().toString();
    String modelName = file.contains(".") ? file.substring(0, file.lastIndexOf('.')) : file;
    Model m = Model.newInstance(modelName, Device.cpu(), s.engine());
    try {
      Map<String, String> options =
          "OnnxRuntime".equals(s.engine()) ? Map.of("interOpNumThreads", "1", "intraOpNumThreads", "1") : Map.of();
      m.load(s.model().getParent(), modelName, options);
    } catch (MalformedModelException | RuntimeException e) {
      m.close();
      tok.close();
      throw new IOException("cannot load the operator classifier " + s.model() + " with engine " + s.engine() + ": " + e.getMessage(), e);
    }
    return new OperatorModelClassifier(s, m, tok);
  }

  private static Path resolveModelFile(Path p) throws IOException {
    if (!Files.isDirectory(p)) return p;
    try (Stream<Path> s = Files.list(p)) {
      List<Path> models =
          s.filter(f -> f.toString().endsWith(".onnx") || f.toString().endsWith(".pt")).sorted().toList();
      if (models.size() != 1)
        throw new IOException("expected exactly one .onnx or .pt model in " + p + ", found " + models.size());
      return models.get(0);
    }
  }

  @Override
  public Classification classify(String prompt) {
    Encoding e = tokenizer.encode(prompt == null ? "" : prompt);
    long[] ids = e.getIds();
    long[] mask = e.getAttentionMask();
    int n = settings.padToMaxLength() ? settings.maxLength() : Math.max(1, ids.length);
    long[] pid = new long[n];
    long[] pmask = new long[n];
    System.arraycopy(ids, 0, pid, 0, Math.min(n, ids.length));
    System.arraycopy(mask, 0, pmask, 0, Math.min(n, mask.length));
    float[] scores;
    try (NDManager m = model.getNDManager().newSubManager()) {
      NDArray idArr = m.create(pid, new Shape(1, n));
      idArr.setName(settings.inputNames().get(0));
      NDList in = new NDList(idArr);
      if (settings.inputNames().size() > 1) {
        NDArray maskArr = m.create(pmask, new Shape(1, n));
        maskArr.setName(settings.inputNames().get(1));
        in.add(maskArr);
      }
      scores = model.getBlock().forward(new ParameterStore(m, false), in, false).get(0).toFloatArray();
    }
    if (scores.length != settings.labels().size())
      throw new IllegalStateException(
          name + " returned " + scores.length + " scores but " + settings.labels().size() + " labels are configured");
    if (settings.outputIsLogits()) softmax(scores);
    float[] p = new float[3];
    for (int i = 0; i < scores.length; i++) p[settings.labels().get(i).ordinal()] += scores[i];
    return Classification.fromProbabilities(p, name);
  }

  public static void softmax(float[] x) {
    float max = Float.NEGATIVE_INFINITY;
    for (float v : x) max = Math.max(max, v);
    double sum = 0;
    for (int i = 0; i < x.length; i++) sum += (x[i] = (float) Math.exp(x[i] - max));
    for (int i = 0; i < x.length; i++) x[i] /= (float) sum;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
  }
}
