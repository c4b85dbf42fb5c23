package io.pickspin.lab.train;

import com.typesafe.config.ConfigFactory;
import io.pickspin.lab.common.Cli;
import io.pickspin.lab.common.ResultsFile;
import io.pickspin.model.Catalog;
import io.pickspin.model.Tier;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.DjlTierClassifier;
import io.pickspin.routing.classify.HybridClassifier;
import io.pickspin.routing.classify.KeywordClassifier;
import io.pickspin.routing.matrix.Scorer;
import io.pickspin.routing.matrix.ServiceMatrix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Re-derives the profile weights the way the paper did, by grid search on validation prompts (never the held-out test
 * split): every validation prompt is classified once by the chosen router; for every weight triple (wR, wT, wC) on the
 * grid the scorer picks a model per prompt, and the run's outcome is measured as mean expected answer quality (the
 * chosen model's quality times its tier fit for the prompt's TRUE label), mean expected latency and mean cost per
 * request. Each profile's objective applies that profile's paper weights to the run outcomes min-max normalised over
 * the grid ("which per-request weights best deliver what this profile asks for in aggregate"). Ties go to the triple
 * nearest the paper's default. Prints the table and writes it, with a configuration snippet that adopts the grid's
 * weights, to bench/results/routing-grid-search.md.
 */
public final class GridSearchProfiles {
  record Outcome(double relevance, double latency, double cost, double[] w) {}

  @Command(name = "bin/grid-search-profiles", sortOptions = false, showDefaultValues = true,
      description = "Re-derives the routing profile weights by grid search over the classifier's validation prompts.")
  static final class Options {
    @Mixin Cli.Help help;
    @Option(names = "--router", description = "keyword, classifier or hybrid") String router = "hybrid";
    @Option(names = "--step", description = "grid step of each weight") double step = 0.1;
    @Option(names = "--catalog", description = "HOCON file with pickspin.models (default: "
        + DemoSetup.DEFAULT_CATALOG + ")") Path catalog;
    @Option(names = "--classifier-dir", description = "a trained classifier (default: the shipped one)") Path classifierDir;
    @Option(names = "--shared", description = "the shared directory (default ../shared)") Path shared;
    @Option(names = "--out", description = "results file") Path out = Path.of("bench/results/routing-grid-search.md");
  }

  public static void main(String[] argv) throws Exception {
    Options a = Cli.parseOrExit(new Options(), argv);
    ResultsFile.Run started = ResultsFile.Run.start(GridSearchProfiles.class, argv);
    double step = a.step;
    RouterKind router = RouterKind.parse(a.router);
    Catalog catalog = DemoSetup.catalog(a.catalog);
    Path shared = a.shared != null ? a.shared : PromptCorpus.sharedDir();
    ComplexityRoutingPolicy base =
        ComplexityRoutingPolicy.fromConfig(catalog, ConfigFactory.load().getConfig("pickspin.routing"), null);
    ServiceMatrix matrix = base.serviceMatrix();

    long[][] pairs = new long[3][3]; // [predicted][true]
    int n;
    try (DjlTierClassifier model = DemoSetup.classifier(a.classifierDir)) {
      List<LabelledPrompt> val = DemoSetup.split(model, shared).validation();
      n = val.size();
      log("%d validation prompts, router %s, catalogue %s", n, router.wireName(),
          catalog.models().stream().map(m -> m.id() + "(" + m.tier() + ")").toList());
      KeywordClassifier kw = base.keywordClassifier();
      HybridClassifier hybrid = new HybridClassifier(kw, model);
      for (LabelledPrompt p : val) {
        Classification c =
            switch (router) {
              case KEYWORD -> kw.classify(p.text());
              case CLASSIFIER -> model.classify(p.text());
              default -> hybrid.classify(p.text());
            };
        pairs[c.tier().ordinal()][p.tier().ordinal()]++;
      }
    }

    List<Outcome> grid = new ArrayList<>();
    int steps = (int) Math.round(1 / step);
    for (int i = 0; i <= steps; i++)
      for (int j = 0; j <= steps; j++)
        for (int k = 0; k <= steps; k++) {
          if (i + j + k == 0) continue;
          double[] w = {i * step, j * step, k * step};
          grid.add(evaluate(matrix, pairs, n, new Scorer.Weights(w[0], w[1], w[2]), w));
        }
    log("evaluated %d weight triples (step %.2f)", grid.size(), step);
    double[] lo = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
    double[] hi = {-Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE};
    for (Outcome o : grid) {
      double[] v = {o.relevance, o.latency, o.cost};
      for (int d = 0; d < 3; d++) {
        lo[d] = Math.min(lo[d], v[d]);
        hi[d] = Math.max(hi[d], v[d]);
      }
    }
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "Data: the classifier's validation split (%,d prompts from %s; never the held-out "
        + "test split); router %s, grid step %.2f, catalogue %s, classifier %s.%n%n", n, shared.resolve("data"),
        router.wireName(), step, a.catalog == null ? DemoSetup.DEFAULT_CATALOG : a.catalog,
        a.classifierDir == null ? "the shipped one" : a.classifierDir));
    md.append(String.format(Locale.ROOT, "Outcome per run: mean expected quality (chosen model's quality x tier fit for the "
        + "prompt's true label), mean expected latency and cost per request (latency profiles). Objective per profile: the "
        + "profile's paper weights applied to those run outcomes, min-max normalised over the %,d grid points; ties go to "
        + "the triple nearest the paper's weights.%n%n", grid.size()));
    md.append("| profile | weights (wR, wT, wC) | mean quality | mean latency ms | mean cost $/req | objective |\n");
    md.append("|---|---|---|---|---|---|\n");
    StringBuilder hocon = new StringBuilder("pickspin.routing.profiles {\n");
    StringBuilder findings = new StringBuilder();
    Map<String, String> headline = new LinkedHashMap<>();
    for (Profile p : Profile.values()) {
      double[] pw = {p.qualityWeight, p.speedWeight, p.costWeight};
      Outcome paper = evaluate(matrix, pairs, n, Scorer.Weights.of(p), pw);
      Outcome best = null;
      double bestJ = -Double.MAX_VALUE;
      for (Outcome o : grid) {
        double j = objective(o, pw, lo, hi);
        if (j > bestJ + 1e-12 || (Math.abs(j - bestJ) <= 1e-12 && distance(o.w, pw) < distance(best.w, pw))) {
          bestJ = j;
          best = o;
        }
      }
      double paperJ = objective(paper, pw, lo, hi);
      row(md, p.wireName() + " (paper)", paper, paperJ);
      row(md, p.wireName() + " (grid best)", best, bestJ);
      hocon.append(String.format(Locale.ROOT, "  %s { relevance = %.2f, latency = %.2f, cost = %.2f }%n",
          p.wireName(), best.w[0], best.w[1], best.w[2]));
      findings.append(finding(p, paper, paperJ, best, bestJ));
      headline.put(p.wireName() + " grid best", weights(best.w));
    }
    hocon.append("}");
    md.append("\nGrid-best weights as configuration (paste into application.conf to adopt them):\n```hocon\n")
        .append(hocon).append("\n```\n\n").append(findings);
    System.out.println(md);
    ResultsFile.write(a.out, "Profile weight grid search", started, md.toString(), headline);
    log("wrote %s", a.out.toAbsolutePath());
  }

  /** What the grid says about a profile's paper weights, from the two rows of the table. */
  static String finding(Profile p, Outcome paper, double paperJ, Outcome best, double bestJ) {
    if (distance(paper.w, best.w) < 1e-9) {
      return String.format(Locale.ROOT, "- %s: the paper's weights %s are the grid's best (objective %.4f).%n", p.wireName(),
          weights(paper.w), paperJ);
    }
    return String.format(Locale.ROOT, "- %s: the grid's best %s raises the objective from %.4f to %.4f against the paper's %s: "
        + "mean quality %.4f -> %.4f, latency %.0f -> %.0f ms, cost %.6f -> %.6f $ per request.%n", p.wireName(),
        weights(best.w), paperJ, bestJ, weights(paper.w), paper.relevance, best.relevance, paper.latency, best.latency,
        paper.cost, best.cost);
  }

  static String weights(double[] w) {
    return String.format(Locale.ROOT, "(%.2f, %.2f, %.2f)", w[0], w[1], w[2]);
  }

  /** The run's mean outcome when every prompt with a predicted tier gets the scorer's first choice for that tier. */
  static Outcome evaluate(ServiceMatrix matrix, long[][] pairs, int n, Scorer.Weights w, double[] raw) {
    double q = 0, l = 0, c = 0;
    for (Tier predicted : Tier.values()) {
      ServiceMatrix.Entry e = Scorer.rank(matrix, predicted, w, 0)[0].entry();
      for (Tier truth : Tier.values()) {
        long k = pairs[predicted.ordinal()][truth.ordinal()];
        q += k * matrix.relevance(e, truth);
        l += k * e.latencyMs();
        c += k * e.costPerRequest();
      }
    }
    return new Outcome(q / n, l / n, c / n, raw);
  }

  static double objective(Outcome o, double[] pw, double[] lo, double[] hi) {
    return pw[0] * norm(o.relevance, lo[0], hi[0]) + pw[1] * (1 - norm(o.latency, lo[1], hi[1]))
        + pw[2] * (1 - norm(o.cost, lo[2], hi[2]));
  }

  static double norm(double x, double lo, double hi) {
    return hi - lo < 1e-15 ? 1 : (x - lo) / (hi - lo);
  }

  static double distance(double[] a, double[] b) {
    return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);
  }

  static void row(StringBuilder md, String name, Outcome o, double j) {
    md.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.0f | %.6f | %.4f |%n", name, weights(o.w), o.relevance,
        o.latency, o.cost, j));
  }

  static void log(String fmt, Object... args) {
    System.out.printf(Locale.ROOT, "[grid-search] " + fmt + "%n", args);
    System.out.flush();
  }
}
