package io.pickspin.lab.des;

import io.pickspin.lab.common.CsvTable;
import io.pickspin.lab.train.LabelledPrompt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Whether a model answers a prompt correctly: a one-factor Gaussian model of per-prompt difficulty, calibrated on
 * real data.
 *
 * <p>Model M answers prompt p of benchmark B correctly when {@code sqrt(rho) z_p + sqrt(1 - rho) e_{M,p} <
 * Phi^-1(acc_{M,B})}, with z_p the prompt's difficulty and e an independent draw per (model, prompt). Each model
 * therefore keeps exactly its published accuracy acc_{M,B} on the benchmark (averaged over prompts), and two models
 * agree on a prompt as often as the factor weight rho makes them.
 *
 * <ul>
 *   <li>acc_{M,B}: the Qwen3 technical report's instruct tables (model_quality/qwen3_tech_report_tables.csv), one
 *       harness for every model; each prompt source maps to the nearest benchmark of those tables ({@link
 *       #BENCHMARK_OF_SOURCE}, several are proxies).
 *   <li>rho: fitted so that the one-factor model reproduces how often Mixtral-8x7B and GPT-4 are both right on the
 *       same prompt in RouteLLM's per-prompt results (routellm_evals MMLU and GSM8K).
 *   <li>z_p: for MMLU and GSM8K prompts drawn from its posterior given which of those two models were right (the
 *       signal the prompt corpus keeps: weak-correct, strong-only, both-wrong); for MATH prompts within the band of
 *       its difficulty level (levels ordered, band widths = level shares of MATH); otherwise from N(0, 1).
 * </ul>
 *
 * Draws are deterministic per (seed, prompt id, model). Not thread-safe (lazy cache).
 */
public final class AnswerModel {
  /** Prompt source (PromptCorpus) to the benchmark of the Qwen3 report tables whose accuracy it takes. */
  public static final Map<String, String> BENCHMARK_OF_SOURCE = sourceMap();
  public static final String DEFAULT_BENCHMARK = "MMLU-Redux";
  static final String WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1";
  static final String STRONG = "gpt-4-1106-preview";

  private static Map<String, String> sourceMap() {
    Map<String, String> m = new LinkedHashMap<>();
    for (String s : List.of("mmlu", "arc-challenge", "commonsenseqa", "truthfulqa")) m.put(s, "MMLU-Redux");
    for (String s : List.of("gsm8k", "math")) m.put(s, "MATH-500");
    for (String s : List.of("aime24", "amc23", "olympiadbench", "minerva_math")) m.put(s, "AIME'24");
    for (String s : List.of("arena-hard-v0.1", "arena-hard-v2.0", "mt-bench")) m.put(s, "Arena-Hard");
    m.put("arena-creative-v2.0", "Creative Writing v3");
    m.put("bbh", "AutoLogi");
    for (String s : List.of("humaneval", "mbpp")) m.put(s, "LiveCodeBench v5");
    for (String s : List.of("lima", "alpaca", "alpaca-seed")) m.put(s, "IFEval strict prompt");
    return Map.copyOf(m);
  }

  /** Reference pair of a RouteLLM source: accuracies of the weak and strong model, both-right share, fitted rho. */
  public record Reference(String source, int prompts, double weakAccuracy, double strongAccuracy, double bothRight, double rho) {}

  private final Map<String, Map<String, Double>> scores; // table model -> benchmark -> accuracy in [0,1]
  private final Map<String, Reference> references;
  private final double rho;
  private final double[] mathLevelCumulative; // P(level <= i), i = 0..5
  private final long seed;
  private final Map<String, Double> difficulty = new HashMap<>();

  AnswerModel(Map<String, Map<String, Double>> scores, Map<String, Reference> references, double[] mathLevelCumulative, long seed) {
    this.scores = scores;
    this.references = references;
    this.rho = references.values().stream().mapToDouble(Reference::rho).average().orElse(0.5);
    this.mathLevelCumulative = mathLevelCumulative;
    this.seed = seed;
  }

  /** Loads the tables and fits rho; {@code corpus} gives the MATH level shares. */
  public static AnswerModel fit(Path shared, List<LabelledPrompt> corpus, long seed) throws IOException {
    Path data = shared.resolve("data");
    Map<String, Map<String, Double>> scores = new HashMap<>();
    CsvTable t = CsvTable.read(data.resolve("model_quality/qwen3_tech_report_tables.csv"));
    int model = t.column("model"), bench = t.column("benchmark"), score = t.column("score");
    for (List<String> r : t.rows()) {
      scores.computeIfAbsent(r.get(model), k -> new HashMap<>()).putIfAbsent(r.get(bench), Double.parseDouble(r.get(score)) / 100);
    }
    Map<String, Reference> refs = new TreeMap<>();
    List<Path> mmlu;
    try (Stream<Path> s = Files.list(data.resolve("routellm_evals/mmlu_responses"))) {
      mmlu = s.filter(p -> p.toString().endsWith(".csv")).sorted().toList();
    }
    refs.put("mmlu", reference("mmlu", mmlu));
    refs.put("gsm8k", reference("gsm8k", List.of(data.resolve("routellm_evals/gsm8k/gsm8k_responses.csv"))));
    int[] levels = new int[6];
    for (LabelledPrompt p : corpus) {
      if (p.source().equals("math") && p.signal().startsWith("level-"))
        levels[Math.max(1, Math.min(5, Integer.parseInt(p.signal().substring(6))))]++;
    }
    double total = levels[1] + levels[2] + levels[3] + levels[4] + levels[5];
    double[] cum = new double[6];
    for (int i = 1; i <= 5; i++) cum[i] = cum[i - 1] + (total == 0 ? 0.2 : levels[i] / total);
    return new AnswerModel(scores, refs, cum, seed);
  }

  static Reference reference(String source, List<Path> files) throws IOException {
    long n = 0, w = 0, s = 0, both = 0;
    for (Path f : files) {
      CsvTable csv = CsvTable.read(f);
      int wc = csv.column(WEAK), sc = csv.column(STRONG);
      for (List<String> r : csv.rows()) {
        boolean wr = Boolean.parseBoolean(r.get(wc).trim()), sr = Boolean.parseBoolean(r.get(sc).trim());
        n++;
        if (wr) w++;
        if (sr) s++;
        if (wr && sr) both++;
      }
    }
    double aw = (double) w / n, as = (double) s / n, p11 = (double) both / n;
    return new Reference(source, (int) n, aw, as, p11, fitRho(aw, as, p11));
  }

  /** The factor weight at which the one-factor model gives both-right share p11 for accuracies aw and as. */
  static double fitRho(double aw, double as, double p11) {
    double tw = Gaussian.inverseCdf(aw), ts = Gaussian.inverseCdf(as);
    double lo = 0, hi = 0.995;
    if (Gaussian.bivariateCdf(tw, ts, hi) <= p11) return hi;
    if (Gaussian.bivariateCdf(tw, ts, lo) >= p11) return lo;
    for (int i = 0; i < 60; i++) {
      double mid = (lo + hi) / 2;
      if (Gaussian.bivariateCdf(tw, ts, mid) < p11) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  }

  public double rho() {
    return rho;
  }

  public Map<String, Reference> references() {
    return references;
  }

  public static String benchmarkFor(String source) {
    return BENCHMARK_OF_SOURCE.getOrDefault(source, DEFAULT_BENCHMARK);
  }

  /** Published accuracy of a table model on the benchmark a source maps to. */
  public double accuracy(String tableModel, String source) {
    Map<String, Double> m = scores.get(tableModel);
    if (m == null) throw new IllegalArgumentException("no quality row for model " + tableModel);
    Double a = m.get(benchmarkFor(source));
    if (a == null) throw new IllegalArgumentException("no " + benchmarkFor(source) + " score for " + tableModel);
    return a;
  }

  /** Probability that the model answers this prompt correctly, given the prompt's difficulty. */
  public double pCorrect(String tableModel, LabelledPrompt p) {
    double t = Gaussian.inverseCdf(accuracy(tableModel, p.source()));
    return Gaussian.cdf((t - Math.sqrt(rho) * difficulty(p)) / Math.sqrt(1 - rho));
  }

  /** One deterministic draw per (seed, prompt, model). */
  public boolean correct(String tableModel, LabelledPrompt p) {
    SplittableRandom r = new SplittableRandom(mix(seed, p.id().hashCode() * 31L + tableModel.hashCode()));
    return r.nextDouble() < pCorrect(tableModel, p);
  }

  /** Mean probability of a correct answer over the prompts: the model's expected accuracy on this mix. */
  public double expectedAccuracy(String tableModel, List<LabelledPrompt> prompts) {
    double s = 0;
    for (LabelledPrompt p : prompts) s += pCorrect(tableModel, p);
    return s / prompts.size();
  }

  /** The prompt's difficulty z_p (higher is harder), drawn once per prompt. */
  double difficulty(LabelledPrompt p) {
    Double z = difficulty.get(p.id());
    if (z == null) {
      z = drawDifficulty(p);
      difficulty.put(p.id(), z);
    }
    return z;
  }

  private double drawDifficulty(LabelledPrompt p) {
    SplittableRandom r = new SplittableRandom(mix(seed, p.id().hashCode()));
    Reference ref = references.get(p.source());
    String sig = p.signal();
    if (ref != null && (sig.equals("weak-correct") || sig.equals("strong-only") || sig.equals("both-wrong"))) {
      double tw = Gaussian.inverseCdf(ref.weakAccuracy()), ts = Gaussian.inverseCdf(ref.strongAccuracy());
      double a = Math.sqrt(ref.rho()), b = Math.sqrt(1 - ref.rho());
      for (int i = 0; i < 100_000; i++) {
        double z = normal(r);
        boolean w = a * z + b * normal(r) < tw;
        boolean s = a * z + b * normal(r) < ts;
        boolean match = sig.equals("weak-correct") ? w : sig.equals("strong-only") ? !w && s : !w && !s;
        if (match) return z;
      }
      throw new IllegalStateException("cannot draw a difficulty consistent with " + sig);
    }
    if (p.source().equals("math") && sig.startsWith("level-")) {
      int level = Math.max(1, Math.min(5, Integer.parseInt(sig.substring(6))));
      double u = mathLevelCumulative[level - 1] + r.nextDouble() * (mathLevelCumulative[level] - mathLevelCumulative[level - 1]);
      return Gaussian.inverseCdf(u);
    }
    return normal(r);
  }

  private static double normal(SplittableRandom r) {
    return Gaussian.inverseCdf(r.nextDouble());
  }

  static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Table models that have every benchmark the sources map to. */
  public List<String> completeModels() {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, Double>> e : scores.entrySet()) {
      if (e.getValue().keySet().containsAll(BENCHMARK_OF_SOURCE.values())) out.add(e.getKey());
    }
    out.sort(String::compareTo);
    return out;
  }
}
