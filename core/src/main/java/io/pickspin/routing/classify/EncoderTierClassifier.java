package io.pickspin.routing.classify;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.TranslatorContext;
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
 * The complexity classifier built on a pretrained sentence encoder: the prompt's embedding ({@link SentenceEncoder},
 * the quantised all-MiniLM-L6-v2 through DJL's OnnxRuntime engine, cut to the window the head was trained with), then a
 * small head trained with DJL ({@code bin/train-classifier --arch sentence-encoder}) and run by DJL's PyTorch engine:
 * {@code Linear(384 -> H) -> ReLU -> Linear(H -> 3)}, or a plain {@code Linear(384 -> 3)} (softmax regression) when
 * the metadata says {@code hidden = 0}. The output is P(LOW), P(MEDIUM), P(HIGH); the tier is the most probable one
 * and the complexity score ({@link #complexity(float[])}) is {@code P(HIGH) + 0.5 P(MEDIUM)}, in [0,1].
 *
 * <p>The artefacts are a directory (on the classpath: {@value #DEFAULT_RESOURCE}) holding {@link EncoderHeadMetadata#FILE}
 * and the head's DJL parameters file. Nothing is downloaded: it loads with {@code -Dai.djl.offline=true}.
 *
 * <p><b>Threads.</b> Thread-safe. The encoder is (see {@link SentenceEncoder}); the head runs through a pool of DJL
 * {@link Predictor}s, one per concurrently running call, each call's arrays living in the predictor's per-call
 * manager. {@link #close()} waits for running calls; later calls throw {@link IllegalStateException}.
 */
public final class EncoderTierClassifier implements ComplexityClassifier {
  public static final String DEFAULT_RESOURCE = "pickspin/classifier-encoder";

  private final EncoderHeadMetadata metadata;
  private final SentenceEncoder encoder;
  private final boolean ownsEncoder;
  private final Model head;
  private final Deque<Predictor<float[], float[]>> idle = new ConcurrentLinkedDeque<>();
  private final Set<Predictor<float[], float[]>> all = ConcurrentHashMap.newKeySet();
  private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed; // guarded by lifecycle's write lock; read under its read lock

  private EncoderTierClassifier(EncoderHeadMetadata metadata, SentenceEncoder encoder, boolean ownsEncoder, Model head) {
    this.metadata = metadata;
    this.encoder = encoder;
    this.ownsEncoder = ownsEncoder;
    this.head = head;
  }

  /** The head's network: {@code Linear(hidden) -> ReLU -> Linear(3)}, or {@code Linear(3)} for hidden = 0. */
  public static Block newHead(int hidden) {
    SequentialBlock b = new SequentialBlock();
    if (hidden > 0) b.add(Linear.builder().setUnits(hidden).build()).add(Activation.reluBlock());
    b.add(Linear.builder().setUnits(3).build());
    return b;
  }

  /** The shipped classifier ({@value #DEFAULT_RESOURCE} on the classpath), with its own encoder. */
  public static EncoderTierClassifier load() throws IOException {
    return fromClasspath(DEFAULT_RESOURCE);
  }

  /** Loads the metadata and head from a classpath directory and builds the encoder it names. */
  public static EncoderTierClassifier fromClasspath(String resourceDir) throws IOException {
    ClassLoader cl = EncoderTierClassifier.class.getClassLoader();
    EncoderHeadMetadata meta;
    try (InputStream in = cl.getResourceAsStream(resourceDir + "/" + EncoderHeadMetadata.FILE)) {
      if (in == null) throw new IOException("no encoder classifier on the classpath at " + resourceDir);
      meta = EncoderHeadMetadata.read(in);
    }
    Path tmp = Files.createTempDirectory("pickspin-encoder-head");
    Path params = tmp.resolve(meta.paramsFile());
    try {
      try (InputStream in = cl.getResourceAsStream(resourceDir + "/" + meta.paramsFile())) {
        if (in == null) throw new IOException("the encoder classifier is incomplete: missing " + resourceDir + "/" + meta.paramsFile());
        Files.copy(in, params);
      }
      return build(meta, tmp, null);
    } finally {
      Files.deleteIfExists(params); // DJL has read the parameters into native arrays
      Files.deleteIfExists(tmp);
    }
  }

  /** Loads the metadata and head from a directory and builds the encoder it names. */
  public static EncoderTierClassifier fromDirectory(Path dir) throws IOException {
    return fromDirectory(dir, null);
  }

  /**
   * Loads the metadata and head from a directory; with a non-null encoder (which must be the one the metadata names,
   * with its window) the classifier uses it and does not close it.
   */
  public static EncoderTierClassifier fromDirectory(Path dir, SentenceEncoder encoder) throws IOException {
    EncoderHeadMetadata meta;
    try (InputStream in = Files.newInputStream(dir.resolve(EncoderHeadMetadata.FILE))) {
      meta = EncoderHeadMetadata.read(in);
    }
    return build(meta, dir, encoder);
  }

  private static EncoderTierClassifier build(EncoderHeadMetadata meta, Path dir, SentenceEncoder shared) throws IOException {
    if (shared != null && (!shared.spec().name().equals(meta.encoder()) || shared.maxTokens() != meta.window()))
      throw new IllegalArgumentException("the head expects " + meta.encoder() + " with a " + meta.window()
          + "-token window, not " + shared.spec().name() + " with " + shared.maxTokens());
    Model model = Model.newInstance(meta.paramsName(), Device.cpu(), "PyTorch");
    SentenceEncoder encoder = null;
    try {
      model.setBlock(newHead(meta.hidden()));
      model.load(dir, meta.paramsName(), Map.of("epoch", String.valueOf(meta.paramsEpoch())));
      checkShape(model.getBlock(), meta);
      encoder = shared != null ? shared : SentenceEncoder.builder().spec(spec(meta.encoder())).maxTokens(meta.window()).build();
      if (encoder.dimension() != meta.dimension())
        throw new IOException(meta.encoder() + " gives " + encoder.dimension() + "-d embeddings, the head reads " + meta.dimension());
      EncoderTierClassifier c = new EncoderTierClassifier(meta, encoder, shared == null, model);
      c.headProbabilities(new float[meta.dimension()]); // fails now, not on the first request, if the head is broken
      return c;
    } catch (MalformedModelException | RuntimeException | IOException e) {
      model.close();
      if (shared == null && encoder != null) encoder.close();
      if (e instanceof IOException io) throw io;
      throw new IOException("cannot load the encoder classifier's head in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** DJL takes the layer sizes from the parameters file: they must be the ones the metadata describes. */
  private static void checkShape(Block head, EncoderHeadMetadata meta) throws IOException {
    List<Shape> shapes = new java.util.ArrayList<>();
    for (var p : head.getParameters()) shapes.add(p.getValue().getArray().getShape());
    List<Shape> expected = meta.hidden() > 0
        ? List.of(new Shape(meta.hidden(), meta.dimension()), new Shape(meta.hidden()), new Shape(3, meta.hidden()), new Shape(3))
        : List.of(new Shape(3, meta.dimension()), new Shape(3));
    if (!shapes.equals(expected))
      throw new IOException("the head's parameters have shapes " + shapes + ", the metadata describes " + expected);
  }

  /** The encoder spec a metadata file names: one of those {@link SentenceEncoder.Spec} declares. */
  public static SentenceEncoder.Spec spec(String name) {
    for (SentenceEncoder.Spec s : List.of(SentenceEncoder.Spec.MINILM_L6_V2_Q, SentenceEncoder.Spec.MINILM_L6_V2))
      if (s.name().equals(name)) return s;
    throw new IllegalArgumentException("unknown sentence encoder '" + name + "'");
  }

  public EncoderHeadMetadata metadata() {
    return metadata;
  }

  public SentenceEncoder encoder() {
    return encoder;
  }

  @Override
  public Classification classify(String prompt) {
    return Classification.fromProbabilities(probabilities(prompt), "classifier");
  }

  /** P(LOW), P(MEDIUM), P(HIGH) of a prompt. */
  public float[] probabilities(String prompt) {
    return headProbabilities(encoder.embed(Objects.requireNonNull(prompt, "prompt")));
  }

  /** The complexity score of a prompt in [0,1]: {@code P(HIGH) + 0.5 P(MEDIUM)}. */
  public double complexityOf(String prompt) {
    return complexity(probabilities(prompt));
  }

  /** {@code P(HIGH) + 0.5 P(MEDIUM)}, clamped to [0,1]: 0 for a sure LOW, 1 for a sure HIGH. */
  public static double complexity(float[] p) {
    return Math.max(0, Math.min(1, p[2] + 0.5 * p[1]));
  }

  /** The head's probabilities for an embedding made by {@link #encoder()} (training tools evaluate cached ones). */
  public float[] headProbabilities(float[] embedding) {
    if (embedding.length != metadata.dimension())
      throw new IllegalArgumentException("embedding has " + embedding.length + " values, the head reads " + metadata.dimension());
    lifecycle.readLock().lock();
    try {
      if (closed) throw new IllegalStateException("the encoder classifier is closed");
      Predictor<float[], float[]> p = idle.poll();
      if (p == null) {
        p = head.newPredictor(new HeadTranslator());
        all.add(p);
      }
      try {
        return p.predict(embedding);
      } catch (TranslateException e) {
        throw new IllegalStateException("encoder classifier head failed: " + e.getMessage(), e);
      } finally {
        idle.push(p);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Predictors created so far: the largest number of calls that ran at once. */
  int predictors() {
    return all.size();
  }

  @Override
  public String name() {
    return "classifier";
  }

  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      for (Predictor<float[], float[]> p : all) p.close();
      all.clear();
      idle.clear();
      head.close();
      if (ownsEncoder) encoder.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /** One embedding in, softmax probabilities out; the batch dimension is added and removed here. */
  private static final class HeadTranslator implements NoBatchifyTranslator<float[], float[]> {
    @Override
    public NDList processInput(TranslatorContext ctx, float[] embedding) {
      return new NDList(ctx.getNDManager().create(embedding, new Shape(1, embedding.length)));
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList out) {
      return out.singletonOrThrow().softmax(1).toFloatArray();
    }
  }
}
