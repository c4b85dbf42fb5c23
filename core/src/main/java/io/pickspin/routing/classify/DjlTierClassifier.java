package io.pickspin.routing.classify;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The built-in learned complexity classifier: {@link TierNet} weights trained with DJL, the project's tokenizer.json
 * and classifier.json. The product loads the copy shipped on the classpath at start ({@link #fromClasspath}); the
 * training command writes it ({@code bin/train-classifier}).
 *
 * <p>The bag architecture (the one shipped) is evaluated in plain Java ({@link BagTierNet}) on the weights DJL loaded:
 * a request is on the gateway's hot path, and a PyTorch forward pass per prompt cost about 0.5 ms of CPU plus native
 * arrays to free. The encoder architecture runs DJL's PyTorch engine on the CPU. Thread-safe: the plain path shares
 * only immutable weights; the DJL path runs the block on read-only parameters inside a per-call NDManager scope.
 */
public final class DjlTierClassifier implements ComplexityClassifier {
  public static final String DEFAULT_RESOURCE = "pickspin/classifier";
  public static final String TOKENIZER_FILE = "tokenizer.json";

  private final Model model;
  private final Block block;
  private final TierFeatures features;
  private final ClassifierMetadata metadata;
  private final boolean trimPadding;
  private final Path tempDir;
  private final BagTierNet plain; // null for the encoder

  private DjlTierClassifier(Model model, TierFeatures features, ClassifierMetadata metadata, Path tempDir) {
    this.model = model;
    this.block = model.getBlock();
    this.features = features;
    this.metadata = metadata;
    // a bag's mean over the real ids equals its mean over the padded input; BertBlock needs the full padded length
    this.trimPadding = TierNet.BAG.equals(metadata.arch());
    this.tempDir = tempDir;
    this.plain = trimPadding ? ((TierNet) block).toPlainJava() : null;
  }

  /** Loads classifier.json, tokenizer.json and the weights from a directory. */
  public static DjlTierClassifier fromDirectory(Path dir) throws IOException {
    return load(dir, null);
  }

  /** Loads the artefacts shipped under a classpath directory (DJL needs files: they are copied to a temp dir). */
  public static DjlTierClassifier fromClasspath(String resourceDir) throws IOException {
    ClassLoader cl = DjlTierClassifier.class.getClassLoader();
    ClassifierMetadata meta;
    try (InputStream in = cl.getResourceAsStream(resourceDir + "/" + ClassifierMetadata.FILE)) {
      if (in == null) throw new IOException("no built-in classifier on the classpath at " + resourceDir);
      meta = ClassifierMetadata.read(in);
    }
    Path tmp = Files.createTempDirectory("pickspin-classifier");
    for (String f : List.of(ClassifierMetadata.FILE, TOKENIZER_FILE, meta.paramsFile())) {
      try (InputStream in = cl.getResourceAsStream(resourceDir + "/" + f)) {
        if (in == null) throw new IOException("built-in classifier is incomplete: missing " + resourceDir + "/" + f);
        Files.copy(in, tmp.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return load(tmp, tmp);
  }

  private static DjlTierClassifier load(Path dir, Path tempDir) throws IOException {
    ClassifierMetadata meta;
    try (InputStream in = Files.newInputStream(dir.resolve(ClassifierMetadata.FILE))) {
      meta = ClassifierMetadata.read(in);
    }
    TierFeatures features =
        TierFeatures.load(
            dir.resolve(TOKENIZER_FILE),
            meta.vocabSize(),
            meta.bigramBuckets(),
            meta.maxTokens(),
            meta.maxChars());
    Model model = Model.newInstance(meta.paramsName(), Device.cpu(), "PyTorch");
    try {
      model.setBlock(new TierNet(meta));
      model.load(dir, meta.paramsName(), Map.of("epoch", String.valueOf(meta.paramsEpoch())));
    } catch (MalformedModelException | RuntimeException e) {
      model.close();
      features.close();
      throw new IOException("cannot load the classifier weights in " + dir + ": " + e.getMessage(), e);
    }
    return new DjlTierClassifier(model, features, meta, tempDir);
  }

  public ClassifierMetadata metadata() {
    return metadata;
  }

  public TierFeatures features() {
    return features;
  }

  @Override
  public Classification classify(String prompt) {
    float[] p = plain != null ? plainProbabilities(prompt) : probabilities(List.of(prompt))[0];
    return Classification.fromProbabilities(p, "classifier");
  }

  /** P(LOW), P(MEDIUM), P(HIGH) for each prompt. */
  public float[][] probabilities(List<String> prompts) {
    if (plain != null) {
      float[][] out = new float[prompts.size()][];
      for (int i = 0; i < out.length; i++) out[i] = plainProbabilities(prompts.get(i));
      return out;
    }
    return djlProbabilities(prompts);
  }

  /** The same probabilities from DJL's forward pass of the block, in one batch (what training evaluates). */
  public float[][] djlProbabilities(List<String> prompts) {
    if (trimPadding) return forward(prompts);
    synchronized (this) { // BertBlock's IdEmbedding re-attaches shared weights per call: not safe concurrently
      return forward(prompts);
    }
  }

  /** Native arrays the model's NDManager holds (its parameters, plus anything a call failed to free). */
  public int nativeArraysHeld() {
    return ((ai.djl.ndarray.BaseNDManager) model.getNDManager()).getManagedArrays().size();
  }

  private float[] plainProbabilities(String prompt) {
    long[] ids = features.ids(prompt); // a mean over the real ids needs no padding or mask
    return plain.probabilities(ids, 0, ids.length);
  }

  private float[][] forward(List<String> prompts) {
    int width = features.length();
    long[] ids = new long[prompts.size() * width];
    float[] mask = new float[ids.length];
    int used = 1;
    for (int i = 0; i < prompts.size(); i++) used = Math.max(used, features.encode(prompts.get(i), ids, mask, i * width));
    int cols = width;
    if (trimPadding && used < width) {
      cols = used;
      long[] tIds = new long[prompts.size() * cols];
      float[] tMask = new float[tIds.length];
      for (int i = 0; i < prompts.size(); i++) {
        System.arraycopy(ids, i * width, tIds, i * cols, cols);
        System.arraycopy(mask, i * width, tMask, i * cols, cols);
      }
      ids = tIds;
      mask = tMask;
    }
    try (NDManager m = model.getNDManager().newSubManager()) {
      Shape shape = new Shape(prompts.size(), cols);
      NDList in = new NDList(m.create(ids, shape), m.create(mask, shape));
      NDArray logits = block.forward(new ParameterStore(m, false), in, false).singletonOrThrow();
      float[] flat = logits.softmax(1).toFloatArray();
      float[][] out = new float[prompts.size()][3];
      for (int i = 0; i < out.length; i++) System.arraycopy(flat, i * 3, out[i], 0, 3);
      return out;
    }
  }

  @Override
  public String name() {
    return "classifier";
  }

  @Override
  public void close() {
    model.close();
    features.close();
    if (tempDir != null) {
      try (Stream<Path> s = Files.walk(tempDir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
