package io.pickspin.lab.des;

import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.lab.train.LabelledPrompt;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The models a simulation serves: how each is deployed (architecture, GPU, tensor parallelism), which quality row
 * grades its answers, and the production catalogue built from them (latency profile from the latency model, quality
 * = expected accuracy on the prompt mix).
 */
public final class ModelFleet {
  /**
   * One model.
   *
   * @param qualityRow the model's row in the Qwen3 report tables (model_quality/qwen3_tech_report_tables.csv)
   * @param maxReplicas the scaler's and the static sizing's bound (64: room for the 4x time-compressed traces)
   */
  public record Model(String id, Tier tier, String qualityRow, LatencyModel.Deployment deployment, int maxReplicas) {}

  /** Price of one GPU hour, dollars: an assumption (no price data in ../shared); the demo catalogue uses the same. */
  public static final double H100_HOURLY_USD = 2.50;
  /** Prompt length the catalogue's latency profile (TTFT) is quoted for, and the output it plans with. */
  public static final int NOMINAL_INPUT = 1024, NOMINAL_OUTPUT = 256;

  /** A fleet by name: "qwen3" (the default) or "mixed". */
  public static List<Model> named(String name) {
    return switch (name) {
      case "qwen3" -> qwen3Family();
      case "mixed" -> mixedFamilies();
      default -> throw new IllegalArgumentException("unknown fleet " + name + ", expected qwen3 or mixed");
    };
  }

  /**
   * One family in three sizes on H100s, non-thinking mode: Qwen3-8B and Qwen3-14B on one GPU each, Qwen3-32B with
   * tensor parallel 2. Quality from the same tables (Qwen3 report, Tables 14/16/18).
   */
  public static List<Model> qwen3Family() {
    return List.of(
        new Model("qwen3-8b", Tier.LOW, "Qwen3-8B(non-thinking)",
            new LatencyModel.Deployment(ModelArchitecture.QWEN_3_8B, "h100", 1), 64),
        new Model("qwen3-14b", Tier.MEDIUM, "Qwen3-14B(non-thinking)",
            new LatencyModel.Deployment(ModelArchitecture.QWEN_3_14B, "h100", 1), 64),
        new Model("qwen3-32b", Tier.HIGH, "Qwen3-32B(non-thinking)",
            new LatencyModel.Deployment(ModelArchitecture.QWEN_3_32B, "h100", 2), 64));
  }

  /**
   * Three families, as the paper mixes them: Llama-3.1-8B-Instruct on one H100, Gemma-3-27B-IT on one (as the paper's
   * Helm chart runs gemma3), Qwen3-32B with tensor parallel 2; quality from the same tables.
   */
  public static List<Model> mixedFamilies() {
    return List.of(
        new Model("llama-3.1-8b", Tier.LOW, "Llama-3.1-8B-Instruct",
            new LatencyModel.Deployment(ModelArchitecture.LLAMA_3_8B, "h100", 1), 64),
        new Model("gemma-3-27b", Tier.MEDIUM, "Gemma-3-27B-IT",
            new LatencyModel.Deployment(ModelArchitecture.GEMMA_3_27B, "h100", 1), 64),
        new Model("qwen3-32b", Tier.HIGH, "Qwen3-32B(non-thinking)",
            new LatencyModel.Deployment(ModelArchitecture.QWEN_3_32B, "h100", 2), 64));
  }

  private final Map<String, Model> models = new LinkedHashMap<>();
  private final List<LabelledPrompt> promptMix;
  private final Catalog catalog;
  private final LatencyModel latency;
  private final AnswerModel answers;

  private final String name;
  private final int input, output;

  public ModelFleet(String name, List<Model> models, LatencyModel latency, AnswerModel answers, List<LabelledPrompt> promptMix) {
    this(name, models, latency, answers, promptMix, NOMINAL_INPUT, NOMINAL_OUTPUT);
  }

  /**
   * @param input prompt length the catalogue's latency profile is quoted for (its TTFT)
   * @param output output length of the profile's time per output token
   */
  public ModelFleet(String name, List<Model> models, LatencyModel latency, AnswerModel answers, List<LabelledPrompt> promptMix,
      int input, int output) {
    this.name = name;
    this.input = input;
    this.output = output;
    this.latency = latency;
    this.answers = answers;
    this.promptMix = List.copyOf(promptMix);
    List<ModelSpec> specs = new ArrayList<>();
    for (Model m : models) {
      this.models.put(m.id(), m);
      specs.add(new ModelSpec(m.id(), m.tier(), m.qualityRow(), answers.expectedAccuracy(m.qualityRow(), promptMix),
          m.deployment().tensorParallel(), H100_HOURLY_USD, latency.profile(m.deployment(), input, output),
          0, m.maxReplicas(), List.of()));
    }
    this.catalog = new Catalog(specs);
  }

  /** The same models with replica concurrency (max batch) sized for requests of {@code contextTokens}. */
  public ModelFleet forContext(int contextTokens) {
    return new ModelFleet(name, models(), latency.withNominalContext(contextTokens), answers, promptMix, input, output);
  }

  /**
   * The same models with the catalogue profiled on a workload, as an operator benchmarks a model on the requests it
   * will serve: concurrency (max batch) and batch curve for {@code contextTokens}, TTFT of a {@code inputTokens}
   * prompt, time per token at {@code outputTokens}.
   */
  public ModelFleet forWorkload(int contextTokens, int inputTokens, int outputTokens) {
    return new ModelFleet(name, models(), latency.withNominalContext(contextTokens), answers, promptMix,
        Math.max(1, inputTokens), Math.max(1, outputTokens));
  }

  /** The same models with at most {@code maxBatch} sequences per replica (the pool's slots and the engine's batch). */
  public ModelFleet withMaxBatch(int maxBatch) {
    return new ModelFleet(name, models(), latency.withMaxSeqs(maxBatch), answers, promptMix, input, output);
  }

  /** Another fleet on the same latency and answer models and prompt mix. */
  public ModelFleet other(String fleetName) {
    return new ModelFleet(fleetName, named(fleetName), latency, answers, promptMix, input, output);
  }

  public String name() {
    return name;
  }

  public Catalog catalog() {
    return catalog;
  }

  public LatencyModel latency() {
    return latency;
  }

  public AnswerModel answers() {
    return answers;
  }

  public Model model(String id) {
    Model m = models.get(id);
    if (m == null) throw new IllegalArgumentException("unknown model " + id);
    return m;
  }

  public List<Model> models() {
    return List.copyOf(models.values());
  }

  /** The largest-tier model (deadlines are stated against it). */
  public Model reference() {
    return models.values().stream().max(java.util.Comparator.comparingInt((Model m) -> m.tier().ordinal())
        .thenComparingDouble(m -> m.deployment().arch().totalParams())).orElseThrow();
  }

  /** Whether model {@code id} answers {@code p} correctly (deterministic). */
  public boolean correct(String id, LabelledPrompt p) {
    return answers.correct(model(id).qualityRow(), p);
  }
}
