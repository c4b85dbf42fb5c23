package io.pickspin.lab.rl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.lab.des.LatencyModel;
import io.pickspin.lab.des.ModelFleet;
import io.pickspin.lab.des.SimSetup;
import io.pickspin.lab.rl.DoubleDqnTrainer;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.routing.Profile;
import io.pickspin.scaling.ScalingSettings;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.classify.HybridClassifier;
import io.pickspin.routing.rl.RouterState;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleBiFunction;

/**
 * Everything the RL training run and the benchmark share, loaded once: configuration, the discrete-event simulator's set-up
 * ({@link SimSetup}: calibrated latency model, answer model, the Qwen3 fleet on H100s, prompts and classifiers), the
 * calibrated servers of the fleet, token lengths, trace shapes and the environment.
 *
 * <p>Prompts are the complexity classifier's held-out test split (the DES's request prompts): on the prompts it was
 * trained on, the classifier would look better than it is.
 */
public final class RlExperiment implements AutoCloseable {
  public final Config config;
  public final SimSetup setup;
  public final ModelFleet fleet;
  public final Catalog catalog;
  public final EnvSettings env;
  public final DoubleDqnTrainer.Settings dqn;
  public final RoutingEnv routing;
  /** The classifier whose tiers the RL router sees: "hybrid" (keyword, then learned) or "keyword". */
  public final String tierSource;
  public final ComplexityClassifier rlClassifier;
  public final Workload.PromptPool prompts;
  public final int[][] lengths;
  public final double[] stableShape;
  public final double[] burstyShape;
  public final RouterState.Encoder encoder;
  /** The validation episodes' arrival shape: a trace function the benchmark does not replay. */
  public final double[] validationShape;
  public final Path shared;
  /** The product's scaling settings (pickspin-scaling.conf) for the routers' profile, as the node scales by its default one. */
  public final ScalingSettings scaling;

  /** @param tierSource hybrid or keyword */
  public RlExperiment(Config config, Path shared, String tierSource) throws IOException {
    this.config = config;
    this.shared = shared;
    Config rl = config.getConfig("pickspin.routing.rl");
    this.env = EnvSettings.fromConfig(rl.getConfig("training.env"));
    this.dqn = DoubleDqnTrainer.Settings.fromConfig(rl.getConfig("training.dqn"));
    boolean spread = SpreadFleet.NAME.equals(env.fleet());
    this.setup = SimSetup.load(shared, !"keyword".equals(tierSource), env.answerSeed(), spread ? "qwen3" : env.fleet());
    this.fleet = spread
        ? new ModelFleet(SpreadFleet.NAME, SpreadFleet.models(), setup.fleet.latency(), setup.answers, setup.prompts)
        : setup.fleet;
    this.catalog = fleet.catalog();
    List<ModelSpec> models = catalog.models();
    LatencyModel latency = fleet.latency();
    List<LatencyModel.Deployment> deployments = models.stream().map(m -> fleet.model(m.id()).deployment()).toList();
    int[] maxBatch = models.stream().mapToInt(m -> m.latency().maxBatch()).toArray();
    ServerModel servers = new CalibratedServers.Model(latency, deployments, maxBatch);
    double[] thinking = SpreadFleet.outputFactors(fleet, env.thinkingOutputFactor());
    if (java.util.Arrays.stream(thinking).anyMatch(f -> f != 1)) servers = new ThinkingServers(servers, thinking);
    this.routing = new RoutingEnv(catalog, servers, env.reward(), env.regretWeight(), env.gpuWeight());
    if (setup.learned.isPresent()) {
      this.tierSource = "hybrid";
      this.rlClassifier = new MemoClassifier(new HybridClassifier(setup.keyword, setup.learned.get()));
    } else if ("keyword".equals(tierSource) || "hybrid".equals(tierSource)) {
      this.tierSource = "keyword";
      this.rlClassifier = new MemoClassifier(setup.keyword);
    } else {
      throw new IllegalArgumentException("tier source must be hybrid or keyword, got " + tierSource);
    }
    String[] rows = models.stream().map(m -> fleet.model(m.id()).qualityRow()).toArray(String[]::new);
    this.prompts = Workload.PromptPool.classify(setup.prompts, rlClassifier, p -> {
      double[] u = new double[rows.length];
      for (int i = 0; i < rows.length; i++) u[i] = setup.answers.pCorrect(rows[i], p);
      return u;
    });
    this.lengths = Workload.tokenLengths(shared.resolve("data/azure_llm_inference_2023/AzureLLMInferenceTrace_conv.csv"),
        env.maxInputTokens(), env.maxOutputTokens());
    Path trace = shared.resolve(env.traceFile());
    this.stableShape = Workload.traceShape(trace, env.stableShape());
    this.burstyShape = Workload.traceShape(trace, env.burstyShape());
    this.validationShape = Workload.traceShape(trace, env.validationShape());
    this.encoder = new RouterState.Encoder(routing.modelIds(), maxBatch, env.scales(), RouterState.Layout.CURRENT);
    this.scaling = setup.scaling.forProfile(Profile.BALANCED);
  }

  /** The configuration with pickspin-rl.conf as a fallback, for as long as actors' reference.conf does not include it. */
  public static Config loadConfig(Map<String, String> overrides) {
    return ConfigFactory.load(ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.parseResources("pickspin-rl.conf")));
  }

  /** The large model's idle latency for (input, output) tokens: deadlines are stated relative to it. */
  public ToDoubleBiFunction<Integer, Integer> referenceMs() {
    int peak = routing.peakModel();
    return (in, out) -> routing.servers().idleServiceMs(peak, in, out);
  }

  /** A fresh production complexity router (its own service matrix) over the fleet. */
  public ComplexityRoutingPolicy complexityRouter() {
    return setup.complexityRouter(fleet);
  }

  /**
   * A simulator of {@code replicas}: fixed, or ({@code scaled}) the starting point of the product's scaler, which
   * resizes each pool as the load goes ({@link ScaledServers}).
   */
  public ServingSimulator newSimulator(int[] replicas, boolean scaled) {
    return scaled ? routing.newScaledSimulator(replicas, scaling) : routing.newSimulator(replicas);
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
    setup.close();
  }

  /** Without a logback file the default is DEBUG on the console, which buries the progress lines (DJL is chatty). */
  public static void quietLogging() {
    if (System.getProperty("logback.configurationFile") != null) return;
    if (org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root)
      root.setLevel(ch.qos.logback.classic.Level.WARN);
  }
}
