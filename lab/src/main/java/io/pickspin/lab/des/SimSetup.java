package io.pickspin.lab.des;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.pool.PoolSettings;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.classify.Classifiers;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.classify.HybridClassifier;
import io.pickspin.routing.classify.KeywordClassifier;
import io.pickspin.routing.rl.ArrivalRateEstimator;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.RlRoutingPolicy;
import io.pickspin.routing.rl.RlSettings;
import io.pickspin.lab.train.LabelledPrompt;
import io.pickspin.lab.train.PromptCorpus;
import io.pickspin.lab.train.TrainClassifier;
import io.pickspin.scaling.ScalingSettings;
import io.pickspin.lab.rl.MemoClassifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Everything a simulation study loads once: the production configuration (routing, scaling and pool settings as
 * shipped), the calibrated latency model, the prompt corpus and its held-out split, the answer model, the fleet, and
 * the learned classifier (memoised per prompt: the same prompts recur many times).
 */
public final class SimSetup implements AutoCloseable {
  public final Path shared;
  public final Config config;
  public final LatencyCalibration.Result calibration;
  /** The whole labelled corpus and the classifier's held-out test split (the prompts requests carry). */
  public final List<LabelledPrompt> corpus, prompts;
  public final AnswerModel answers;
  public final ModelFleet fleet;
  public final ScalingSettings scaling;
  public final PoolSettings pool;
  public final KeywordClassifier keyword;
  /** The learned classifier (memoised), if it loaded. */
  public final Optional<ComplexityClassifier> learned;

  private SimSetup(Path shared, Config config, LatencyCalibration.Result calibration, List<LabelledPrompt> corpus,
      List<LabelledPrompt> prompts, AnswerModel answers, ModelFleet fleet, Optional<ComplexityClassifier> learned) {
    this.shared = shared;
    this.config = config;
    this.calibration = calibration;
    this.corpus = corpus;
    this.prompts = prompts;
    this.answers = answers;
    this.fleet = fleet;
    this.scaling = ScalingSettings.fromConfig(config.getConfig("pickspin.scaling"));
    this.pool = PoolSettings.fromConfig(config.getConfig("pickspin.pool"));
    this.keyword = KeywordClassifier.fromConfig(config.getConfig("pickspin.routing.keyword"));
    this.learned = learned;
  }

  /**
   * @param withClassifier load the shipped learned classifier (DJL/PyTorch); without it classifier and hybrid routing
   *     fall back to the keyword rules, as the product does
   */
  public static SimSetup load(Path shared, boolean withClassifier, long seed) throws IOException {
    return load(shared, withClassifier, seed, "qwen3");
  }

  /** @param fleetName the fleet to serve: qwen3 or mixed ({@link ModelFleet#named}) */
  public static SimSetup load(Path shared, boolean withClassifier, long seed, String fleetName) throws IOException {
    Config config = ConfigFactory.load(ConfigFactory.parseResources("pickspin-rl.conf"));
    LatencyCalibration.Result cal = LatencyCalibration.fit(shared);
    List<LabelledPrompt> corpus = PromptCorpus.load(shared, PromptCorpus.Rule.DIFFICULTY);
    List<LabelledPrompt> test =
        PromptCorpus.split(corpus, TrainClassifier.DEFAULT_SEED, TrainClassifier.TEST_FRACTION, TrainClassifier.VALIDATION_FRACTION).test();
    AnswerModel answers = AnswerModel.fit(shared, corpus, seed);
    ModelFleet fleet = new ModelFleet(fleetName, ModelFleet.named(fleetName), cal.model(), answers, test);
    Optional<ComplexityClassifier> learned = withClassifier
        ? Classifiers.fromConfig(config.getConfig("pickspin.routing.classifier")).map(MemoClassifier::new)
        : Optional.empty();
    return new SimSetup(shared, config, cal, corpus, test, answers, fleet, learned);
  }

  /** A fresh production complexity router (its own service matrix) over a fleet's catalogue. */
  public ComplexityRoutingPolicy complexityRouter(ModelFleet fleet) {
    return ComplexityRoutingPolicy.fromConfig(fleet.catalog(), config.getConfig("pickspin.routing"), learned.orElse(null));
  }

  /**
   * The production RL router over the simulator's pools and clock, with the shipped policy file and the hybrid
   * classifier as its tier source; empty when the policy cannot be loaded.
   */
  public Optional<Scenario.RouterFactory> rlRouter(ModelFleet fleet) {
    DqnPolicy policy;
    RlSettings rl;
    try {
      rl = RlSettings.fromConfig(config.getConfig("pickspin.routing.rl"));
      policy = rl.loadPolicy();
    } catch (IOException | RuntimeException e) {
      System.err.println("[simulate] RL policy unavailable, no RL row: " + e);
      return Optional.empty();
    }
    ComplexityClassifier tiers = learned.<ComplexityClassifier>map(c -> new MemoClassifier(new HybridClassifier(keyword, c)))
        .orElse(keyword);
    return Optional.of((pools, clock) -> new RlRoutingPolicy(fleet.catalog(), policy, tiers, pools,
        new ArrivalRateEstimator(rl.rateTimeConstant().toMillis()), clock, rl.defaultDeadlineMs()));
  }

  @Override
  public void close() {
    learned.ifPresent(ComplexityClassifier::close);
  }
}
