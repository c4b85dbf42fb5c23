package io.pickspin.lab.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.pickspin.lab.common.Cli;
import io.pickspin.model.Tier;
import io.pickspin.routing.classify.ClassifierMetadata;
import io.pickspin.routing.classify.DjlTierClassifier;
import io.pickspin.routing.classify.TierFeatures;
import io.pickspin.routing.classify.TierNet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Trains the built-in complexity classifier: builds the LOW/MEDIUM/HIGH data set from ../shared/data
 * ({@link PromptCorpus}), splits it 80/10/10 (train / validation / held-out test, seeded and stratified), builds the
 * tokenizer from the training prompts, trains {@link TierNet} with DJL on the CPU, keeps the epoch with the best
 * validation accuracy, and evaluates the saved artefacts on the held-out split through the same loader the product
 * uses. Run with {@code bin/train-classifier [--arch bag|encoder] [--epochs N] [--out DIR] ...}.
 */
public final class TrainClassifier {
  public static final long DEFAULT_SEED = 42;
  public static final double TEST_FRACTION = 0.10;
  public static final double VALIDATION_FRACTION = 0.10;

  /** The command line of {@code bin/train-classifier}; architecture-dependent defaults are resolved in {@link #main}. */
  @Command(name = "bin/train-classifier", sortOptions = false, showDefaultValues = true,
      description = "Trains the built-in complexity classifier from ../shared/data and writes its artefacts.")
  static final class Options {
    @Mixin Cli.Help help;
    @Option(names = "--arch", description = "bag or encoder") String arch = TierNet.BAG;
    @Option(names = "--seed", description = "data split and training seed") long seed = DEFAULT_SEED;
    @Option(names = "--epochs", description = "default 8 (bag) or 4 (encoder)") Integer epochs;
    @Option(names = "--batch", description = "default 64 (bag) or 32 (encoder)") Integer batch;
    @Option(names = "--lr", description = "learning rate, default 0.002 (bag) or 0.0005 (encoder)") Float lr;
    @Option(names = "--threads", description = "PyTorch threads") int threads = 2;
    @Option(names = "--patience", description = "epochs without a better validation accuracy before stopping") int patience = 2;
    @Option(names = "--rule", description = "label rule: difficulty or benchmark") String rule = "difficulty";
    @Option(names = "--out", description = "artefact directory") Path out = Path.of("core/src/main/resources/pickspin/classifier");
    @Option(names = "--shared", description = "the shared directory (default ../shared)") Path shared;
    @Option(names = "--vocab", description = "word pieces at most") int vocab = 8000;
    @Option(names = "--buckets", description = "bigram buckets (bag)") int buckets = 8192;
    @Option(names = "--max-tokens", description = "default 128 (bag) or 64 (encoder)") Integer maxTokens;
    @Option(names = "--max-chars", description = "prompt characters read") int maxChars = 2000;
    @Option(names = "--embedding", description = "default 64 (bag) or 128 (encoder)") Integer embedding;
    @Option(names = "--hidden", description = "hidden width") int hidden = 64;
    @Option(names = "--layers", description = "encoder layers") int layers = 2;
    @Option(names = "--heads", description = "encoder attention heads") int heads = 4;
  }

  public static void main(String[] argv) throws Exception {
    Options a = Cli.parseOrExit(new Options(), argv);
    String arch = a.arch;
    boolean bag = TierNet.BAG.equals(arch);
    long seed = a.seed;
    int epochs = a.epochs != null ? a.epochs : bag ? 8 : 4;
    int batch = a.batch != null ? a.batch : bag ? 64 : 32;
    float lr = a.lr != null ? a.lr : bag ? 0.002f : 0.0005f;
    int threads = a.threads;
    int patience = a.patience;
    PromptCorpus.Rule rule = PromptCorpus.Rule.valueOf(a.rule.toUpperCase(Locale.ROOT));
    Path out = a.out.toAbsolutePath();
    Path shared = a.shared != null ? a.shared : PromptCorpus.sharedDir();

    ai.djl.engine.Engine.getEngine("PyTorch");
    JniUtils.setNumThreads(threads);
    long t0 = System.nanoTime();
    log("reading labelled prompts from %s (rule %s)", shared.resolve("data"), rule);
    List<LabelledPrompt> all = PromptCorpus.load(shared, rule);
    PromptCorpus.Split split = PromptCorpus.split(all, seed, TEST_FRACTION, VALIDATION_FRACTION);
    log("%d prompts: %s; train %d / validation %d / held-out test %d (seed %d)", all.size(), tierCounts(all),
        split.train().size(), split.validation().size(), split.test().size(), seed);

    int vocabWords = a.vocab;
    ClassifierMetadata meta0 =
        new ClassifierMetadata(1, arch, 0, bag ? a.buckets : 0,
            a.maxTokens != null ? a.maxTokens : bag ? 128 : 64,
            a.maxChars,
            a.embedding != null ? a.embedding : bag ? 64 : 128,
            a.hidden,
            bag ? 0 : a.layers,
            bag ? 0 : a.heads,
            "tiernet", 0, Map.of());

    Path stage = Files.createTempDirectory("pickspin-train");
    List<String> vocab =
        TokenizerBuilder.vocabulary(split.train().stream().map(LabelledPrompt::text).toList(), vocabWords, 3, 5);
    TokenizerBuilder.write(vocab, stage.resolve(DjlTierClassifier.TOKENIZER_FILE));
    ClassifierMetadata meta =
        new ClassifierMetadata(meta0.format(), arch, vocab.size(), meta0.bigramBuckets(), meta0.maxTokens(),
            meta0.maxChars(), meta0.embedding(), meta0.hidden(), meta0.layers(), meta0.heads(), meta0.paramsName(),
            meta0.paramsEpoch(), Map.of());
    log("tokenizer: %d word pieces from the training prompts; model %s", vocab.size(), describe(meta));

    try (TierFeatures features =
            TierFeatures.load(stage.resolve(DjlTierClassifier.TOKENIZER_FILE),
                meta.vocabSize(), meta.bigramBuckets(), meta.maxTokens(), meta.maxChars());
        Model model = Model.newInstance(meta.paramsName(), Device.cpu(), "PyTorch")) {
      Encoded train = encode(features, split.train());
      Encoded val = encode(features, split.validation());
      log("encoded %d training and %d validation prompts into %d ids each (%.1f s)", train.n, val.n, train.width,
          (System.nanoTime() - t0) / 1e9);

      model.setBlock(new TierNet(meta));
      DefaultTrainingConfig cfg =
          new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
              .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(lr)).build());
      double bestVal = -1;
      int bestEpoch = 0;
      List<Map<String, Object>> history = new ArrayList<>();
      try (Trainer trainer = model.newTrainer(cfg)) {
        ai.djl.engine.Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        trainer.initialize(new Shape(batch, train.width), new Shape(batch, train.width));
        int stale = 0;
        for (int epoch = 1; epoch <= epochs; epoch++) {
          long e0 = System.nanoTime();
          List<Integer> order = new ArrayList<>();
          for (int i = 0; i < train.n; i++) order.add(i);
          Collections.shuffle(order, new Random(seed + epoch));
          double lossSum = 0;
          long seen = 0, correct = 0;
          int batches = (train.n + batch - 1) / batch;
          for (int b = 0; b < batches; b++) {
            List<Integer> idx = order.subList(b * batch, Math.min(train.n, (b + 1) * batch));
            try (NDManager m = model.getNDManager().newSubManager()) {
              NDList x = train.batch(m, idx);
              NDArray y = m.create(train.labels(idx));
              try (GradientCollector gc = trainer.newGradientCollector()) {
                NDList pred = trainer.forward(x);
                NDArray loss = trainer.getLoss().evaluate(new NDList(y), pred);
                gc.backward(loss);
                lossSum += loss.getFloat() * idx.size();
                long[] p = pred.singletonOrThrow().argMax(1).toLongArray();
                int[] truth = train.labels(idx);
                for (int i = 0; i < p.length; i++) if (p[i] == truth[i]) correct++;
              }
              seen += idx.size();
            }
            trainer.step();
            if ((b + 1) % Math.max(1, batches / 4) == 0 && b + 1 < batches)
              log("  epoch %d: %d/%d batches, loss %.4f, train acc %.4f", epoch, b + 1, batches, lossSum / seen,
                  (double) correct / seen);
          }
          double valAcc = accuracy(model, val);
          double secs = (System.nanoTime() - e0) / 1e9;
          log("epoch %d/%d: loss %.4f, train acc %.4f, val acc %.4f, %.1f s", epoch, epochs, lossSum / seen,
              (double) correct / seen, valAcc, secs);
          history.add(Map.of("epoch", epoch, "loss", lossSum / seen, "trainAccuracy", (double) correct / seen,
              "validationAccuracy", valAcc, "seconds", secs));
          if (valAcc > bestVal) {
            bestVal = valAcc;
            bestEpoch = epoch;
            stale = 0;
            model.setProperty("Epoch", String.valueOf(meta.paramsEpoch())); // overwrite <name>-0000.params
            model.save(stage, meta.paramsName());
          } else if (++stale >= patience) {
            log("validation accuracy did not improve for %d epochs: stopping", patience);
            break;
          }
        }
      }
      Map<String, Object> training = new LinkedHashMap<>();
      training.put("trainedAt", Instant.now().toString());
      training.put("labelRule", rule.name().toLowerCase(Locale.ROOT));
      training.put("labelDoc", "docs/classifier-labels.md");
      training.put("seed", seed);
      training.put("testFraction", TEST_FRACTION);
      training.put("validationFraction", VALIDATION_FRACTION);
      training.put("counts", Map.of("all", tierCounts(all), "train", split.train().size(),
          "validation", split.validation().size(), "test", split.test().size()));
      training.put("optimizer", Map.of("name", "adam", "lr", lr, "batch", batch, "epochs", epochs, "threads", threads));
      training.put("bestEpoch", bestEpoch);
      training.put("bestValidationAccuracy", bestVal);
      training.put("history", history);
      meta.withTraining(training).write(stage.resolve(ClassifierMetadata.FILE));
    }

    // evaluate what will ship, loaded exactly as the product loads it
    Evaluation test = new Evaluation();
    try (DjlTierClassifier shipped = DjlTierClassifier.fromDirectory(stage)) {
      evaluate(shipped, split.test(), test);
      ClassifierMetadata m = shipped.metadata();
      Map<String, Object> training = new LinkedHashMap<>(m.training());
      training.put("heldOut", test.summary());
      m.withTraining(training).write(stage.resolve(ClassifierMetadata.FILE));
    }
    log("held-out test split (%d prompts, never used for training or model selection):%n%s", test.total(),
        test.toMarkdown());

    Files.createDirectories(out);
    try (Stream<Path> old = Files.list(out)) {
      for (Path p : old.filter(p -> p.getFileName().toString().endsWith(".params")).toList()) Files.delete(p);
    }
    try (Stream<Path> s = Files.list(stage)) {
      for (Path p : s.toList()) {
        Files.copy(p, out.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        Files.delete(p);
      }
    }
    Files.delete(stage);
    log("wrote %s (%.1f s total)", out, (System.nanoTime() - t0) / 1e9);
  }

  /** Runs the classifier over prompts in batches and adds its predictions to the evaluation. */
  public static void evaluate(DjlTierClassifier c, List<LabelledPrompt> prompts, Evaluation into) {
    for (int i = 0; i < prompts.size(); i += 256) {
      List<LabelledPrompt> part = prompts.subList(i, Math.min(prompts.size(), i + 256));
      float[][] p = c.probabilities(part.stream().map(LabelledPrompt::text).toList());
      for (int k = 0; k < part.size(); k++) {
        into.add(part.get(k).tier(), io.pickspin.routing.classify.Classification.fromProbabilities(p[k], "").tier(),
            part.get(k).source());
      }
    }
  }

  private static double accuracy(Model model, Encoded data) {
    long correct = 0;
    for (int i = 0; i < data.n; i += 512) {
      List<Integer> idx = new ArrayList<>();
      for (int k = i; k < Math.min(data.n, i + 512); k++) idx.add(k);
      try (NDManager m = model.getNDManager().newSubManager()) {
        NDArray logits = model.getBlock().forward(new ParameterStore(m, false), data.batch(m, idx), false).singletonOrThrow();
        long[] p = logits.argMax(1).toLongArray();
        int[] truth = data.labels(idx);
        for (int k = 0; k < p.length; k++) if (p[k] == truth[k]) correct++;
      }
    }
    return (double) correct / data.n;
  }

  /** Pre-encoded prompts: ids and masks row by row, and labels. */
  private record Encoded(int n, int width, long[] ids, float[] mask, int[] labels) {
    NDList batch(NDManager m, List<Integer> idx) {
      long[] bi = new long[idx.size() * width];
      float[] bm = new float[bi.length];
      for (int k = 0; k < idx.size(); k++) {
        System.arraycopy(ids, idx.get(k) * width, bi, k * width, width);
        System.arraycopy(mask, idx.get(k) * width, bm, k * width, width);
      }
      Shape s = new Shape(idx.size(), width);
      return new NDList(m.create(bi, s), m.create(bm, s));
    }

    int[] labels(List<Integer> idx) {
      int[] l = new int[idx.size()];
      for (int k = 0; k < l.length; k++) l[k] = labels[idx.get(k)];
      return l;
    }
  }

  private static Encoded encode(TierFeatures f, List<LabelledPrompt> prompts) {
    int w = f.length();
    long[] ids = new long[prompts.size() * w];
    float[] mask = new float[ids.length];
    int[] labels = new int[prompts.size()];
    for (int i = 0; i < prompts.size(); i++) {
      f.encode(prompts.get(i).text(), ids, mask, i * w);
      labels[i] = prompts.get(i).tier().ordinal();
    }
    return new Encoded(prompts.size(), w, ids, mask, labels);
  }

  static Map<Tier, Integer> tierCounts(List<LabelledPrompt> l) {
    Map<Tier, Integer> m = new EnumMap<>(Tier.class);
    for (LabelledPrompt p : l) m.merge(p.tier(), 1, Integer::sum);
    return m;
  }

  private static String describe(ClassifierMetadata m) {
    return TierNet.BAG.equals(m.arch())
        ? String.format(Locale.ROOT, "bag(E=%d, bigram buckets %d, %d tokens, hidden %d)", m.embedding(),
            m.bigramBuckets(), m.maxTokens(), m.hidden())
        : String.format(Locale.ROOT, "encoder(E=%d, %d layers, %d heads, %d tokens, hidden %d)", m.embedding(),
            m.layers(), m.heads(), m.maxTokens(), m.hidden());
  }

  static void log(String fmt, Object... args) {
    System.out.printf(Locale.ROOT, "[train] " + fmt + "%n", args);
    System.out.flush();
  }
}
