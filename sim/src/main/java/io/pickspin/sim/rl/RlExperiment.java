package io.pickspin.sim.rl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Catalog;
import io.pickspin.model.Tier;
import io.pickspin.routing.classify.Classifiers;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.classify.HybridClassifier;
import io.pickspin.routing.classify.KeywordClassifier;
import io.pickspin.routing.matrix.TierFit;
import io.pickspin.routing.rl.DoubleDqnTrainer;
import io.pickspin.routing.rl.RouterState;
import io.pickspin.routing.train.LabelledPrompt;
import io.pickspin.routing.train.PromptCorpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the RL training run and the benchmark share, loaded once: configuration, the catalogue, the prompts and
 * their classification, output lengths, trace shapes and the environment.
 *
 * <p>Prompts are the complexity classifier's held-out test split (PromptCorpus, seed 42, 10 %/10 %): on the prompts it
 * was trained on, the classifier would look better than it is.
 */
public final class RlExperiment implements AutoCloseable {
  public static final String DEMO_CATALOG = "cluster/src/main/resources/application.conf";

  public final Config config;
  public final Catalog catalog;
  public final EnvSettings env;
  public final DoubleDqnTrainer.Settings dqn;
  public final RoutingEnv routing;
  public final ComplexityClassifier keyword;
  /** The learned classifier, if it loaded. */
  public final Optional<ComplexityClassifier> learned;
  /** The classifier whose tiers the RL router sees: "hybrid" (keyword, then learned) or "keyword". */
  public final String tierSource;
  public final ComplexityClassifier rlClassifier;
  public final Workload.PromptPool prompts;
  public final int[] outputTokens;
  public final double[] stableShape;
  public final double[] burstyShape;
  public final RouterState.Encoder encoder;
  public final Path shared;

  /**
   * @param catalogFile a HOCON file with a pickspin.models list (the demo catalogue of cluster/ by default)
   * @param tierSource hybrid or keyword
   */
  public RlExperiment(Config config, Path shared, Path catalogFile, String tierSource) throws IOException {
    this.config = config;
    this.shared = shared;
    if (!Files.isRegularFile(catalogFile)) throw new IOException("catalogue file " + catalogFile + " not found (--catalog)");
    // endpoints do not matter in simulation (the demo catalogue's sim backends have ports, not URLs)
    this.catalog = Catalog.fromConfig(ConfigFactory.parseFile(catalogFile.toFile()).resolve()
        .getConfigList("pickspin.models").stream().map(m -> m.withoutPath("backends")).toList());
    Config rl = config.getConfig("pickspin.routing.rl");
    this.env = EnvSettings.fromConfig(rl.getConfig("training.env"));
    this.dqn = DoubleDqnTrainer.Settings.fromConfig(rl.getConfig("training.dqn"));
    Config routingConf = config.getConfig("pickspin.routing");
    this.routing = new RoutingEnv(catalog, TierFit.fromConfig(routingConf.getConfig("matrix.tier-fit")), env.reward(),
        env.batchTpotSlope());
    this.keyword = KeywordClassifier.fromConfig(routingConf.getConfig("keyword"));
    this.learned = Classifiers.fromConfig(routingConf.getConfig("classifier"));
    if ("hybrid".equals(tierSource) && learned.isPresent()) {
      this.tierSource = "hybrid";
      this.rlClassifier = new MemoClassifier(new HybridClassifier((KeywordClassifier) keyword, learned.get()));
    } else if ("keyword".equals(tierSource) || "hybrid".equals(tierSource)) {
      this.tierSource = "keyword";
      this.rlClassifier = new MemoClassifier(keyword);
    } else {
      throw new IllegalArgumentException("tier source must be hybrid or keyword, got " + tierSource);
    }
    List<LabelledPrompt> all = PromptCorpus.load(shared, PromptCorpus.Rule.DIFFICULTY);
    List<LabelledPrompt> heldOut = PromptCorpus.split(all, 42, 0.10, 0.10).test();
    this.prompts = Workload.PromptPool.classify(heldOut, rlClassifier);
    this.outputTokens = Workload.outputTokens(
        shared.resolve("data/azure_llm_inference_2023/AzureLLMInferenceTrace_conv.csv"), env.maxOutputTokens());
    Path trace = shared.resolve(env.traceFile());
    this.stableShape = Workload.traceShape(trace, env.stableShape());
    this.burstyShape = Workload.traceShape(trace, env.burstyShape());
    int[] maxBatch = routing.models().stream().mapToInt(m -> m.latency().maxBatch()).toArray();
    this.encoder = new RouterState.Encoder(routing.modelIds(), maxBatch, env.scales());
  }

  /** The configuration with pickspin-rl.conf as a fallback, for as long as actors' reference.conf does not include it. */
  public static Config loadConfig(Map<String, String> overrides) {
    Config c = ConfigFactory.load(ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.parseResources("pickspin-rl.conf")));
    return c;
  }

  /** The large model's latency profile: deadlines are stated relative to it. */
  public io.pickspin.model.LatencyProfile reference() {
    return routing.models().get(routing.peakModel()).latency();
  }

  /** The mixed deployment the policy is trained for. */
  public int[] mixedReplicas() {
    return routing.replicas(env.replicas());
  }

  public String describePrompts() {
    StringBuilder s = new StringBuilder();
    for (Tier t : Tier.values()) {
      double[] c = prompts.confusion(t);
      s.append(String.format("%s %d (router sees L/M/H %.0f/%.0f/%.0f%%)  ", t, prompts.size(t), 100 * c[0], 100 * c[1], 100 * c[2]));
    }
    return s.toString().trim();
  }

  @Override
  public void close() {
    learned.ifPresent(ComplexityClassifier::close);
  }
}
