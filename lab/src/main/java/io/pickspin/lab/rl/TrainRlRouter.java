package io.pickspin.lab.rl;

import io.pickspin.lab.common.Cli;
import io.pickspin.lab.rl.DoubleDqnTrainer;
import io.pickspin.lab.train.PromptCorpus;
import io.pickspin.model.ModelSpec;
import io.pickspin.routing.rl.ArrivalRateEstimator;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.QNetwork;
import io.pickspin.routing.rl.RlRoutingPolicy;
import io.pickspin.routing.rl.RouterState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Trains the best-effort router with Double DQN inside the simulated deployment and writes the policy file. Each
 * episode replays a trace-shaped workload (alternately the stable sum of all functions and a bursty single function of
 * the Azure Functions sample) at a log-uniform mean rate with a shifting task mix; every arrival is one decision, its
 * reward arrives when the request completes or gives up. Every {@code eval-every} episodes the greedy policy is
 * evaluated through the product's own RlRoutingPolicy ({@link Routers#rl}) on fixed workloads, and the best one is kept.
 *
 * <p>The environment is the discrete-event simulator's calibrated server model ({@link CalibratedServers} over the DES's
 * LatencyModel and fleet); the policy's actions name the fleet's models and carry their tiers, which is how a node with
 * another catalogue (the demo one) binds them (see {@link io.pickspin.routing.rl.RlRoutingPolicy}).
 *
 * <p>Run with {@code bin/train-rl-router [options]} ({@code --help} lists them); options left out come from
 * {@code pickspin.routing.rl.training} (core/src/main/resources/pickspin-rl.conf).
 */
public final class TrainRlRouter {
  private TrainRlRouter() {}

  @Command(name = "bin/train-rl-router", sortOptions = false, showDefaultValues = true,
      description = "Trains the learned best-effort router (Double DQN) on the simulated deployment and writes its policy.")
  static final class Options {
    @Mixin Cli.Help help;
    @Option(names = "--episodes", description = "training episodes (default: the configuration's)") Integer episodes;
    @Option(names = "--episode-seconds", description = "virtual seconds per episode (default: the configuration's)") Integer episodeSeconds;
    @Option(names = "--seed", description = "training seed (default: the configuration's)") Long seed;
    @Option(names = "--reward", description = "hard or soft (default: the configuration's)") String reward;
    @Option(names = "--regret-weight", description = "reward shaping weight (default: the configuration's)") Double regretWeight;
    @Option(names = "--gpu-weight", description = "reward lost per GPU-second of the choice (default: the configuration's)") Double gpuWeight;
    @Option(names = "--fleet", description = "qwen3 or mixed (default: the configuration's)") String fleet;
    @Option(names = "--tier-source", description = "hybrid or keyword") String tierSource = "hybrid";
    @Option(names = "--scaler", description = "train and validate with the product's scaler resizing the pools (default: the configuration's)")
    Boolean scaler;
    @Option(names = "--out", description = "policy file") Path out = Path.of("core/src/main/resources/pickspin/rl/policy.json");
    @Option(names = "--shared", description = "the shared directory (default ../shared)") Path shared;
  }

  public static void main(String[] argv) throws Exception {
    Options a = Cli.parseOrExit(new Options(), argv);
    RlExperiment.quietLogging();
    Map<String, String> overrides = new HashMap<>();
    String p = "pickspin.routing.rl.training.";
    if (a.episodes != null) overrides.put(p + "env.episodes", a.episodes.toString());
    if (a.episodeSeconds != null) overrides.put(p + "env.episode", a.episodeSeconds + "s");
    if (a.seed != null) overrides.put(p + "dqn.seed", a.seed.toString());
    if (a.reward != null) overrides.put(p + "env.reward.mode", a.reward);
    if (a.regretWeight != null) overrides.put(p + "env.reward.regret-weight", a.regretWeight.toString());
    if (a.gpuWeight != null) overrides.put(p + "env.reward.gpu-weight", a.gpuWeight.toString());
    if (a.fleet != null) overrides.put(p + "env.fleet", a.fleet);
    if (a.scaler != null) overrides.put(p + "env.scaler", a.scaler.toString());
    Path out = a.out.toAbsolutePath();
    Path shared = a.shared != null ? a.shared : PromptCorpus.sharedDir();

    long t0 = System.nanoTime();
    try (RlExperiment x = new RlExperiment(RlExperiment.loadConfig(overrides), shared, a.tierSource)) {
      log(t0, "DES fleet %s %s (calibrated latency model, max batch %s), mixed deployment %s = %d GPUs%s", x.fleet.name(),
          x.routing.modelIds(), x.catalog.models().stream().map(m -> m.latency().maxBatch()).toList(),
          replicasText(x, x.mixedReplicas()), x.routing.gpus(x.mixedReplicas()),
          x.env.scaler() ? ", resized by the product's scaler from there" : " (fixed)");
      log(t0, "prompts (held-out split, tier source %s): %s", x.tierSource, x.describePrompts());
      log(t0, "reward %s (late penalty %.2f, regret weight %.1f, gpu weight %.2f), deadline slack %s x large-model latency, %d episodes of %d s, rates %.1f-%.1f/s",
          x.env.reward().mode(), x.env.reward().latePenalty(), x.env.regretWeight(), x.env.gpuWeight(), x.env.deadlineSlack(), x.env.episodes(),
          x.env.episodeMs() / 1000, x.env.rateMin(), x.env.rateMax());
      DqnPolicy policy = train(x, t0, out);
      policy.write(out);
      log(t0, "wrote %s", out);
    }
  }

  /**
   * Trains and returns the best greedy policy. Every new best is also written to {@code checkpoint} (when not null),
   * so that a run that dies late (a shared build directory rebuilt under it, the machine's time limit) still leaves
   * the best policy so far.
   */
  static DqnPolicy train(RlExperiment x, long t0, Path checkpoint) throws java.io.IOException {
    EnvSettings env = x.env;
    DoubleDqnTrainer.Settings dqn = x.dqn;
    int models = x.routing.models().size();
    int[] replicas = x.mixedReplicas();
    Random rng = new Random(dqn.seed());
    List<Map<String, Object>> evals = new ArrayList<>();
    double bestEval = Double.NEGATIVE_INFINITY;
    QNetwork best = null;
    int bestEpisode = 0;
    try (DoubleDqnTrainer trainer = new DoubleDqnTrainer(x.encoder.size(), models, dqn)) {
      log(t0, "Double DQN: state %d features, %d actions, hidden %s, gamma %.2f, lr %.4g, batch %d, replay %d, "
              + "target sync %d updates, epsilon %.2f->%.2f over %d decisions, 1 update per %d decisions",
          x.encoder.size(), models, dqn.hidden(), dqn.gamma(), dqn.learningRate(), dqn.batchSize(),
          dqn.replayCapacity(), dqn.targetSyncEvery(), dqn.epsilonStart(), dqn.epsilonEnd(), dqn.epsilonDecaySteps(),
          env.decisionsPerUpdate());
      for (int ep = 1; ep <= env.episodes(); ep++) {
        double rate = Math.exp(Math.log(env.rateMin()) + rng.nextDouble() * Math.log(env.rateMax() / env.rateMin()));
        boolean bursty = ep % 2 == 0;
        Workload.Spec spec = new Workload.Spec(rate, bursty ? x.burstyShape : x.stableShape, env.traceMinuteMs(), null,
            env.mixShiftMs(), env.deadlineSlack(), x.referenceMs(), env.episodeMs());
        List<Workload.Arrival> arrivals = Workload.generate(spec, x.prompts, x.lengths, rng);
        double eps = trainer.epsilon();
        EpisodeStats s = runTrainingEpisode(x, trainer, arrivals, replicas);
        log(t0, "episode %3d/%d  rate %5.1f/s %-6s  eps %.2f  decisions %5d  mean reward %+.3f  loss %s  "
                + "on time %5.1f%%  S/M/L %s  updates %d",
            ep, env.episodes(), rate, bursty ? "bursty" : "stable", eps, arrivals.size(), s.meanReward(),
            Double.isNaN(s.meanLoss()) ? "  -   " : String.format(Locale.ROOT, "%.4f", s.meanLoss()),
            100 * s.onTime(), s.shares(), trainer.updates());
        if (ep % env.evalEvery() == 0 || ep == env.episodes()) {
          QNetwork net = trainer.exportOnline();
          double r = evaluate(x, net, replicas);
          Map<String, Object> e = new LinkedHashMap<>();
          e.put("episode", ep);
          e.put("validationQuality", round(r));
          evals.add(e);
          boolean better = r > bestEval;
          if (better) {
            bestEval = r;
            best = net;
            bestEpisode = ep;
            if (checkpoint != null) {
              DqnPolicy sofar = new DqnPolicy(actions(x), env.scales(), env.defaultDeadlineMs(), env.reward(), net,
                  Map.of("algorithm", "double-dqn", "checkpoint", true, "bestEpisode", ep, "trainedAt", Instant.now().toString()));
              sofar.write(checkpoint);
            }
          }
          log(t0, "  greedy validation after episode %d: quality %.4f of peak over rates %s%s", ep, r, env.evalRates(),
              better ? "  (best so far)" : "");
        }
      }
    }
    Map<String, Object> training = new LinkedHashMap<>();
    training.put("trainedAt", Instant.now().toString());
    training.put("algorithm", "double-dqn");
    training.put("environment", "io.pickspin.lab.rl.RoutingEnv on CalibratedServers (the DES's calibrated "
        + "latency model, continuous batching)" + (env.scaler() ? " resized by the product's scaler (ScaledServers)" : "")
        + ", fleet " + x.fleet.name() + ", utility = DES answer model P(correct)");
    training.put("fleet", x.fleet.name());
    training.put("validation", validationText(x));
    training.put("validationQuality", round(bestEval));
    training.put("actionBinding", "by model id, else the catalogue's default model of the action's tier");
    training.put("tierSource", x.tierSource);
    training.put("seed", dqn.seed());
    training.put("episodes", env.episodes());
    training.put("episodeSeconds", env.episodeMs() / 1000);
    training.put("ratesPerSecond", List.of(env.rateMin(), env.rateMax()));
    training.put("deadlineSlack", env.deadlineSlack());
    training.put("regretWeight", env.regretWeight());
    training.put("gpuWeight", env.gpuWeight());
    training.put("decisionsPerUpdate", env.decisionsPerUpdate());
    training.put("replicas", replicasText(x, replicas));
    training.put("scaler", env.scaler());
    training.put("stateLayout", x.encoder.layout().fileName());
    training.put("hidden", dqn.hidden());
    training.put("gamma", dqn.gamma());
    training.put("learningRate", dqn.learningRate());
    training.put("bestEpisode", bestEpisode);
    training.put("evaluations", evals);
    training.put("seconds", Math.round((System.nanoTime() - t0) / 1e9));
    List<DqnPolicy.Action> actions = new ArrayList<>();
    for (ModelSpec m : x.routing.models()) actions.add(new DqnPolicy.Action(m.id(), m.tier(), m.latency().maxBatch()));
    log(t0, "best greedy policy: episode %d, validation quality %.4f of peak", bestEpisode, bestEval);
    return new DqnPolicy(actions, env.scales(), env.defaultDeadlineMs(), env.reward(), best, training);
  }

  /** What one training episode did: mean reward per request, mean loss per update, share on time, model shares. */
  public record EpisodeStats(double meanReward, double meanLoss, double onTime, String shares) {}

  static EpisodeStats runTrainingEpisode(RlExperiment x, DoubleDqnTrainer trainer, List<Workload.Arrival> arrivals, int[] replicas) {
    return runTrainingEpisode(x.routing, x.encoder, trainer, arrivals, x.newSimulator(replicas, x.env.scaler()),
        x.env.rateTimeConstantMs(), x.env.decisionsPerUpdate());
  }

  /**
   * One epsilon-greedy episode on {@code env} served by {@code sim} (a fresh simulator): every decision becomes a
   * replay transition once its reward is known.
   */
  public static EpisodeStats runTrainingEpisode(
      RoutingEnv env,
      RouterState.Encoder encoder,
      DoubleDqnTrainer trainer,
      List<Workload.Arrival> arrivals,
      ServingSimulator sim,
      double rateTimeConstantMs,
      int every) {
    var pools = env.poolView(sim);
    ArrivalRateEstimator rate = new ArrivalRateEstimator(rateTimeConstantMs);
    TransitionAssembler transitions = new TransitionAssembler(trainer::remember);
    double[] acc = new double[4]; // reward sum, loss sum, losses, on time
    int[] chosen = new int[env.models().size()];
    long[] decisions = {0};
    env.run(arrivals, sim, new RoutingEnv.Router() {
      @Override
      public RoutingEnv.Choice route(Workload.Arrival a) {
        long now = (long) sim.nowMs();
        rate.recordArrival(now);
        float[] s = encoder.encode(a.prompt().routerTier(), pools, rate.ratePerSecond(now), a.deadlineMs());
        float[] q = trainer.qValues(s);
        int act = trainer.actOnQValues(q);
        transitions.decided(a.id(), s, act);
        chosen[act]++;
        if (++decisions[0] % every == 0) {
          double l = trainer.train();
          if (!Double.isNaN(l)) {
            acc[1] += l;
            acc[2]++;
          }
        }
        // the fallbacks in Q-value order, as the product's RlRoutingPolicy gives them
        return RoutingEnv.Choice.ranked(act, QNetwork.ranking(q));
      }

      @Override
      public void outcome(Workload.Arrival a, int model, boolean served, double latencyMs, boolean onTime) {
        // the outcome of the model that took the request: a spilled one earns the fallback's reward for this action
        double r = env.reward(model, a, served, latencyMs);
        transitions.rewarded(a.id(), r);
        acc[0] += r;
        if (onTime) acc[3]++;
      }
    });
    transitions.endEpisode();
    int n = Math.max(1, arrivals.size());
    return new EpisodeStats(acc[0] / n, acc[2] == 0 ? Double.NaN : acc[1] / acc[2], acc[3] / n, shares(chosen));
  }

  /**
   * Validation score of the greedy policy, routed by the product's RlRoutingPolicy: utility credited / utility had the
   * large model served every request on time, over one shifting-mix episode per validation rate (the validation trace
   * function and seeds, which the benchmark does not use), averaged over the rates so that busy rates do not outweigh
   * quiet ones. With the scaler in the loop each rate's score is also multiplied by the starting deployment's GPU-hours
   * over the GPU-hours the scaler used (quality per GPU-hour, the product's objective; 1 for a fixed deployment). It does not depend on the reward's shaping weight, so it also compares policies trained with
   * different weights.
   */
  public static double evaluate(RlExperiment x, QNetwork net, int[] replicas) {
    DqnPolicy policy = new DqnPolicy(actions(x), x.env.scales(), x.env.defaultDeadlineMs(), x.env.reward(), net, Map.of());
    return validate(x, sim -> Routers.rl(x, policy, sim), replicas);
  }

  /** The validation score ({@link #evaluate}) of any router on {@code replicas}, scaled as training is. */
  public static double validate(RlExperiment x, java.util.function.Function<ServingSimulator, RoutingEnv.Router> router, int[] replicas) {
    return validate(x, router, replicas, x.env.scaler());
  }

  /** The validation score of any router on {@code replicas}, fixed or ({@code scaled}) resized by the scaler. */
  public static double validate(RlExperiment x, java.util.function.Function<ServingSimulator, RoutingEnv.Router> router,
      int[] replicas, boolean scaled) {
    double sum = 0;
    int k = 0;
    for (double rate : x.env.evalRates()) {
      Random rng = new Random(x.env.validationSeed() + k++);
      Workload.Spec spec = new Workload.Spec(rate, x.validationShape, x.env.traceMinuteMs(), null, x.env.mixShiftMs(),
          x.env.deadlineSlack(), x.referenceMs(), x.env.episodeMs());
      List<Workload.Arrival> arrivals = Workload.generate(spec, x.prompts, x.lengths, rng);
      ServingSimulator sim = x.newSimulator(replicas, scaled);
      double got = 0, peak = 0;
      for (ServingMetrics.Served s : x.routing.run(arrivals, sim, router.apply(sim))) {
        got += s.credit();
        peak += s.peakUtility();
      }
      // with the scaler GPU-hours follow the routing: quality per GPU-hour, relative to the starting deployment's
      double gpuFactor = sim instanceof ScaledServers scaledSim
          ? x.routing.gpus(replicas) * (double) x.env.episodeMs() / scaledSim.gpuMs(x.env.episodeMs()) : 1;
      sum += peak > 0 ? got / peak * gpuFactor : 0;
    }
    return sum / Math.max(1, k);
  }

  public static String validationText(RlExperiment x) {
    return String.format(Locale.ROOT, "trace %s, seeds %d+, rates %s/s, %d s each, shifting mix", x.env.validationShape(),
        x.env.validationSeed(), x.env.evalRates(), x.env.episodeMs() / 1000);
  }

  static List<DqnPolicy.Action> actions(RlExperiment x) {
    return x.routing.models().stream().map(m -> new DqnPolicy.Action(m.id(), m.tier(), m.latency().maxBatch())).toList();
  }

  static String shares(int[] chosen) {
    long total = 0;
    for (int c : chosen) total += c;
    StringBuilder s = new StringBuilder();
    for (int c : chosen) s.append(s.length() == 0 ? "" : "/").append(String.format(Locale.ROOT, "%.0f", 100.0 * c / Math.max(1, total)));
    return s + "%";
  }

  static String replicasText(RlExperiment x, int[] replicas) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < replicas.length; i++) s.append(i == 0 ? "" : ", ").append(x.routing.modelIds().get(i)).append(" x").append(replicas[i]);
    return s.toString();
  }

  static double round(double v) {
    return Math.round(v * 1e4) / 1e4;
  }

  static void log(long t0, String fmt, Object... args) {
    System.out.printf(Locale.ROOT, "[train-rl-router %6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, String.format(Locale.ROOT, fmt, args));
    System.out.flush();
  }
}
