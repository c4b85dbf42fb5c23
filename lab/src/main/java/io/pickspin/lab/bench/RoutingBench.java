package io.pickspin.lab.bench;

import com.typesafe.config.ConfigFactory;
import io.pickspin.lab.common.Cli;
import io.pickspin.lab.common.Percentiles;
import io.pickspin.lab.common.ResultsFile;
import io.pickspin.lab.train.DemoSetup;
import io.pickspin.lab.train.Evaluation;
import io.pickspin.lab.train.LabelledPrompt;
import io.pickspin.lab.train.PromptCorpus;
import io.pickspin.lab.train.TrainClassifier;
import io.pickspin.model.Catalog;
import io.pickspin.model.Tier;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.classify.Classifiers;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.classify.DjlTierClassifier;
import io.pickspin.routing.classify.HybridClassifier;
import io.pickspin.routing.classify.KeywordClassifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Routing benchmark: held-out accuracy of the shipped classifier (and of the keyword and hybrid routers against the
 * same labels), then single-thread decision latency (p50/p99/p99.9) and decisions per second for the keyword,
 * classifier and hybrid paths, both the classification alone and the full policy decision (classify + score), and the
 * full hybrid decision's throughput on all cores. Prints markdown and writes bench/results/routing.md.
 */
public final class RoutingBench {
  @Command(name = "bin/bench-routing", sortOptions = false, showDefaultValues = true,
      description = "Held-out accuracy and decision latency of the keyword, classifier and hybrid routers.")
  static final class Options {
    @Mixin Cli.Help help;
    @Option(names = "--iterations", description = "timed calls per path") int iterations = 20000;
    @Option(names = "--warmup", description = "warm-up calls per path") int warmup = 3000;
    @Option(names = "--classifier-dir", description = "another trained classifier (default: the shipped one)") Path classifierDir;
    @Option(names = "--catalog", description = "HOCON file with pickspin.models (default: "
        + DemoSetup.DEFAULT_CATALOG + ")") Path catalog;
    @Option(names = "--out", description = "results file") Path out = Path.of("bench/results/routing.md");
  }

  /** The paper's held-out accuracy, and the decision latency bounds (one thread) the routers must keep. */
  static final double PAPER_ACCURACY = 0.968, CLASSIFIER_P99_MS = 5, KEYWORD_P99_MS = 0.2;

  public static void main(String[] argv) throws Exception {
    Options a = Cli.parseOrExit(new Options(), argv);
    ResultsFile.Run started = ResultsFile.Run.start(RoutingBench.class, argv);
    int iterations = a.iterations;
    int warmup = a.warmup;
    Path shared = PromptCorpus.sharedDir();
    Classifiers.setPyTorchThreads(1);
    StringBuilder md = new StringBuilder();
    md.append("PyTorch intra-op threads 1.\n\n");

    double keywordP99, classifierP99, hybridDecisionP99, accuracy;
    double hybridThroughput = 0;
    try (DjlTierClassifier model = DemoSetup.classifier(a.classifierDir)) {
      PromptCorpus.Split split = DemoSetup.split(model, shared);
      List<LabelledPrompt> test = split.test();
      Map<String, Object> t = model.metadata().training();
      md.append(String.format(Locale.ROOT, "Classifier: `%s` architecture, %d word pieces, label rule `%s`, seed %s, trained %s.%n%n",
          model.metadata().arch(), model.metadata().vocabSize(), t.get("labelRule"), t.get("seed"), t.get("trainedAt")));

      KeywordClassifier keyword = KeywordClassifier.fromConfig(ConfigFactory.load().getConfig("pickspin.routing.keyword"));
      HybridClassifier hybrid = new HybridClassifier(keyword, model);
      md.append("## Held-out accuracy\n\n");
      md.append(String.format(Locale.ROOT, "Held-out test split: %d prompts (10%%, stratified by source and label, seed %s), never used for training or model selection.%n%n", test.size(), t.get("seed")));
      Evaluation ec = new Evaluation();
      TrainClassifier.evaluate(model, test, ec);
      md.append("### Learned classifier\n\n").append(ec.toMarkdown()).append('\n');
      md.append("### All routers on the same labels\n\n| router | accuracy | recall LOW | recall MEDIUM | recall HIGH |\n|---|---|---|---|---|\n");
      long keywordMatched = 0;
      for (ComplexityClassifier c : List.of(keyword, hybrid)) {
        Evaluation e = new Evaluation();
        for (LabelledPrompt p : test) e.add(p.tier(), c.classify(p.text()).tier(), p.source());
        row(md, c.name(), e);
      }
      for (LabelledPrompt p : test) if (KeywordClassifier.matched(keyword.classify(p.text()))) keywordMatched++;
      row(md, "classifier", ec);
      md.append(String.format(Locale.ROOT, "%nThe keyword rules match a phrase (the hybrid fast path) on %.1f%% of the held-out prompts.%n%n",
          100.0 * keywordMatched / test.size()));

      Catalog catalog = DemoSetup.catalog(a.catalog);
      ComplexityRoutingPolicy policy =
          ComplexityRoutingPolicy.fromConfig(catalog, ConfigFactory.load().getConfig("pickspin.routing"), model);
      List<String> prompts = test.stream().map(LabelledPrompt::text).toList();
      List<String> noPhrase = prompts.stream().filter(p -> !KeywordClassifier.matched(keyword.classify(p))).toList();

      md.append("## Decision latency, one thread\n\n");
      md.append(String.format(Locale.ROOT, "%d warm-up calls, then %d timed calls cycling through the held-out prompts; wall-clock per call (System.nanoTime).%n%n", warmup, iterations));
      md.append("| path | p50 ms | p99 ms | p99.9 ms | max ms | mean ms | decisions/s |\n|---|---|---|---|---|---|---|\n");
      keywordP99 = timed(md, "keyword classify", prompts, warmup, iterations, keyword::classify);
      classifierP99 = timed(md, "classifier classify", prompts, warmup, iterations, model::classify);
      accuracy = ec.accuracy();
      timed(md, "classifier classify, prompts with no keyword phrase", noPhrase, warmup, iterations, model::classify);
      timed(md, "hybrid classify", prompts, warmup, iterations, hybrid::classify);
      hybridDecisionP99 = 0;
      for (RouterKind k : List.of(RouterKind.KEYWORD, RouterKind.CLASSIFIER, RouterKind.HYBRID)) {
        double p99 = timed(md, "full decision (" + k.wireName() + ", balanced, classify + score)", prompts, warmup, iterations,
            p -> policy.decide(new RouteRequest("auto", p, Profile.BALANCED, k, 0)));
        if (k == RouterKind.HYBRID) hybridDecisionP99 = p99;
      }
      md.append('\n');

      int threads = Runtime.getRuntime().availableProcessors();
      md.append("## Throughput per node\n\n| path | threads | decisions/s |\n|---|---|---|\n");
      for (RouterKind k : List.of(RouterKind.KEYWORD, RouterKind.HYBRID, RouterKind.CLASSIFIER)) {
        double rate = throughput(policy, prompts, k, threads, 3.0);
        if (k == RouterKind.HYBRID) hybridThroughput = rate;
        md.append(String.format(Locale.ROOT, "| full decision (%s) | %d | %.0f |%n", k.wireName(), threads, rate));
      }
    }
    md.append("\n## Targets\n\n| target | measured | met |\n|---|---|---|\n");
    md.append(String.format(Locale.ROOT, "| held-out accuracy >= %.1f%% (the paper's figure) | %.2f%% | %s |%n", 100 * PAPER_ACCURACY,
        100 * accuracy, met(accuracy >= PAPER_ACCURACY)));
    md.append(String.format(Locale.ROOT, "| classifier p99 < %.0f ms, one thread | %.3f ms | %s |%n", CLASSIFIER_P99_MS, classifierP99,
        met(classifierP99 < CLASSIFIER_P99_MS)));
    md.append(String.format(Locale.ROOT, "| keyword p99 < %.1f ms, one thread | %.4f ms | %s |%n", KEYWORD_P99_MS, keywordP99,
        met(keywordP99 < KEYWORD_P99_MS)));
    if (accuracy < PAPER_ACCURACY) md.append("\nHow the labels are made, and what bounds the accuracy on them: docs/classifier-labels.md.\n");
    Map<String, String> headline = new LinkedHashMap<>();
    headline.put("classifier accuracy", String.format(Locale.ROOT, "%.2f%%", 100 * accuracy));
    headline.put("keyword p99 ms", String.format(Locale.ROOT, "%.4f", keywordP99));
    headline.put("classifier p99 ms", String.format(Locale.ROOT, "%.4f", classifierP99));
    headline.put("hybrid decision p99 ms", String.format(Locale.ROOT, "%.4f", hybridDecisionP99));
    headline.put("hybrid decisions/s, all cores", String.format(Locale.ROOT, "%.0f", hybridThroughput));
    System.out.println(ResultsFile.write(a.out, "Routing benchmark", started, md.toString(), headline));
    System.out.println("wrote " + a.out.toAbsolutePath());
  }

  private static String met(boolean ok) {
    return ok ? "yes" : "**no**";
  }

  static void row(StringBuilder md, String name, Evaluation e) {
    md.append(String.format(Locale.ROOT, "| %s | %.2f%% | %.2f%% | %.2f%% | %.2f%% |%n", name, 100 * e.accuracy(),
        100 * e.recall(Tier.LOW), 100 * e.recall(Tier.MEDIUM), 100 * e.recall(Tier.HIGH)));
  }

  /** Returns the p99 in milliseconds. */
  static double timed(StringBuilder md, String name, List<String> prompts, int warmup, int n, Consumer<String> call) {
    for (int i = 0; i < warmup; i++) call.accept(prompts.get(i % prompts.size()));
    long[] ns = new long[n];
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      String p = prompts.get(i % prompts.size());
      long s = System.nanoTime();
      call.accept(p);
      ns[i] = System.nanoTime() - s;
    }
    long total = System.nanoTime() - t0;
    Arrays.sort(ns);
    double mean = Arrays.stream(ns).average().orElse(0);
    String line = String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.4f | %.3f | %.4f | %.0f |%n", name,
        ms(Percentiles.nearestRank(ns, 0.50)), ms(Percentiles.nearestRank(ns, 0.99)), ms(Percentiles.nearestRank(ns, 0.999)),
        ms(ns[n - 1]), mean / 1e6, n / (total / 1e9));
    System.out.print(line);
    md.append(line);
    return ms(Percentiles.nearestRank(ns, 0.99));
  }

  static double throughput(ComplexityRoutingPolicy policy, List<String> prompts, RouterKind k, int threads, double seconds)
      throws InterruptedException {
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int offset = t * 997;
      Thread th = new Thread(() -> {
        long local = 0;
        for (int i = offset; System.nanoTime() < end; i++) {
          policy.decide(new RouteRequest("auto", prompts.get(i % prompts.size()), Profile.BALANCED, k, 0));
          local++;
        }
        done.addAndGet(local);
      });
      ts.add(th);
    }
    long t0 = System.nanoTime();
    for (Thread th : ts) th.start();
    for (Thread th : ts) th.join();
    return done.get() / ((System.nanoTime() - t0) / 1e9);
  }

  static double ms(long ns) {
    return ns / 1e6;
  }
}
