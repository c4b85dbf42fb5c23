package io.pickspin.lab.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.pickspin.lab.common.Cli;
import io.pickspin.model.Tier;
import io.pickspin.routing.classify.EncoderHeadMetadata;
import io.pickspin.routing.classify.EncoderTierClassifier;
import io.pickspin.routing.classify.SentenceEncoder;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Trains the sentence-encoder complexity classifier ({@link EncoderTierClassifier}): labels the prompts of
 * ../shared/data by what routing means ({@link RoutingLabels}), caps every (source, tier) at the same number of prompts
 * so that no source dominates a tier, embeds them with the shipped sentence encoder (cached under target/), and trains
 * small DJL heads on the embeddings. Each head variant (window 64 / 128 tokens, linear or one hidden ReLU layer, with or
 * without class weights) is validated three ways: a seeded random split of the labelled prompts (which also picks the
 * epoch), a cross-source validation (each source group held out whole, the head trained on the others), and the
 * everyday dev set (docs/everyday-dev-set.md; validation only). The variant is chosen on validation alone by a fixed
 * rule ({@link #choose}), and its head ships with its metadata. RouteLLM's held-out test prompts
 * ({@link RoutingLabels#isHeldOut}) are never used.
 *
 * <p>Run with {@code java ... io.pickspin.lab.train.TrainEncoderClassifier [options]}; {@code --variant w64-h128}
 * trains only one variant (same seed, same result).
 */
public final class TrainEncoderClassifier {
  public static final long DEFAULT_SEED = 42;
  public static final Path DEFAULT_OUT = Path.of("core/src/main/resources/pickspin/classifier-encoder");
  static final String PARAMS_NAME = "encoder-head";

  @Command(name = "train-encoder-classifier", sortOptions = false, showDefaultValues = true,
      description = "Trains the sentence-encoder complexity classifier's head from ../shared/data and writes its artefacts.")
  static final class Options {
    @Mixin Cli.Help help;
    @Option(names = "--seed", description = "split, sampling and initialisation seed") long seed = DEFAULT_SEED;
    @Option(names = "--windows", split = ",", description = "encoder windows (tokens) to compare") List<Integer> windows = List.of(64, 128);
    @Option(names = "--hidden", split = ",", description = "head hidden widths to compare; 0 = linear (softmax regression)") List<Integer> hidden = List.of(0, 64, 128);
    @Option(names = "--class-weights", description = "off, on or both") String classWeights = "both";
    @Option(names = "--variant", description = "train only this variant (e.g. w64-h128-cw); it ships") String variant;
    @Option(names = "--cap", description = "prompts at most per source (a sample keeping its tier shares)") int cap = 1000;
    @Option(names = "--validation-fraction", description = "random-split validation share") double validationFraction = 0.15;
    @Option(names = "--epochs", description = "epochs at most") int epochs = 60;
    @Option(names = "--patience", description = "epochs without a better random-split validation accuracy before stopping") int patience = 8;
    @Option(names = "--batch", description = "batch size") int batch = 128;
    @Option(names = "--lr", description = "Adam learning rate") float lr = 0.002f;
    @Option(names = "--weight-decay", description = "Adam weight decay") float weightDecay = 1e-4f;
    @Option(names = "--cross-source", negatable = true, description = "run the cross-source validation") boolean crossSource = true;
    @Option(names = "--encoder", description = "sentence encoder") String encoder = SentenceEncoder.Spec.MINILM_L6_V2_Q.name();
    @Option(names = "--out", description = "artefact directory") Path out = DEFAULT_OUT;
    @Option(names = "--no-write", description = "compare only; write no artefacts") boolean noWrite;
    @Option(names = "--cache", description = "embedding cache directory") Path cache = Path.of("target/encoder-cache");
    @Option(names = "--embed-threads", description = "threads encoding prompts") int embedThreads = 2;
    @Option(names = "--threads", description = "PyTorch intra-op threads for the head") int threads = 1;
    @Option(names = "--shared", description = "the shared directory (default ../shared)") Path shared;
    @Option(names = "--labels-only", description = "print the labelled corpus and stop") boolean labelsOnly;
    @Option(names = "--balance", description = "none, or source: every source group gets the same weight within a tier (at most --max-boost times a prompt's plain weight)") String balance = "source";
    @Option(names = "--max-boost", description = "largest weight --balance source gives a prompt") float maxBoost = 5;
    @Option(names = "--exclude", split = ",", description = "sources not to train on") List<String> exclude = List.of();
    @Option(names = "--print-dev-errors", description = "print the dev-set prompts each variant gets wrong") boolean printDevErrors;
  }

  /** One head configuration. */
  record Variant(int window, int hidden, boolean classWeights) {
    String name() {
      return "w" + window + "-" + (hidden == 0 ? "linear" : "h" + hidden) + (classWeights ? "-cw" : "");
    }
  }

  /** What validation measured for one variant. */
  record Result(Variant variant, int epochs, Metrics random, Map<String, Metrics> crossSource, double crossSourceMean,
      Metrics dev, Model model) {
    boolean meetsGoal() {
      return dev.accuracy() >= 0.90 && dev.minRecall() >= 0.85;
    }

    double score() {
      return dev.accuracy() + (Double.isNaN(crossSourceMean) ? 0 : crossSourceMean);
    }
  }

  /** Accuracy, recall per tier and confusion (rows truth, columns prediction). */
  record Metrics(int n, double accuracy, double[] recall, long[][] confusion) {
    double minRecall() {
      double m = 1;
      for (int t = 0; t < 3; t++) if (support(t) > 0) m = Math.min(m, recall[t]);
      return m;
    }

    long support(int t) {
      return confusion[t][0] + confusion[t][1] + confusion[t][2];
    }

    static Metrics of(int[] truth, int[] predicted) {
      long[][] c = new long[3][3];
      int ok = 0;
      for (int i = 0; i < truth.length; i++) {
        c[truth[i]][predicted[i]]++;
        if (truth[i] == predicted[i]) ok++;
      }
      double[] r = new double[3];
      for (int t = 0; t < 3; t++) {
        long n = c[t][0] + c[t][1] + c[t][2];
        r[t] = n == 0 ? Double.NaN : (double) c[t][t] / n;
      }
      return new Metrics(truth.length, truth.length == 0 ? 0 : (double) ok / truth.length, r, c);
    }

    Map<String, Object> summary() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("n", n);
      m.put("accuracy", round(accuracy));
      Map<String, Object> rec = new LinkedHashMap<>();
      for (Tier t : Tier.values()) if (support(t.ordinal()) > 0) rec.put(t.name(), round(recall[t.ordinal()]));
      m.put("recall", rec);
      m.put("confusion", confusion);
      return m;
    }
  }

  /** Embedded, labelled rows. */
  record Rows(float[][] x, int[] y, List<LabelledPrompt> prompts) {
    int n() {
      return y.length;
    }
  }

  public static void main(String[] argv) throws Exception {
    Options o = Cli.parseOrExit(new Options(), argv);
    long t0 = System.nanoTime();
    Path shared = o.shared != null ? o.shared : PromptCorpus.sharedDir();
    List<EverydayPrompts.Item> dev = EverydayPrompts.dev();

    // labels
    log("labelling the prompts of %s (docs/classifier-labels.md, routing labels)", shared.resolve("data"));
    RoutingLabels.Corpus corpus = RoutingLabels.load(shared, dev.stream().map(EverydayPrompts.Item::prompt).toList());
    log("labelled prompts training may use, per source and tier:%n%s", table(RoutingLabels.counts(corpus.prompts())));
    log("RouteLLM held-out test prompts (never used here), per source and tier:%n%s", table(RoutingLabels.counts(corpus.heldOut())));
    log("dropped or left out:");
    corpus.dropped().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> log("  %-60s %6d", e.getKey(), e.getValue()));
    List<LabelledPrompt> usable = corpus.prompts().stream().filter(p -> !o.exclude.contains(p.source())).toList();
    if (!o.exclude.isEmpty()) log("not training on %s: %d prompts left", o.exclude, usable.size());
    List<LabelledPrompt> pool = capPerSource(usable, o.cap, o.seed);
    log("after the cap of %d per source (tier shares kept): %d prompts, %s", o.cap, pool.size(), tierCounts(pool));
    log("per source and tier:%n%s", table(RoutingLabels.counts(pool)));
    if (o.labelsOnly) return;

    List<Variant> variants = variants(o);
    log("variants: %s", variants.stream().map(Variant::name).toList());

    // split
    List<LabelledPrompt> val = new ArrayList<>(), train = new ArrayList<>();
    stratifiedSplit(pool, o.validationFraction, o.seed, train, val);
    log("random split: %d train / %d validation (%.0f%%, stratified by source and tier, seed %d)", train.size(), val.size(),
        100 * o.validationFraction, o.seed);

    Engine.getEngine("PyTorch");
    JniUtils.setNumThreads(o.threads);
    SentenceEncoder.Spec spec = EncoderTierClassifier.spec(o.encoder);
    List<Result> results = new ArrayList<>();
    Map<Integer, SentenceEncoder> encoders = new TreeMap<>();
    try {
      for (int window : variants.stream().map(Variant::window).distinct().sorted().toList()) {
        SentenceEncoder enc = SentenceEncoder.builder().spec(spec).maxTokens(window).build();
        encoders.put(window, enc);
        Rows trainRows, valRows, devRows;
        try (EmbeddingCache cache = new EmbeddingCache(o.cache, enc)) {
          trainRows = rows(cache, train, o.embedThreads, "window " + window + ", training prompts");
          valRows = rows(cache, val, o.embedThreads, "window " + window + ", validation prompts");
          List<LabelledPrompt> devPrompts = new ArrayList<>();
          for (int i = 0; i < dev.size(); i++)
            devPrompts.add(new LabelledPrompt("dev:" + i, "everyday-dev-set", dev.get(i).prompt(), dev.get(i).tier(), "rubric"));
          devRows = rows(cache, devPrompts, o.embedThreads, "window " + window + ", everyday dev set");
        }
        for (Variant v : variants) {
          if (v.window() != window) continue;
          results.add(validate(v, trainRows, valRows, devRows, o));
        }
      }

      log("variants (chosen on validation only: the everyday dev set, the cross-source and random splits):%n%s", variantsTable(results));
      Result chosen = o.variant != null ? results.get(0) : choose(results);
      log("chosen: %s (%s)", chosen.variant().name(), o.variant != null ? "--variant" : CHOICE_RULE);
      if (o.noWrite) return;
      ship(o, chosen, results, corpus, pool, train.size(), val.size(), encoders.get(chosen.variant().window()), dev, t0, argv);
    } finally {
      for (Result r : results) r.model().close();
      for (SentenceEncoder e : encoders.values()) e.close();
    }
    log("done in %.1f s", (System.nanoTime() - t0) / 1e9);
  }

  static List<Variant> variants(Options o) {
    List<Boolean> cw = switch (o.classWeights.toLowerCase(Locale.ROOT)) {
      case "on" -> List.of(true);
      case "off" -> List.of(false);
      case "both" -> List.of(false, true);
      default -> throw new IllegalArgumentException("--class-weights must be off, on or both: " + o.classWeights);
    };
    List<Variant> all = new ArrayList<>();
    for (int w : o.windows) for (int h : o.hidden) for (boolean c : cw) all.add(new Variant(w, h, c));
    if (o.variant == null) return all;
    for (int w : List.of(32, 48, 64, 96, 128, 256))
      for (int h : List.of(0, 16, 32, 64, 128, 256))
        for (boolean c : List.of(false, true)) {
          Variant v = new Variant(w, h, c);
          if (v.name().equals(o.variant)) return List.of(v);
        }
    throw new IllegalArgumentException("unknown --variant " + o.variant + " (e.g. w64-linear, w64-h128-cw)");
  }

  static final String CHOICE_RULE =
      "among the variants meeting the goal on the everyday dev set (accuracy >= 90%, every recall >= 85%; all variants"
          + " if none does), the best by dev accuracy + cross-source mean accuracy (ties: smaller head, no class"
          + " weights) for each window; the 128-token window only if its best is at least 3 points more accurate on"
          + " the dev set than the 64-token window's best (the latency target favours 64)";

  /** The fixed choice rule ({@link #CHOICE_RULE}). */
  static Result choose(List<Result> results) {
    List<Result> candidates = results.stream().filter(Result::meetsGoal).toList();
    if (candidates.isEmpty()) candidates = results;
    Comparator<Result> order = Comparator.comparingDouble(Result::score).reversed()
        .thenComparingInt(r -> r.variant().hidden())
        .thenComparing(r -> r.variant().classWeights());
    Result best64 = candidates.stream().filter(r -> r.variant().window() <= 64).sorted(order).findFirst().orElse(null);
    Result best128 = candidates.stream().filter(r -> r.variant().window() > 64).sorted(order).findFirst().orElse(null);
    if (best64 == null) return best128;
    if (best128 == null) return best64;
    return best128.dev().accuracy() >= best64.dev().accuracy() + 0.03 ? best128 : best64;
  }

  /** Trains a variant on the random split (picking the epoch), runs the cross-source folds and the dev set. */
  static Result validate(Variant v, Rows train, Rows val, Rows dev, Options o) {
    log("--- %s: training on %d, validating on %d", v.name(), train.n(), val.n());
    long t0 = System.nanoTime();
    Trained t = train(v, train, val, o.epochs, o, true);
    Metrics random = evaluate(t.model(), val);
    Metrics devM = evaluate(t.model(), dev);
    Map<String, Metrics> cross = new LinkedHashMap<>();
    double mean = Double.NaN;
    if (o.crossSource) {
      Rows all = concat(train, val);
      Map<String, List<Integer>> groups = new TreeMap<>();
      for (int i = 0; i < all.n(); i++) groups.computeIfAbsent(group(all.prompts().get(i).source()), k -> new ArrayList<>()).add(i);
      double sum = 0;
      for (Map.Entry<String, List<Integer>> g : groups.entrySet()) {
        List<Integer> in = new ArrayList<>(), out = g.getValue();
        for (int i = 0; i < train.n(); i++) if (!group(train.prompts().get(i).source()).equals(g.getKey())) in.add(i);
        Trained fold = train(v, subset(train, in), null, t.epochs(), o, false);
        Metrics m = evaluate(fold.model(), subset(all, out));
        fold.model().close();
        cross.put(g.getKey(), m);
        sum += m.accuracy();
        log("  cross-source: %-28s held out (%5d prompts): accuracy %.3f, recall %s", g.getKey(), m.n(), m.accuracy(), recalls(m));
      }
      mean = sum / groups.size();
    }
    log("%s: epochs %d, random-split validation %.4f (recall %s), cross-source mean %.4f, dev set %.4f (recall %s), %.1f s",
        v.name(), t.epochs(), random.accuracy(), recalls(random), mean, devM.accuracy(), recalls(devM),
        (System.nanoTime() - t0) / 1e9);
    log("  dev-set confusion (rows: label LOW, MEDIUM, HIGH; columns: predicted): %s", java.util.Arrays.deepToString(devM.confusion()));
    if (o.printDevErrors) {
      float[][] p = probabilities(t.model(), dev.x());
      for (int i = 0; i < dev.n(); i++) {
        int k = argmax(p[i]);
        if (k != dev.y()[i])
          log("    dev %-6s -> %-6s (%.2f %.2f %.2f) %s", Tier.values()[dev.y()[i]], Tier.values()[k], p[i][0], p[i][1], p[i][2],
              dev.prompts().get(i).text().length() > 110 ? dev.prompts().get(i).text().substring(0, 110) + "..." : dev.prompts().get(i).text());
      }
    }
    return new Result(v, t.epochs(), random, cross, mean, devM, t.model());
  }

  /** The groups the cross-source validation holds out whole: each source, with sibling sources together. */
  static String group(String source) {
    if (RoutingLabels.COMPETITION.contains(source)) return "competition maths";
    if (source.startsWith("arena-hard")) return "arena-hard (v0.1, v2.0 hard)";
    if (source.equals(RoutingLabels.MBPP) || source.equals(RoutingLabels.HUMANEVAL)) return "code (mbpp, humaneval)";
    if (source.startsWith("alpaca")) return "alpaca (demo, seed)";
    return source;
  }

  record Trained(Model model, int epochs) {}

  /**
   * Trains a fresh head: Adam, softmax cross-entropy (weighted per class when the variant says so), shuffled batches.
   * With validation rows, keeps the parameters of the epoch with the best validation accuracy (stopping after
   * {@code patience} epochs without one); without, trains exactly {@code epochs}.
   */
  static Trained train(Variant v, Rows data, Rows val, int epochs, Options o, boolean verbose) {
    int dim = data.x()[0].length;
    float[] sampleWeight = sampleWeights(data, v.classWeights(), o.balance, o.maxBoost);
    Model model = Model.newInstance(PARAMS_NAME, Device.cpu(), "PyTorch");
    model.setBlock(EncoderTierClassifier.newHead(v.hidden()));
    DefaultTrainingConfig cfg = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
        .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(o.lr)).optWeightDecays(o.weightDecay).build());
    double best = -1;
    int bestEpoch = 0, stale = 0;
    List<float[]> bestParams = null;
    try (Trainer trainer = model.newTrainer(cfg)) {
      Engine.getEngine("PyTorch").setRandomSeed((int) o.seed); // the same initial head for every run of a variant
      trainer.initialize(new Shape(o.batch, dim));
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < data.n(); i++) order.add(i);
      for (int epoch = 1; epoch <= epochs; epoch++) {
        long e0 = System.nanoTime();
        Collections.shuffle(order, new Random(o.seed * 1000 + epoch));
        double lossSum = 0, weightSum = 0;
        long correct = 0;
        for (int b = 0; b < data.n(); b += o.batch) {
          List<Integer> idx = order.subList(b, Math.min(data.n(), b + o.batch));
          float[] x = new float[idx.size() * dim];
          float[] onehot = new float[idx.size() * 3];
          float[] w = new float[idx.size()];
          float wSum = 0;
          for (int k = 0; k < idx.size(); k++) {
            int i = idx.get(k);
            System.arraycopy(data.x()[i], 0, x, k * dim, dim);
            onehot[k * 3 + data.y()[i]] = 1;
            w[k] = sampleWeight[i];
            wSum += w[k];
          }
          try (NDManager m = model.getNDManager().newSubManager()) {
            NDArray in = m.create(x, new Shape(idx.size(), dim));
            NDArray target = m.create(onehot, new Shape(idx.size(), 3));
            NDArray weights = m.create(w);
            try (GradientCollector gc = trainer.newGradientCollector()) {
              NDArray logits = trainer.forward(new NDList(in)).singletonOrThrow();
              NDArray nll = logits.logSoftmax(1).mul(target).sum(new int[] {1}).neg();
              NDArray loss = nll.mul(weights).sum().div(wSum);
              gc.backward(loss);
              lossSum += loss.getFloat() * wSum;
              weightSum += wSum;
              long[] p = logits.argMax(1).toLongArray();
              for (int k = 0; k < p.length; k++) if (p[k] == data.y()[idx.get(k)]) correct++;
            }
          }
          trainer.step();
        }
        if (val == null) continue;
        double valAcc = evaluate(model, val).accuracy();
        if (verbose)
          log("  epoch %2d: loss %.4f, train acc %.4f, validation acc %.4f (%.2f s)", epoch, lossSum / weightSum,
              (double) correct / data.n(), valAcc, (System.nanoTime() - e0) / 1e9);
        if (valAcc > best) {
          best = valAcc;
          bestEpoch = epoch;
          stale = 0;
          bestParams = snapshot(model);
        } else if (++stale >= o.patience) {
          break;
        }
      }
    }
    if (val == null) return new Trained(model, epochs);
    restore(model, bestParams);
    return new Trained(model, bestEpoch);
  }

  /**
   * Each training prompt's weight in the loss. {@code balance = source}: within a tier, every source group (see
   * {@link #group}) gets the same total weight, a prompt's weight being at most {@code maxBoost} times its plain weight
   * (so a tiny group is not copied many times over), and each tier keeps its total. Class weights: each tier's total
   * becomes a third of the whole.
   */
  static float[] sampleWeights(Rows data, boolean classWeights, String balance, float maxBoost) {
    float[] w = new float[data.n()];
    java.util.Arrays.fill(w, 1f);
    if ("source".equalsIgnoreCase(balance)) {
      for (int t = 0; t < 3; t++) {
        Map<String, Integer> n = new TreeMap<>();
        int total = 0;
        for (int i = 0; i < data.n(); i++) if (data.y()[i] == t) {
          n.merge(group(data.prompts().get(i).source()), 1, Integer::sum);
          total++;
        }
        if (total == 0) continue;
        double share = (double) total / n.size();
        double sum = 0;
        for (int i = 0; i < data.n(); i++) if (data.y()[i] == t) {
          w[i] = (float) Math.min(maxBoost, share / n.get(group(data.prompts().get(i).source())));
          sum += w[i];
        }
        for (int i = 0; i < data.n(); i++) if (data.y()[i] == t) w[i] *= (float) (total / sum);
      }
    } else if (!"none".equalsIgnoreCase(balance)) {
      throw new IllegalArgumentException("--balance must be none or source: " + balance);
    }
    if (classWeights) {
      double[] tot = new double[3];
      double all = 0;
      for (int i = 0; i < data.n(); i++) {
        tot[data.y()[i]] += w[i];
        all += w[i];
      }
      for (int i = 0; i < data.n(); i++) w[i] *= (float) (all / (3 * tot[data.y()[i]]));
    }
    return w;
  }

  private static List<float[]> snapshot(Model model) {
    List<float[]> l = new ArrayList<>();
    for (Pair<String, Parameter> p : model.getBlock().getParameters()) l.add(p.getValue().getArray().toFloatArray());
    return l;
  }

  private static void restore(Model model, List<float[]> params) {
    int i = 0;
    for (Pair<String, Parameter> p : model.getBlock().getParameters()) p.getValue().getArray().set(FloatBuffer.wrap(params.get(i++)));
  }

  /** Probabilities of the head for each row. */
  static float[][] probabilities(Model model, float[][] x) {
    int dim = x[0].length;
    float[][] out = new float[x.length][];
    for (int b = 0; b < x.length; b += 1024) {
      int n = Math.min(x.length, b + 1024) - b;
      float[] flat = new float[n * dim];
      for (int k = 0; k < n; k++) System.arraycopy(x[b + k], 0, flat, k * dim, dim);
      try (NDManager m = model.getNDManager().newSubManager()) {
        NDArray logits = model.getBlock().forward(new ParameterStore(m, false), new NDList(m.create(flat, new Shape(n, dim))), false).singletonOrThrow();
        float[] p = logits.softmax(1).toFloatArray();
        for (int k = 0; k < n; k++) out[b + k] = new float[] {p[k * 3], p[k * 3 + 1], p[k * 3 + 2]};
      }
    }
    return out;
  }

  static Metrics evaluate(Model model, Rows rows) {
    if (rows.n() == 0) return Metrics.of(new int[0], new int[0]);
    float[][] p = probabilities(model, rows.x());
    int[] pred = new int[p.length];
    for (int i = 0; i < p.length; i++) pred[i] = argmax(p[i]);
    return Metrics.of(rows.y(), pred);
  }

  /** The most probable tier; ties go to the higher tier, as {@code Classification.fromProbabilities} does. */
  static int argmax(float[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) if (p[i] >= p[best]) best = i;
    return best;
  }

  /** Writes the chosen head and its metadata, reloads them as the product does, and checks the dev-set result. */
  static void ship(Options o, Result chosen, List<Result> results, RoutingLabels.Corpus corpus, List<LabelledPrompt> pool,
      int trainSize, int valSize, SentenceEncoder encoder, List<EverydayPrompts.Item> dev, long t0, String[] argv)
      throws IOException {
    Variant v = chosen.variant();
    Path stage = Files.createTempDirectory("pickspin-encoder-train");
    chosen.model().setProperty("Epoch", "0");
    chosen.model().save(stage, PARAMS_NAME);
    Map<String, Object> training = new LinkedHashMap<>();
    training.put("trainedAt", Instant.now().toString());
    training.put("command", "java io.pickspin.lab.train.TrainEncoderClassifier " + String.join(" ", argv));
    training.put("seed", o.seed);
    training.put("variant", v.name());
    training.put("classWeights", v.classWeights());
    training.put("optimizer", mapOf("name", "adam", "lr", o.lr, "weightDecay", o.weightDecay, "batch", o.batch,
        "epochs", chosen.epochs(), "epochsAtMost", o.epochs, "patience", o.patience));
    training.put("labelRule", mapOf(
        "name", "routing",
        "doc", "docs/classifier-labels.md",
        "mmlu", "RouteLLM: Mixtral right -> LOW; only GPT-4 right -> HIGH; both wrong -> dropped; choices and 'Answer:' stripped",
        "gsm8k", "RouteLLM: Mixtral right -> MEDIUM; only GPT-4 right -> HIGH; both wrong -> dropped",
        "mt-bench", "first turn, GPT-4 judge: Mixtral >= 8 and within 2 of GPT-4 -> MEDIUM; GPT-4 >= 8 and >= 2 better -> HIGH; else dropped",
        "math", "MATH level 1-2 -> MEDIUM; 5 -> HIGH; 3-4 dropped",
        "identity", "AIME/AMC/OlympiadBench/Minerva, Arena-Hard v0.1 and v2.0 hard prompts -> HIGH; MBPP, HumanEval, LIMA,"
            + " Arena-Hard v2.0 creative writing -> MEDIUM; CommonsenseQA, TruthfulQA, ARC-Challenge (no choices) -> LOW",
        "alpaca", "demo and seed tasks: reference answer <= 40 words -> LOW; >= 150 words -> MEDIUM; else dropped",
        "not used", "BBH, GSM8K train, MATH-500, Vicuna-bench",
        "cap", o.cap + " prompts at most per source (seeded sample keeping the tier shares)"));
    training.put("counts", mapOf(
        "labelled", countsMap(corpus.prompts()),
        "afterCap", countsMap(pool),
        "train", trainSize, "validation", valSize,
        "dropped", new TreeMap<>(corpus.dropped())));
    List<String> heldOutIds = corpus.heldOut().stream().map(LabelledPrompt::id).sorted().toList();
    training.put("heldOutTest", mapOf(
        "rule", RoutingLabels.HELD_OUT_RULE,
        "sources", List.copyOf(new java.util.TreeSet<>(RoutingLabels.HELD_OUT_SOURCES)),
        "fraction", RoutingLabels.HELD_OUT_PER_10000 / 10_000.0,
        "counts", countsMap(corpus.heldOut()),
        "ids", heldOutIds));
    training.put("validation", mapOf(
        "randomSplit", chosen.random().summary(),
        "crossSource", crossSummary(chosen),
        "everydayDevSet", chosen.dev().summary()));
    training.put("choiceRule", o.variant != null ? "--variant " + o.variant : CHOICE_RULE);
    List<Map<String, Object>> table = new ArrayList<>();
    for (Result r : results) table.add(mapOf("variant", r.variant().name(), "epochs", r.epochs(),
        "randomSplitAccuracy", round(r.random().accuracy()), "crossSourceMeanAccuracy", round(r.crossSourceMean()),
        "devAccuracy", round(r.dev().accuracy()), "devRecall", r.dev().summary().get("recall"), "meetsGoal", r.meetsGoal()));
    training.put("variants", table);
    EncoderHeadMetadata meta = new EncoderHeadMetadata(EncoderHeadMetadata.FORMAT, encoder.spec().name(), v.window(),
        encoder.dimension(), v.hidden(), List.of("LOW", "MEDIUM", "HIGH"), PARAMS_NAME, 0, EncoderHeadMetadata.COMPLEXITY,
        training);
    meta.write(stage.resolve(EncoderHeadMetadata.FILE));

    // evaluate what will ship, loaded as the product loads it, on the raw prompts
    int[] truth = new int[dev.size()], pred = new int[dev.size()];
    try (EncoderTierClassifier shipped = EncoderTierClassifier.fromDirectory(stage, encoder)) {
      for (int i = 0; i < dev.size(); i++) {
        truth[i] = dev.get(i).tier().ordinal();
        pred[i] = shipped.classify(dev.get(i).prompt()).tier().ordinal();
      }
    }
    Metrics loaded = Metrics.of(truth, pred);
    if (Math.abs(loaded.accuracy() - chosen.dev().accuracy()) > 1e-9)
      throw new IllegalStateException("the saved head gives " + loaded.accuracy() + " on the dev set, training measured "
          + chosen.dev().accuracy());
    log("the saved head, loaded as the product loads it: everyday dev set accuracy %.4f, recall %s", loaded.accuracy(), recalls(loaded));

    Path out = o.out.toAbsolutePath();
    Files.createDirectories(out);
    try (Stream<Path> old = Files.list(out)) {
      for (Path p : old.filter(p -> p.getFileName().toString().endsWith(".params")).toList()) Files.delete(p);
    }
    try (Stream<Path> s = Files.list(stage)) {
      for (Path p : s.toList()) {
        Files.copy(p, out.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        log("wrote %s (%,d bytes)", out.resolve(p.getFileName()), Files.size(p));
        Files.delete(p);
      }
    }
    Files.delete(stage);
  }

  private static Map<String, Object> crossSummary(Result r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("meanAccuracy", round(r.crossSourceMean()));
    Map<String, Object> groups = new LinkedHashMap<>();
    r.crossSource().forEach((k, v) -> groups.put(k, v.summary()));
    m.put("heldOutGroups", groups);
    return m;
  }

  // ---------------------------------------------------------------------------------------------------------------

  /**
   * At most {@code cap} prompts of each source, a seeded sample that keeps the source's tier proportions (the
   * per-prompt outcome labels of MMLU, GSM8K, MATH and MT-bench say how often the small model suffices there; sampling
   * each tier to the same size would erase that), in a stable order.
   */
  static List<LabelledPrompt> capPerSource(List<LabelledPrompt> all, int cap, long seed) {
    Map<String, List<LabelledPrompt>> bySource = new TreeMap<>();
    for (LabelledPrompt p : all) bySource.computeIfAbsent(p.source(), k -> new ArrayList<>()).add(p);
    List<LabelledPrompt> out = new ArrayList<>();
    for (List<LabelledPrompt> source : bySource.values()) {
      Map<String, List<LabelledPrompt>> strata = strata(source);
      for (Map.Entry<String, List<LabelledPrompt>> e : strata.entrySet()) {
        List<LabelledPrompt> l = new ArrayList<>(e.getValue());
        l.sort(Comparator.comparing(LabelledPrompt::id));
        Collections.shuffle(l, new Random(seed * 17 + e.getKey().hashCode()));
        int keep = source.size() <= cap ? l.size() : (int) Math.round((double) cap * l.size() / source.size());
        out.addAll(l.subList(0, Math.min(keep, l.size())));
      }
    }
    return out;
  }

  /** Within each (source, tier), a seeded share goes to validation. */
  static void stratifiedSplit(List<LabelledPrompt> all, double fraction, long seed, List<LabelledPrompt> train,
      List<LabelledPrompt> val) {
    for (Map.Entry<String, List<LabelledPrompt>> e : strata(all).entrySet()) {
      List<LabelledPrompt> l = new ArrayList<>(e.getValue());
      l.sort(Comparator.comparing(LabelledPrompt::id));
      Collections.shuffle(l, new Random(seed * 31 + e.getKey().hashCode()));
      int n = (int) Math.round(l.size() * fraction);
      val.addAll(l.subList(0, n));
      train.addAll(l.subList(n, l.size()));
    }
  }

  private static Map<String, List<LabelledPrompt>> strata(List<LabelledPrompt> all) {
    Map<String, List<LabelledPrompt>> strata = new TreeMap<>();
    for (LabelledPrompt p : all) strata.computeIfAbsent(p.source() + "/" + p.tier(), k -> new ArrayList<>()).add(p);
    return strata;
  }

  static Rows rows(EmbeddingCache cache, List<LabelledPrompt> prompts, int threads, String label) throws IOException {
    float[][] x = cache.embedAll(prompts.stream().map(LabelledPrompt::text).toList(), threads, label);
    int[] y = new int[prompts.size()];
    for (int i = 0; i < y.length; i++) y[i] = prompts.get(i).tier().ordinal();
    return new Rows(x, y, prompts);
  }

  static Rows subset(Rows r, List<Integer> idx) {
    float[][] x = new float[idx.size()][];
    int[] y = new int[idx.size()];
    List<LabelledPrompt> p = new ArrayList<>();
    for (int k = 0; k < idx.size(); k++) {
      x[k] = r.x()[idx.get(k)];
      y[k] = r.y()[idx.get(k)];
      p.add(r.prompts().get(idx.get(k)));
    }
    return new Rows(x, y, p);
  }

  static Rows concat(Rows a, Rows b) {
    float[][] x = new float[a.n() + b.n()][];
    int[] y = new int[x.length];
    System.arraycopy(a.x(), 0, x, 0, a.n());
    System.arraycopy(b.x(), 0, x, a.n(), b.n());
    System.arraycopy(a.y(), 0, y, 0, a.n());
    System.arraycopy(b.y(), 0, y, a.n(), b.n());
    List<LabelledPrompt> p = new ArrayList<>(a.prompts());
    p.addAll(b.prompts());
    return new Rows(x, y, p);
  }

  static String variantsTable(List<Result> results) {
    StringBuilder s = new StringBuilder();
    s.append("| variant | window | head | class weights | epochs | random-split val acc | cross-source mean acc |"
        + " dev acc | dev recall LOW / MEDIUM / HIGH | dev goal |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      Variant v = r.variant();
      s.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %d | %.2f%% | %s | %.2f%% | %s | %s |%n", v.name(),
          v.window(), v.hidden() == 0 ? "linear 384->3" : "384->" + v.hidden() + "->3", v.classWeights() ? "yes" : "no",
          r.epochs(), 100 * r.random().accuracy(),
          Double.isNaN(r.crossSourceMean()) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * r.crossSourceMean()),
          100 * r.dev().accuracy(), String.format(Locale.ROOT, "%.1f / %.1f / %.1f", 100 * r.dev().recall()[0],
              100 * r.dev().recall()[1], 100 * r.dev().recall()[2]), r.meetsGoal() ? "yes" : "no"));
    }
    if (!results.isEmpty() && !results.get(0).crossSource().isEmpty()) {
      s.append("\nCross-source accuracy per held-out group\n\n| variant |");
      List<String> groups = new ArrayList<>(results.get(0).crossSource().keySet());
      for (String g : groups) s.append(' ').append(g).append(" |");
      s.append("\n|---|").append("---|".repeat(groups.size())).append('\n');
      for (Result r : results) {
        s.append("| ").append(r.variant().name()).append(" |");
        for (String g : groups) s.append(String.format(Locale.ROOT, " %.1f%% |", 100 * r.crossSource().get(g).accuracy()));
        s.append('\n');
      }
    }
    return s.toString();
  }

  static String table(Map<String, EnumMap<Tier, Integer>> counts) {
    StringBuilder s = new StringBuilder("| source | LOW | MEDIUM | HIGH | total |\n|---|---|---|---|---|\n");
    int[] tot = new int[3];
    counts.forEach((src, c) -> {
      int l = c.getOrDefault(Tier.LOW, 0), m = c.getOrDefault(Tier.MEDIUM, 0), h = c.getOrDefault(Tier.HIGH, 0);
      tot[0] += l;
      tot[1] += m;
      tot[2] += h;
      s.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d |%n", src, l, m, h, l + m + h));
    });
    s.append(String.format(Locale.ROOT, "| **total** | **%d** | **%d** | **%d** | **%d** |", tot[0], tot[1], tot[2],
        tot[0] + tot[1] + tot[2]));
    return s.toString();
  }

  private static Map<String, Object> countsMap(List<LabelledPrompt> l) {
    Map<String, Object> m = new LinkedHashMap<>();
    RoutingLabels.counts(l).forEach((src, c) -> {
      Map<String, Integer> t = new LinkedHashMap<>();
      for (Tier tier : Tier.values()) t.put(tier.name(), c.getOrDefault(tier, 0));
      m.put(src, t);
    });
    return m;
  }

  static Map<Tier, Integer> tierCounts(List<LabelledPrompt> l) {
    Map<Tier, Integer> m = new EnumMap<>(Tier.class);
    for (LabelledPrompt p : l) m.merge(p.tier(), 1, Integer::sum);
    return m;
  }

  private static String recalls(Metrics m) {
    return String.format(Locale.ROOT, "%s / %s / %s", pct(m.recall()[0]), pct(m.recall()[1]), pct(m.recall()[2]));
  }

  private static String pct(double d) {
    return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * d);
  }

  private static Map<String, Object> mapOf(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  private static Double round(double d) {
    return Double.isNaN(d) ? null : Math.round(d * 10000) / 10000.0;
  }

  static void log(String fmt, Object... args) {
    System.out.printf(Locale.ROOT, "[train] " + fmt + "%n", args);
    System.out.flush();
  }
}
