package io.pickspin.lab.bench;

import io.pickspin.lab.common.Cli;
import io.pickspin.lab.common.ResultsFile;
import io.pickspin.lab.des.LatencyModel;
import io.pickspin.lab.des.ReplayStream;
import io.pickspin.lab.des.RunResult;
import io.pickspin.lab.des.Scenario;
import io.pickspin.lab.des.Simulation;
import io.pickspin.lab.des.Trace;
import io.pickspin.lab.rl.InferenceLatency;
import io.pickspin.lab.rl.RlExperiment;
import io.pickspin.lab.rl.Routers;
import io.pickspin.lab.rl.RoutingEnv;
import io.pickspin.lab.rl.ScaledServers;
import io.pickspin.lab.rl.ServingMetrics;
import io.pickspin.lab.rl.ServingSimulator;
import io.pickspin.lab.rl.SpreadFleet;
import io.pickspin.lab.rl.TrainRlRouter;
import io.pickspin.lab.rl.Workload;
import io.pickspin.lab.train.PromptCorpus;
import io.pickspin.model.Tier;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.rl.ArrivalRateEstimator;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.RlRoutingPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Benchmarks the learned best-effort router against static single-model serving, an arrival-rate threshold heuristic
 * and the Pick and Spin hybrid router on the simulated deployment, with the second paper's metrics
 * ({@link ServingMetrics}), on each fleet, and writes bench/results/rl-router.md:
 *
 * <ol>
 *   <li>availability (share of requests on time) and success per GPU-hour at every rate of a sweep, on the stable
 *       trace shape with a fixed uniform task mix; the highest rate each router keeps >= 99 / 95 / 90 % available;
 *   <li>unpredictable workloads (bursty trace shape, task mix redrawn every minute): windowed quality, the share of
 *       windows at >= 96 / 98 / 99 % of peak, performance per GPU, at every rate;
 *   <li>the paper's ratios at every rate and over all rates together, and the goals met or missed;
 *   <li>the RL router's per-request inference cost on the CPU.
 * </ol>
 *
 * <p>The protocol: the DQN row runs every policy that {@code bin/train-rl-router protocol FLEET} trained at the
 * reward weight chosen on validation (>= 3 training seeds), each checkpoint chosen on validation workloads the
 * benchmark does not replay (another trace function, other seeds and rates); the threshold heuristic's threshold is
 * chosen on the same validation workloads. Every cell is the mean over (policy seeds x) workload seeds with a 95 %
 * confidence half-width (Student's t over those runs). Every router sees the same arrivals for a given workload seed.
 *
 * <p>Run: {@code bin/train-rl-router bench [options]} ({@code --help} lists them).
 */
public final class RlRouterBench {
  private RlRouterBench() {}

  static final String TITLE = "Learned best-effort router (Double DQN) vs static serving, a threshold heuristic and the hybrid router";

  @Command(name = "bin/train-rl-router bench", sortOptions = false, showDefaultValues = true,
      description = "Benchmarks the learned router against static serving and the heuristics on the simulated deployment.")
  static final class Options {
    @Mixin Cli.Help help;
    @Option(names = "--fleets", split = ",", description = "fleets to benchmark, each with its policies in lab/policies/FLEET")
    List<String> fleets = List.of("qwen3", SpreadFleet.NAME);
    @Option(names = "--policies", description = "directory holding the policies of every fleet (one sub-directory each)")
    Path policies = Path.of("lab/policies");
    @Option(names = "--out", description = "results file") Path out = Path.of("bench/results/rl-router.md");
    @Option(names = "--seconds", description = "virtual seconds per point (unpredictable workloads: 3x)") double seconds = 300;
    @Option(names = "--seeds", description = "workload seeds per point") int seeds = 3;
    @Option(names = "--tier-source", description = "hybrid or keyword") String tierSource = "hybrid";
    @Option(names = "--shared", description = "the shared directory (default ../shared)") Path shared;
    @Option(names = "--scaler", negatable = true, description = "also the rows with the product's scaler in the loop "
        + "(section 7), for each fleet with policies in lab/policies/FLEET-scaler") boolean scaler = true;
  }

  /**
   * A row: a deployment (fixed, or with {@code scaled} the product's scaler's starting point) and one router per
   * trained policy (one for the routers that are not learned).
   */
  record Setup(String name, int[] replicas, List<Function<ServingSimulator, RoutingEnv.Router>> arms, boolean scaled) {
    Setup(String name, int[] replicas, List<Function<ServingSimulator, RoutingEnv.Router>> arms) {
      this(name, replicas, arms, false);
    }

    static Setup one(String name, int[] replicas, Function<ServingSimulator, RoutingEnv.Router> router) {
      return new Setup(name, replicas, List.of(router));
    }
  }

  /** A trained policy and what its training recorded. */
  record Candidate(Path file, DqnPolicy policy, double weight, double gpuWeight, long seed, double validationQuality) {
    static Candidate read(Path file) {
      try {
        DqnPolicy p = DqnPolicy.read(file);
        Map<String, Object> t = p.training();
        return new Candidate(file, p, ((Number) t.get("regretWeight")).doubleValue(),
            ((Number) t.getOrDefault("gpuWeight", 0)).doubleValue(), ((Number) t.get("seed")).longValue(),
            ((Number) t.get("validationQuality")).doubleValue());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    /** Trained with the same reward weights as {@code other}. */
    boolean sameWeights(Candidate other) {
      return weight == other.weight && gpuWeight == other.gpuWeight;
    }

    String weights() {
      return gpuWeight == 0 ? String.format(Locale.ROOT, "%.0f", weight)
          : String.format(Locale.ROOT, "%.0f, gpu %.3g", weight, gpuWeight);
    }
  }

  /**
   * The policies of one directory: every candidate, the reward weight chosen on the first training seed's validation
   * quality (the other seeds were trained at it afterwards), and the candidates of that weight.
   */
  record Policies(List<Candidate> candidates, double weight, List<Candidate> chosen) {
    static Policies read(Path dir) throws IOException {
      List<Candidate> candidates;
      try (Stream<Path> files = Files.list(dir)) {
        candidates = files.filter(f -> f.toString().endsWith(".json")).sorted().map(Candidate::read)
            .sorted(Comparator.comparingDouble(Candidate::weight).thenComparingDouble(Candidate::gpuWeight)
                .thenComparingLong(Candidate::seed)).toList();
      }
      long firstSeed = candidates.stream().mapToLong(Candidate::seed).min().orElseThrow();
      Candidate top = candidates.stream().filter(c -> c.seed() == firstSeed)
          .max(Comparator.comparingDouble(Candidate::validationQuality)).orElseThrow();
      return new Policies(candidates, top.weight(), candidates.stream().filter(top::sameWeights).toList());
    }

    /** The policy of the chosen weight with the best validation quality (the one a node would ship). */
    Candidate best() {
      return chosen.stream().max(Comparator.comparingDouble(Candidate::validationQuality)).orElseThrow();
    }

    List<Function<ServingSimulator, RoutingEnv.Router>> routers(RlExperiment x) {
      List<Function<ServingSimulator, RoutingEnv.Router>> rl = new ArrayList<>();
      for (Candidate c : chosen) rl.add(sim -> Routers.rl(x, c.policy(), sim));
      return rl;
    }
  }

  /** The threshold heuristic's threshold chosen on validation, and the validation quality of every value tried. */
  record ThresholdChoice(double threshold, double validation, List<double[]> grid) {
    String gridText() {
      StringBuilder s = new StringBuilder();
      for (double[] g : grid) s.append(String.format(Locale.ROOT, "%.3g: %.3f; ", g[0], g[1]));
      return s.toString();
    }
  }

  /** Mean and 95 % confidence half-width (Student's t) over runs. */
  record Stat(double mean, double ci, int n) {
    static final double[] T95 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086};

    static Stat of(double[] x) {
      int n = x.length;
      double m = Arrays.stream(x).average().orElse(Double.NaN);
      if (n < 2) return new Stat(m, Double.NaN, n);
      double ss = 0;
      for (double v : x) ss += (v - m) * (v - m);
      return new Stat(m, T95[Math.min(n - 1, T95.length) - 1] * Math.sqrt(ss / (n - 1)) / Math.sqrt(n), n);
    }

    String pct(int decimals) {
      return String.format(Locale.ROOT, "%." + decimals + "f ± %." + decimals + "f", 100 * mean, Double.isNaN(ci) ? 0 : 100 * ci);
    }

    String num(int decimals) {
      return String.format(Locale.ROOT, "%." + decimals + "f ± %." + decimals + "f", mean, Double.isNaN(ci) ? 0 : ci);
    }
  }

  /** One run's numbers; meanGpus: the deployment's GPUs, or with the scaler their mean over the run. */
  record Metrics(double onTime, double windowQuality, double w96, double w98, double w99, double qualityPerGpu,
      double successPerGpuHour, double[] share, double meanGpus) {}

  /** Metrics of every run of one router at one point: index [arm * seeds + seed]. */
  record Cell(List<Metrics> runs, int seeds) {
    Stat stat(java.util.function.ToDoubleFunction<Metrics> f) {
      return Stat.of(runs.stream().mapToDouble(f).toArray());
    }

    double mean(java.util.function.ToDoubleFunction<Metrics> f) {
      return runs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    /** Per workload seed the mean over the arms: what a paired comparison with another router pairs. */
    double[] bySeed(java.util.function.ToDoubleFunction<Metrics> f) {
      double[] v = new double[seeds];
      int arms = runs.size() / seeds;
      for (int i = 0; i < runs.size(); i++) v[i % seeds] += f.applyAsDouble(runs.get(i)) / arms;
      return v;
    }

    double[] byArm(java.util.function.ToDoubleFunction<Metrics> f) {
      int arms = runs.size() / seeds;
      double[] v = new double[arms];
      for (int i = 0; i < runs.size(); i++) v[i / seeds] += f.applyAsDouble(runs.get(i)) / seeds;
      return v;
    }
  }

  public static void main(String[] argv) throws Exception {
    Options a = Cli.parseOrExit(new Options(), argv);
    ResultsFile.Run started = ResultsFile.Run.start(RlRouterBench.class, argv);
    RlExperiment.quietLogging();
    Path shared = a.shared != null ? a.shared : PromptCorpus.sharedDir();
    long t0 = System.nanoTime();
    StringBuilder md = new StringBuilder();
    Map<String, String> headline = new LinkedHashMap<>();
    StringBuilder body = new StringBuilder();
    StringBuilder summary = new StringBuilder("## Summary: the goals\n\n| fleet | goal | result | met |\n|---|---|---|---|\n");
    boolean first = true;
    for (String fleet : a.fleets) {
      Map<String, String> overrides = new HashMap<>();
      overrides.put("pickspin.routing.rl.training.env.fleet", fleet);
      try (RlExperiment x = new RlExperiment(RlExperiment.loadConfig(overrides), shared, a.tierSource)) {
        new FleetBench(x, a, t0).run(body, summary, headline, first);
      }
      first = false;
    }
    md.append(summary).append('\n').append(body);
    md.append("""

        ## Where this differs from the paper, and what is not measured

        - **Tasks.** The paper's four standardised NLP tasks and their per-model accuracies are not available (papers.md
          2.4). Requests here are the DES's labelled prompts in three tiers, each prompt graded by the answer model on its
          benchmark's Qwen3 report accuracy; the unpredictable workload redraws the tier mix every minute.
        - **Deadlines.** The paper's per-task deadlines are not published; here a request's deadline is a slack of 1.5, 2.5
          or 5 x the large model's idle latency for it (the DES's rule), so on qwen3-spread it is stated against the
          thinking model.
        - **Thinking lengths.** No thinking-mode answer lengths are in ../shared/data; the factor on qwen3-spread is an
          assumption that gives the paper's ~50x spread (section 5 of that fleet).
        - **The scaler in the loop.** Sections 1-6 run fixed deployments; section 7 runs the product's scaler in the loop
          (qwen3 fleet; the thinking-mode fleet's servers are not resizable in the environment). With the scaler the
          training reward also charges each choice's GPU time (the gpu weight), and the checkpoint, the reward weights and
          the threshold are chosen by validation quality x GPU factor. A request routed to a pool the scaler has closed, or
          whose cold start would miss its deadline, spills to its decision's first warm fallback as in the product.
        - **Inference.** The product evaluates the Q-network in plain Java (`QNetwork`, same weights as the DJL network, a
          test checks they agree to 1e-5); section 4 measures DJL's PyTorch forward on the same policy, slower at p50 and
          p99 on this machine and a JNI call on the request path, which is why the product does not use it.
        """);
    md.append(String.format(Locale.ROOT, "%nWhole benchmark %.0f s wall.%n", (System.nanoTime() - t0) / 1e9));
    System.out.println(ResultsFile.write(a.out, TITLE, started, md.toString(), headline));
    log(t0, "wrote %s", a.out.toAbsolutePath());
  }

  static final double[] UNIFORM = {1 / 3.0, 1 / 3.0, 1 / 3.0};
  static final int LARGE = 0, LARGE8 = 1, SMALL = 2, THRESHOLD = 3, HYBRID = 4, RL = 5;

  /** One fleet's benchmark. */
  static final class FleetBench {
    final RlExperiment x;
    final Options o;
    final long t0;
    final String fleet;
    final Policies policies;
    /** The policies trained with the scaler in the loop (lab/policies/FLEET-scaler), if any. */
    final Policies scalerPolicies;
    double threshold;
    double thresholdValidation;
    List<double[]> thresholdGrid;

    FleetBench(RlExperiment x, Options o, long t0) throws IOException {
      this.x = x;
      this.o = o;
      this.t0 = t0;
      this.fleet = x.fleet.name();
      this.policies = Policies.read(o.policies.resolve(fleet));
      Path scalerDir = o.policies.resolve(fleet + "-scaler");
      this.scalerPolicies = o.scaler && Files.isDirectory(scalerDir) ? Policies.read(scalerDir) : null;
    }

    void run(StringBuilder md, StringBuilder summary, Map<String, String> headline, boolean inference) throws IOException {
      int large = x.routing.peakModel();
      int small = x.routing.indexOf(x.catalog.defaultFor(Tier.LOW).id());
      int[] mixed = x.mixedReplicas();
      int gpus = x.routing.gpus(mixed);
      int largeGpus = x.routing.models().get(large).gpusPerReplica();
      int smallGpus = x.routing.models().get(small).gpusPerReplica();
      int[] largeOnly = only(large, Math.max(1, gpus / largeGpus));
      int[] largeOnly8 = only(large, Math.max(1, 8 / largeGpus));
      int[] smallOnly = only(small, Math.max(1, gpus / smallGpus));
      int[] smallLarge = only(large, 1);
      smallLarge[small] = Math.max(1, (gpus - largeGpus) / smallGpus);
      ThresholdChoice fixedThreshold = chooseThreshold(small, large, smallLarge, false);
      threshold = fixedThreshold.threshold();
      thresholdValidation = fixedThreshold.validation();
      thresholdGrid = fixedThreshold.grid();
      List<Function<ServingSimulator, RoutingEnv.Router>> rl = policies.routers(x);
      double th = threshold;
      // order as the LARGE ... RL indices
      List<Setup> setups = List.of(
          Setup.one("large-only", largeOnly, sim -> Routers.fixed(large)),
          Setup.one("large-only, 8 GPUs", largeOnly8, sim -> Routers.fixed(large)),
          Setup.one("small-only", smallOnly, sim -> Routers.fixed(small)),
          Setup.one(String.format(Locale.ROOT, "threshold (small above %.3g/s)", th), smallLarge,
              sim -> threshold(small, large, th, sim)),
          Setup.one("hybrid, balanced profile", mixed, sim -> Routers.complexity(x, RouterKind.HYBRID, Profile.BALANCED)),
          new Setup("rl (Double DQN)", mixed, rl));

      md.append("\n## Fleet ").append(fleet).append("\n\n");
      header(md, setups);
      log(t0, "%s: availability sweep ...", fleet);
      List<Double> rates = x.env.availabilityRates();
      List<Cell[]> sweep = sweep(setups, rates, 7000, this::stableSpec, rate -> log(t0, "  %s rate %.3g done", fleet, rate));
      log(t0, "%s: unpredictable workloads ...", fleet);
      List<Double> uRates = x.env.unpredictableRates();
      List<Cell[]> unpredictable = sweep(setups, uRates, 9000, this::unpredictableSpec,
          rate -> log(t0, "  %s unpredictable rate %.3g done", fleet, rate));
      StringBuilder tables = new StringBuilder();
      double[][] limits = availabilityTables(tables, setups, rates, sweep);
      unpredictableTables(tables, setups, uRates, unpredictable);
      goals(summary, headline, setups, rates, sweep, limits, uRates, unpredictable);
      md.append(tables);
      if (inference) {
        log(t0, "inference latency ...");
        inference(md, x, policies.best().policy());
      }
      limits(md, setups);
      if (!SpreadFleet.NAME.equals(fleet)) {
        log(t0, "%s: the DES itself ...", fleet);
        desCrossCheck(md, x, policies.best().policy(), Math.min(2, o.seeds), t0);
      }
      if (scalerPolicies != null) scalerRows(md, summary, headline, small, large, largeOnly, smallOnly, smallLarge, mixed);
    }

    Workload.Spec stableSpec(double rate) {
      return new Workload.Spec(rate, x.stableShape, x.env.traceMinuteMs(), UNIFORM, x.env.mixShiftMs(), x.env.deadlineSlack(),
          x.referenceMs(), o.seconds * 1000);
    }

    Workload.Spec unpredictableSpec(double rate) {
      return new Workload.Spec(rate, x.burstyShape, x.env.traceMinuteMs(), null, x.env.mixShiftMs(), x.env.deadlineSlack(),
          x.referenceMs(), 3 * o.seconds * 1000);
    }

    static String thousandSuccessPerGpuHour(Cell c) {
      Stat s = c.stat(Metrics::successPerGpuHour);
      return new Stat(s.mean() / 1000, s.ci() / 1000, s.n()).num(2);
    }

    void policyRows(StringBuilder md, Policies p, Path dir) {
      for (Candidate c : p.candidates())
        md.append(String.format(Locale.ROOT, "| `%s` | %s | %d | %s | %.4f | %s |%n", dir.resolve(c.file().getFileName()),
            c.weights(), c.seed(), c.policy().training().get("bestEpisode"), c.validationQuality(),
            p.chosen().contains(c) ? "yes" : "no"));
    }

    static final int S_LARGE = 0, S_SMALL = 1, S_THRESHOLD = 2, S_HYBRID = 3, S_RL = 4;

    /**
     * Section 7: the routers with the product's scaler resizing the pools, each from its fixed row's deployment, and
     * the goal on success per GPU-h against the threshold heuristic and the hybrid router with the scaler.
     */
    void scalerRows(StringBuilder md, StringBuilder summary, Map<String, String> headline, int small, int large,
        int[] largeOnly, int[] smallOnly, int[] smallLarge, int[] mixed) {
      log(t0, "%s: with the scaler in the loop ...", fleet);
      ThresholdChoice th = chooseThreshold(small, large, smallLarge, true);
      double t = th.threshold();
      // order as the S_ indices; the last row: the policies trained on fixed deployments, run with the scaler
      List<Setup> setups = List.of(
          new Setup("large-only (scaler)", largeOnly, List.of(sim -> Routers.fixed(large)), true),
          new Setup("small-only (scaler)", smallOnly, List.of(sim -> Routers.fixed(small)), true),
          new Setup(String.format(Locale.ROOT, "threshold (scaler, small above %.3g/s)", t), smallLarge,
              List.of(sim -> threshold(small, large, t, sim)), true),
          new Setup("hybrid, balanced (scaler)", mixed,
              List.of(sim -> Routers.complexity(x, RouterKind.HYBRID, Profile.BALANCED)), true),
          new Setup("rl (Double DQN, scaler)", mixed, scalerPolicies.routers(x), true),
          new Setup("rl trained fixed (scaler)", mixed, policies.routers(x), true));
      List<Double> rates = x.env.availabilityRates();
      List<Cell[]> sweep = sweep(setups, rates, 7000, this::stableSpec, r -> log(t0, "  %s scaler rate %.3g done", fleet, r));
      List<Double> uRates = x.env.unpredictableRates();
      List<Cell[]> uSweep = sweep(setups, uRates, 9000, this::unpredictableSpec,
          r -> log(t0, "  %s scaler unpredictable rate %.3g done", fleet, r));

      Path dir = o.policies.resolve(fleet + "-scaler");
      Candidate best = scalerPolicies.best();
      md.append("\n### 7. With the product's scaler in the loop\n\n")
          .append("Every pool is resized by the product's own scaler (`io.pickspin.scaling.ScalingPolicy` through `FleetScaler`, "
              + "settings from pickspin-scaling.conf for the balanced profile, consolidation included) ticked every simulated "
              + "second and nudged when a request waits with nothing free (`io.pickspin.lab.rl.ScaledServers`); its telemetry is "
              + "built as a pool builds it (arrivals, completions with their time on a replica, deadlines). A new replica serves "
              + "after the latency model's cold start; a request for a pool without a replica waits for one (scale from zero) "
              + "until its give-up time, unless it spills (below). Each row starts from its fixed row's deployment (large-only ")
          .append(replicas(largeOnly))
          .append(", small-only ").append(replicas(smallOnly)).append(", threshold ").append(replicas(smallLarge))
          .append(", hybrid and DQN ").append(replicas(mixed)).append("). GPU-hours: every replica from its start (cold start "
              + "included) to its removal, over the workload's span; the mean GPUs in use are those GPU-hours over the span. "
              + "Same workloads and seeds as sections 1 and 2. The product's spill (`io.pickspin.scaling.Spill`, as the "
              + "gateway and the discrete-event simulator apply it): a request routed to a pool without a ready replica goes "
              + "to the first of its decision's fallbacks that has one when the cold start would make it miss its deadline or "
              + "the scaler keeps the pool closed (consolidated into a warm model: the fleet's anchor model keeps "
              + x.scaling.consolidation().anchorWarm() + " replica(s) warm); it is then credited, charged and counted by the scaler as the warm model's. Fallbacks: "
              + "the DQN's other models in Q-value order and the hybrid router's by score (the product's decisions), the "
              + "threshold heuristic's other model, then the fleet's remaining ones; large-only and small-only have none "
              + "(static serving: the client names the model, and its request waits for a cold start, as in the product).\n\n")
          .append("The DQN (scaler) row runs the policies trained with the scaler in the loop (state layout ")
          .append(best.policy().layout().fileName())
          .append(": each model's ready and starting replicas are features); their checkpoint and weight were chosen on the "
              + "same validation workloads with the scaler, scored by validation quality x (the starting deployment's GPU-hours "
              + "/ the GPU-hours used). The last row runs the DQN row's policies of section 1 (trained on the fixed deployment, "
              + "state without replica counts) with the scaler. A gpu weight g makes the training reward lose g per GPU-second "
              + "the request takes on its model at a full batch (GPUs per replica x full-batch service time / max batch), the "
              + "choice's marginal GPU cost when the scaler sizes the pools.\n\n| policy | regret weight (, gpu weight) | training seed | best episode | "
              + "validation quality x GPU factor | used in the DQN (scaler) row |\n|---|---|---|---|---|---|\n");
      policyRows(md, scalerPolicies, dir);
      md.append(String.format(Locale.ROOT, "%nThreshold (scaler) chosen on the same validation workloads with the scaler, by "
          + "the same score: %.3g/s (%.4f; %s)%n", t, th.validation(), th.gridText()));
      scaledTables(md, "Stable trace shape, uniform task mix", setups, rates, sweep);
      scaledTables(md, "Unpredictable workloads (bursty trace shape, shifting mix)", setups, uRates, uSweep);
      md.append("\nMean window quality (% of peak):\n\n");
      table(md, setups, uRates, uSweep, c -> c.stat(Metrics::windowQuality).pct(1));

      EveryRate every = EveryRate.of(rates, sweep, uRates, uSweep, S_RL, S_THRESHOLD, S_HYBRID);
      EveryRate fixedTrained = EveryRate.of(rates, sweep, uRates, uSweep, S_RL + 1, S_THRESHOLD, S_HYBRID);
      boolean spread = SpreadFleet.NAME.equals(fleet);
      summary.append("| ").append(fleet).append(String.format(Locale.ROOT, " | with the scaler in the loop: DQN (scaler) success "
          + "per GPU-h above the threshold heuristic (scaler) and the hybrid router (scaler) at every rate%s | %s (the policies "
          + "trained fixed, with the scaler: %d of %d) | %s |%n", spread ? "" : " (goal on this fleet)", every,
          fixedTrained.above(), fixedTrained.rates(), spread ? "(no goal)" : met(every.met())));
      headline.put(fleet + ": with the scaler, success per GPU-h above threshold and hybrid",
          every.above() + " of " + every.rates() + " rates");
      md.append("\nDQN (scaler) against threshold (scaler) and hybrid (scaler) on success per GPU-h, paired by workload "
          + "seed: ").append(every).append(".\n");
    }

    /** The threshold heuristic on {@code sim}: the small model above {@code ratePerSecond}, else the large one. */
    RoutingEnv.Router threshold(int small, int large, double ratePerSecond, ServingSimulator sim) {
      return Routers.threshold(x.env.rateTimeConstantMs(), small, large, ratePerSecond, x.routing.models().size(), sim);
    }

    int[] only(int model, int replicas) {
      int[] r = new int[x.routing.models().size()];
      r[model] = replicas;
      return r;
    }

    /**
     * The threshold with the best validation quality among a log-spaced grid over the training rates, on
     * {@code replicas} fixed or ({@code scaled}) resized by the scaler.
     */
    ThresholdChoice chooseThreshold(int small, int large, int[] replicas, boolean scaled) {
      double best = Double.NEGATIVE_INFINITY, bestThreshold = Double.NaN;
      List<double[]> grid = new ArrayList<>();
      int n = 16;
      for (int i = 0; i <= n; i++) {
        double t = x.env.rateMin() * Math.pow(x.env.rateMax() / x.env.rateMin(), (double) i / n);
        double q = TrainRlRouter.validate(x, sim -> threshold(small, large, t, sim), replicas, scaled);
        grid.add(new double[] {t, q});
        if (q > best) {
          best = q;
          bestThreshold = t;
        }
      }
      log(t0, "%s: threshold %.3g/s chosen on validation%s (quality %.4f)", fleet, bestThreshold,
          scaled ? " with the scaler" : "", best);
      return new ThresholdChoice(bestThreshold, best, List.copyOf(grid));
    }

    /** Every setup at every rate, on the workload {@code spec} makes for the rate; a row of cells per rate. */
    List<Cell[]> sweep(List<Setup> setups, List<Double> rates, long seedBase, java.util.function.DoubleFunction<Workload.Spec> spec,
        java.util.function.DoubleConsumer done) {
      List<Cell[]> rows = new ArrayList<>();
      for (double rate : rates) {
        Cell[] cells = new Cell[setups.size()];
        for (int i = 0; i < setups.size(); i++) cells[i] = cell(setups.get(i), spec.apply(rate), seedBase, 30_000);
        rows.add(cells);
        done.accept(rate);
      }
      return rows;
    }

    Cell cell(Setup s, Workload.Spec spec, long seedBase, long windowMs) {
      List<Metrics> runs = new ArrayList<>();
      for (var arm : s.arms())
        for (int k = 0; k < o.seeds; k++) runs.add(run(s, arm, spec, seedBase + k, windowMs));
      return new Cell(runs, o.seeds);
    }

    Metrics run(Setup s, Function<ServingSimulator, RoutingEnv.Router> arm, Workload.Spec spec, long seed, long windowMs) {
      List<Workload.Arrival> arrivals = Workload.generate(spec, x.prompts, x.lengths, new Random(seed));
      ServingSimulator sim = x.newSimulator(s.replicas(), s.scaled());
      List<ServingMetrics.Served> served = x.routing.run(arrivals, sim, arm.apply(sim));
      double[] share = new double[x.routing.models().size()];
      double credit = 0;
      for (ServingMetrics.Served r : served) {
        share[r.model()] += 1.0 / Math.max(1, served.size());
        credit += r.credit();
      }
      // GPU time over the workload's span: the fixed deployment's, or every replica the scaler ran from its start
      double gpuMs = sim instanceof ScaledServers scaled ? scaled.gpuMs(spec.durationMs())
          : x.routing.gpus(s.replicas()) * spec.durationMs();
      double g = gpuMs / spec.durationMs();
      ServingMetrics.Summary m = ServingMetrics.summarise(served, 0, (long) spec.durationMs(), windowMs, g);
      return new Metrics(m.availability(), m.meanWindowQuality(), m.windowsAtLeast96(), m.windowsAtLeast98(),
          m.windowsAtLeast99(), m.qualityPerGpu(), credit / (gpuMs / 3.6e6), share, g);
    }

    void header(StringBuilder md, List<Setup> setups) {
      md.append("Simulated deployment: `io.pickspin.lab.rl.RoutingEnv` on `CalibratedServers`, the discrete-event "
          + "simulator's calibrated server model (its `LatencyModel` roofline fitted to ../shared/data, vLLM-style continuous "
          + "batching with chunked prefill and KV-cache admission, as its `ReplicaServer`), on H100s; each replica holds up "
          + "to max-batch requests, a model's FIFO hold queue takes the rest.");
      if (SpreadFleet.NAME.equals(fleet))
        md.append(String.format(Locale.ROOT, " A thinking-mode model generates %.0fx the request's answer tokens "
            + "(reasoning before the answer; an assumption, no thinking lengths in ../shared/data), which sets the spread "
            + "of section 5.", x.env.thinkingOutputFactor()));
      md.append("\n\n| model | quality row | tier | expected accuracy | GPUs/replica | idle TTFT ms (1024 in) | TPOT ms | max batch |\n"
          + "|---|---|---|---|---|---|---|---|\n");
      x.routing.models().forEach(m -> md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.3f | %d | %.0f | %.1f | %d |%n",
          m.id(), x.fleet.model(m.id()).qualityRow(), m.tier(), m.quality(), m.gpusPerReplica(), m.latency().ttftMs(),
          m.latency().tpotMs(), m.latency().maxBatch())));
      md.append("\nDeployments: ");
      for (Setup s : setups) md.append(String.format(Locale.ROOT, "%s = %s (%d GPUs); ", s.name(), replicas(s.replicas()), x.routing.gpus(s.replicas())));
      md.append("\n\nWorkload: arrivals shaped by the Azure Functions 2019 per-minute counts (1 trace minute = ")
          .append(String.format(Locale.ROOT, "%.0f s", x.env.traceMinuteMs() / 1000))
          .append("), Poisson within a minute; prompts from the complexity classifier's held-out split, the DES's request prompts (")
          .append(x.describePrompts()).append("); (input, output) token lengths from the Azure LLM 2023 conversation trace (clipped to ")
          .append(x.env.maxInputTokens()).append(" / ").append(x.env.maxOutputTokens()).append("); deadline = slack ")
          .append(x.env.deadlineSlack())
          .append(" x the large model's idle latency for the request (the DES's rule). Task utility of model m on a prompt = the DES "
              + "answer model's probability that m answers it correctly (the model's Qwen3 report accuracy on the prompt's "
              + "benchmark, per-prompt difficulty). A queued request gives up once less than its model's full-batch service "
              + "time is left of its deadline. Reward / credit mode: ").append(x.env.reward().mode())
          .append(String.format(Locale.ROOT, ". %.0f s of virtual time per point (unpredictable: %.0f s), %d workload seeds; "
              + "cells are mean ± 95 %% confidence half-width over runs (the DQN row: %d policies x %d workload seeds).%n%n",
              o.seconds, 3 * o.seconds, o.seeds, policies.chosen().size(), o.seeds));
      md.append("**Protocol.** Validation workloads (checkpoint, reward weight and threshold selection): ")
          .append(TrainRlRouter.validationText(x))
          .append("; the benchmark replays trace shapes all (stable) and ").append(x.env.burstyShape())
          .append(" (unpredictable) with workload seeds 7000+ and 9000+, at the rates below. Validation quality = utility "
              + "credited / utility had the large model served every request on time, averaged over the validation rates. "
              + "Training episodes draw their own seeds and rates (log-uniform ")
          .append(String.format(Locale.ROOT, "%.3g-%.3g/s", x.env.rateMin(), x.env.rateMax()))
          .append(") on the benchmark's two trace shapes.\n\n| policy | regret weight | training seed | best episode | validation quality | used in the DQN row |\n|---|---|---|---|---|---|\n");
      policyRows(md, policies, o.policies.resolve(fleet));
      boolean selected = policies.candidates().stream().mapToDouble(Candidate::weight).distinct().count() > 1;
      md.append(String.format(Locale.ROOT, selected
          ? "%nThe weight (%.0f) is the one with the best validation quality at the first training seed; the DQN row runs every seed trained at it."
          : "%nOnly weight %.0f was trained on this fleet: it was not selected on this fleet's validation but taken from the qwen3 fleet's "
              + "(the best there among the weights trained by then), to fit the training time.", policies.weight()));
      md.append(String.format(Locale.ROOT, " Threshold heuristic: the large model while the estimated arrival rate (the RL "
          + "router's estimator) is at most the threshold, the small model above it; threshold chosen on the same validation "
          + "workloads from 17 log-spaced values over the training rates: %.3g/s (validation quality %.4f; ", threshold,
          thresholdValidation));
      md.append(new ThresholdChoice(threshold, thresholdValidation, thresholdGrid).gridText());
      md.append(")\n\nRL policies: ").append(policies.best().policy().training().getOrDefault("algorithm", "?")).append(", ")
          .append(policies.best().policy().training().getOrDefault("episodes", "?")).append(" episodes each, hidden ")
          .append(policies.best().policy().training().getOrDefault("hidden", "?")).append(", tier source ")
          .append(policies.best().policy().training().getOrDefault("tierSource", "?"))
          .append(" (the training reward of an on-time answer is 1 - weight x (accuracy of the large model - accuracy of the "
              + "chosen one) on that prompt, -late penalty when late; the metrics credit the raw accuracy).\n");
    }

    double[][] availabilityTables(StringBuilder md, List<Setup> setups, List<Double> rates, List<Cell[]> sweep) {
      md.append("\n### 1. Availability as the arrival rate rises (stable trace shape, uniform task mix)\n\n"
          + "Share of requests on time, % (mean ± 95 % CI):\n\n");
      table(md, setups, rates, sweep, c -> c.stat(Metrics::onTime).pct(1));
      md.append("\nSuccess per GPU-hour (expected correct answers on time per GPU-hour, thousands):\n\n");
      table(md, setups, rates, sweep, FleetBench::thousandSuccessPerGpuHour);
      md.append("\nMean windowed quality (% of peak):\n\n");
      table(md, setups, rates, sweep, c -> c.stat(Metrics::windowQuality).pct(1));
      md.append("\nHighest rate at which each router stays available (every rate up to it meets the threshold on the mean):\n\n"
          + "| router | GPUs | >= 99 % on time | >= 95 % on time | >= 90 % on time | >= 95 %, per DQN policy |\n|---|---|---|---|---|---|\n");
      double[][] limits = new double[setups.size()][3];
      double[] th = {0.99, 0.95, 0.90};
      for (int i = 0; i < setups.size(); i++) {
        md.append("| ").append(setups.get(i).name()).append(" | ").append(x.routing.gpus(setups.get(i).replicas())).append(" |");
        for (int j = 0; j < 3; j++) {
          double[] mean = new double[rates.size()];
          for (int r = 0; r < rates.size(); r++) mean[r] = sweep.get(r)[i].mean(Metrics::onTime);
          limits[i][j] = maxRate(rates, mean, th[j]);
          md.append(limits[i][j] > 0 ? String.format(Locale.ROOT, " %.3g/s |", limits[i][j]) : " none |");
        }
        if (i == RL) {
          StringBuilder per = new StringBuilder();
          int arms = setups.get(i).arms().size();
          for (int k = 0; k < arms; k++) {
            double[] v = new double[rates.size()];
            for (int r = 0; r < rates.size(); r++) v[r] = sweep.get(r)[i].byArm(Metrics::onTime)[k];
            per.append(per.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3g/s", maxRate(rates, v, 0.95)));
          }
          md.append(' ').append(per).append(" |");
        } else {
          md.append(" |");
        }
        md.append('\n');
      }
      md.append("\nRatio of the highest available rate to large-only's on the same GPUs (the paper: > 10x):\n\n"
          + "| router | >= 99 % | >= 95 % | >= 90 % |\n|---|---|---|---|\n");
      for (int i = 1; i < setups.size(); i++) {
        md.append("| ").append(setups.get(i).name()).append(" |");
        for (int j = 0; j < 3; j++) md.append(' ').append(times(limits[i][j], limits[LARGE][j])).append(" |");
        md.append('\n');
      }
      return limits;
    }

    /** On time, success per GPU-hour and GPUs in use of a sweep whose deployments the scaler sizes. */
    void scaledTables(StringBuilder md, String workload, List<Setup> setups, List<Double> rates, List<Cell[]> cells) {
      md.append("\n").append(workload).append(". Share of requests on time, %:\n\n");
      table(md, setups, rates, cells, c -> c.stat(Metrics::onTime).pct(1));
      md.append("\nSuccess per GPU-hour (thousands):\n\n");
      table(md, setups, rates, cells, FleetBench::thousandSuccessPerGpuHour);
      md.append("\nMean GPUs in use:\n\n");
      table(md, setups, rates, cells, c -> c.stat(Metrics::meanGpus).num(2));
    }

    void table(StringBuilder md, List<Setup> setups, List<Double> rates, List<Cell[]> cells, Function<Cell, String> f) {
      md.append("| rate/s |");
      for (Setup s : setups) md.append(' ').append(s.name()).append(" |");
      md.append("\n|---|").append("---|".repeat(setups.size())).append('\n');
      for (int r = 0; r < rates.size(); r++) {
        md.append(String.format(Locale.ROOT, "| %.3g |", rates.get(r)));
        for (int i = 0; i < setups.size(); i++) md.append(' ').append(f.apply(cells.get(r)[i])).append(" |");
        md.append('\n');
      }
    }

    void unpredictableTables(StringBuilder md, List<Setup> setups, List<Double> rates, List<Cell[]> cells) {
      md.append("\n### 2. Unpredictable workloads: windowed quality (bursty trace shape ").append(x.env.burstyShape())
          .append(", task mix redrawn every ").append(String.format(Locale.ROOT, "%.0f s", x.env.mixShiftMs() / 1000))
          .append(", 30 s windows)\n\nWindow quality = utility credited / utility had the large model served every request of the "
              + "window on time. Percentages with 95 % CIs.\n\n| mean rate/s | router | GPUs | on time | mean window quality | "
              + "windows >= 96 % | >= 98 % | >= 99 % | quality per GPU | success per GPU-h | S/M/L share |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
      for (int r = 0; r < rates.size(); r++) {
        for (int i = 0; i < setups.size(); i++) {
          Cell c = cells.get(r)[i];
          StringBuilder share = new StringBuilder();
          for (int j = 0; j < x.routing.models().size(); j++) {
            int jj = j;
            share.append(j == 0 ? "" : "/").append(String.format(Locale.ROOT, "%.0f", 100 * c.mean(m -> m.share()[jj])));
          }
          md.append(String.format(Locale.ROOT, "| %.3g | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s%% |%n", rates.get(r),
              setups.get(i).name(), x.routing.gpus(setups.get(i).replicas()), c.stat(Metrics::onTime).pct(1),
              c.stat(Metrics::windowQuality).pct(1), c.stat(Metrics::w96).pct(1), c.stat(Metrics::w98).pct(1),
              c.stat(Metrics::w99).pct(1), c.stat(Metrics::qualityPerGpu).num(4), c.stat(Metrics::successPerGpuHour).num(0), share));
        }
      }
      md.append("\n### 3. Ratios against large-only at every rate (the paper: 4.1x more windows >= 96 %, 2.3x >= 98 %, "
          + "1.53x >= 99 %; 3.9x performance per GPU against large-only on 8 GPUs)\n\nRatios of means; columns are against "
          + "large-only on the same GPUs unless they say 8 GPUs. The last rows pool every rate: the windows of all rates "
          + "together, and the mean quality per GPU over the rates.\n\n| mean rate/s | router | windows >= 96 % | >= 98 % | >= 99 % "
          + "(paper 1.53x) | >= 99 % vs 8 GPUs | quality per GPU vs 8 GPUs (paper 3.9x) | mean window quality |\n|---|---|---|---|---|---|---|---|\n");
      for (int r = -1; r < rates.size(); r++) {
        for (int i : new int[] {RL, THRESHOLD, HYBRID}) {
          double[] v = new double[6];
          double[] l = new double[6];
          double[] l8 = new double[6];
          for (int k = 0; k < rates.size(); k++) {
            if (r >= 0 && k != r) continue;
            Cell[] c = cells.get(k);
            add(v, c[i]);
            add(l, c[LARGE]);
            add(l8, c[LARGE8]);
          }
          md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", r < 0 ? "all" : String.format(Locale.ROOT, "%.3g", rates.get(r)),
              setups.get(i).name(), ratio(v[0], l[0]), ratio(v[1], l[1]), ratio(v[2], l[2]), ratio(v[2], l8[2]), ratio(v[3], l8[3]),
              ratio(v[4], l[4])));
        }
      }
    }

    static void add(double[] acc, Cell c) {
      acc[0] += c.mean(Metrics::w96);
      acc[1] += c.mean(Metrics::w98);
      acc[2] += c.mean(Metrics::w99);
      acc[3] += c.mean(Metrics::qualityPerGpu);
      acc[4] += c.mean(Metrics::windowQuality);
    }

    void goals(StringBuilder summary, Map<String, String> headline, List<Setup> setups, List<Double> rates, List<Cell[]> sweep,
        double[][] limits, List<Double> uRates, List<Cell[]> unpredictable) {
      double[] v = new double[6], l = new double[6], l8 = new double[6];
      StringBuilder perRate99 = new StringBuilder(), perRateGpu = new StringBuilder();
      for (Cell[] c : unpredictable) {
        add(v, c[RL]);
        add(l, c[LARGE]);
        add(l8, c[LARGE8]);
        double rate = uRates.get(unpredictable.indexOf(c));
        perRate99.append(perRate99.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3g/s %s", rate,
            ratio(c[RL].mean(Metrics::w99), c[LARGE].mean(Metrics::w99))));
        perRateGpu.append(perRateGpu.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3g/s %s", rate,
            ratio(c[RL].mean(Metrics::qualityPerGpu), c[LARGE8].mean(Metrics::qualityPerGpu))));
      }
      String avail = times(limits[RL][1], limits[LARGE][1]);
      double availRatio = limits[LARGE][1] > 0 ? limits[RL][1] / limits[LARGE][1] : Double.NaN;
      double w99 = l[2] > 0 ? v[2] / l[2] : Double.NaN;
      double gpu = v[3] / l8[3];
      boolean spread = SpreadFleet.NAME.equals(fleet);
      String f = "| " + fleet + " | ";
      summary.append(f).append(String.format(Locale.ROOT, "availability: highest rate >= 95 %% on time vs large-only (4 GPUs)%s | %s "
          + "(small-only %s, threshold %s, hybrid %s) | %s |%n", spread ? " > 10x" : "", avail, times(limits[SMALL][1], limits[LARGE][1]),
          times(limits[THRESHOLD][1], limits[LARGE][1]), times(limits[HYBRID][1], limits[LARGE][1]),
          spread ? met(availRatio > 10) : "(no goal)"));
      summary.append(f).append(String.format(Locale.ROOT, "windows >= 99 %% of peak vs large-only (4 GPUs), unpredictable, all rates pooled%s | "
          + "%s (per rate: %s) | %s |%n", spread ? " >= 1.53x" : "", ratio(v[2], l[2]), perRate99, spread ? met(w99 >= 1.53) : "(no goal)"));
      summary.append(f).append(String.format(Locale.ROOT, "performance per GPU vs large-only on 8 GPUs, unpredictable, mean over rates%s | "
          + "%.2fx (per rate: %s) | %s |%n", spread ? " >= 3.9x" : "", gpu, perRateGpu, spread ? met(gpu >= 3.9) : "(no goal)"));
      EveryRate every = EveryRate.of(rates, sweep, uRates, unpredictable, RL, THRESHOLD, HYBRID);
      summary.append(f).append(String.format(Locale.ROOT, "success per GPU-h above the threshold heuristic and the hybrid router at "
          + "every rate%s | %s | %s |%n", spread ? "" : " (goal on this fleet)", every, spread ? "(no goal)" : met(every.met())));
      headline.put(fleet + ": availability >= 95 % vs large-only", avail);
      headline.put(fleet + ": windows >= 99 % vs large-only, all rates", ratio(v[2], l[2]));
      headline.put(fleet + ": quality per GPU vs large-only on 8 GPUs, mean over rates", String.format(Locale.ROOT, "%.2fx", gpu));
      headline.put(fleet + ": success per GPU-h above threshold and hybrid", every.above() + " of " + every.rates() + " rates");
    }

    static String met(boolean b) {
      return b ? "met" : "**missed**";
    }

    /** What bounds the comparison with the paper, computed from the deployment and the utility model. */
    void limits(StringBuilder md, List<Setup> setups) {
      double in = Arrays.stream(x.lengths).mapToInt(l -> l[0]).average().orElse(1);
      double out = Arrays.stream(x.lengths).mapToInt(l -> l[1]).average().orElse(1);
      int i0 = (int) Math.round(in), o0 = (int) Math.round(out);
      md.append("\n### 5. What bounds these ratios in this deployment\n\n")
          .append(String.format(Locale.ROOT, "Throughput at full batches for the mean request (%.0f in, %.0f out tokens), per GPU: ", in, out));
      double lo = Double.MAX_VALUE, hi = 0;
      for (int m = 0; m < x.routing.models().size(); m++) {
        int[] one = only(m, 1);
        double c = capacity(x, one, i0, o0) / x.routing.gpus(one);
        lo = Math.min(lo, c);
        hi = Math.max(hi, c);
        md.append(String.format(Locale.ROOT, "%s %.2f req/s; ", x.routing.modelIds().get(m), c));
      }
      md.append(String.format(Locale.ROOT, "spread %.0fx (the paper's OPT-125M vs OPT-6.7B: ~50x). Per deployment: ", hi / lo));
      for (Setup s : setups) md.append(String.format(Locale.ROOT, "%s %.1f req/s; ", s.name(), capacity(x, s.replicas(), i0, o0)));
      md.append("no router stays available much beyond its deployment's throughput.\n\n");
      md.append("Mean task utility of each model relative to the large model, by labelled prompt tier:\n\n| model |");
      for (Tier t : Tier.values()) md.append(' ').append(t).append(" prompt |");
      md.append("\n|---|---|---|---|\n");
      for (int m = 0; m < x.routing.models().size(); m++) {
        md.append("| ").append(x.routing.modelIds().get(m)).append(" |");
        for (Tier t : Tier.values()) {
          double[] u = x.prompts.meanUtility(t);
          md.append(String.format(Locale.ROOT, " %.3f |", u[m] / u[x.routing.peakModel()]));
        }
        md.append('\n');
      }
      md.append("\nA window reaches 99 % of peak only if nearly all of its utility comes from the large model wherever the "
          + "others score lower; against large-only on 8 GPUs, performance per GPU is at most the GPU ratio (2x) times the "
          + "quality ratio while large-only on 8 GPUs keeps its deadlines.\n");
    }

    String replicas(int[] r) {
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < r.length; i++) if (r[i] > 0) s.append(s.length() == 0 ? "" : " + ").append(x.routing.modelIds().get(i)).append(" x").append(r[i]);
      return s.toString();
    }
  }

  /**
   * Success per GPU-h of one row against the threshold heuristic's and the hybrid router's, paired by workload seed,
   * at every rate of both sweeps: at how many it is above both on the mean, at how many by more than the paired 95 %
   * CI, and by how much it is behind where it is.
   */
  record EveryRate(int above, int significant, int rates, String behind) {
    static EveryRate of(List<Double> stable, List<Cell[]> sweep, List<Double> unpredictable, List<Cell[]> uSweep, int row,
        int threshold, int hybrid) {
      int above = 0, significant = 0;
      StringBuilder behind = new StringBuilder();
      List<Cell[]> all = new ArrayList<>(sweep);
      all.addAll(uSweep);
      List<String> names = new ArrayList<>();
      for (double r : stable) names.add(String.format(Locale.ROOT, "%.3g/s stable", r));
      for (double r : unpredictable) names.add(String.format(Locale.ROOT, "%.3g/s unpredictable", r));
      for (int k = 0; k < all.size(); k++) {
        Cell[] c = all.get(k);
        boolean beat = true, sig = true;
        for (int other : new int[] {threshold, hybrid}) {
          double[] a = c[row].bySeed(Metrics::successPerGpuHour), b = c[other].bySeed(Metrics::successPerGpuHour);
          double[] d = new double[a.length];
          for (int i = 0; i < d.length; i++) d[i] = a[i] - b[i];
          Stat s = Stat.of(d);
          if (!(s.mean() > 0)) {
            beat = false;
            behind.append(behind.length() == 0 ? "" : "; ").append(String.format(Locale.ROOT, "%s vs %s %+.1f%%", names.get(k),
                other == threshold ? "threshold" : "hybrid", 100 * s.mean() / c[other].mean(Metrics::successPerGpuHour)));
          }
          if (!(s.mean() - (Double.isNaN(s.ci()) ? 0 : s.ci()) > 0)) sig = false;
        }
        if (beat) above++;
        if (sig) significant++;
      }
      return new EveryRate(above, significant, all.size(), behind.toString());
    }

    boolean met() {
      return above == rates;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "above both at %d of %d rates (by more than the paired 95 %% CI at %d)%s", above,
          rates, significant, behind.isEmpty() ? "" : "; behind: " + behind);
    }
  }

  static double maxRate(List<Double> rates, double[] avail, double threshold) {
    double best = 0;
    for (int r = 0; r < rates.size(); r++) {
      if (!(avail[r] >= threshold)) break;
      best = rates.get(r);
    }
    return best;
  }

  static String times(double a, double b) {
    if (b > 0) return String.format(Locale.ROOT, "%.1fx (%.3g vs %.3g/s)", a / b, a, b);
    return a > 0 ? String.format(Locale.ROOT, "%.3g/s vs never", a) : "neither";
  }

  static String ratio(double a, double b) {
    if (b == 0) return a == 0 ? "0 vs 0" : String.format(Locale.ROOT, "%.0f%% vs 0", 100 * a);
    return String.format(Locale.ROOT, "%.2fx", a / b);
  }

  /**
   * The same routers inside the discrete-event simulator itself ({@link Simulation}: production PoolCore leases and hold queues,
   * ReplicaServer, gateway fallbacks), on a static deployment: its success metric (on time AND correct, the answer
   * model's draw) and the on-time share, as bench/results/simulator.md reports them.
   */
  static void desCrossCheck(StringBuilder md, RlExperiment x, DqnPolicy policy, int seeds, long t0) throws java.io.IOException {
    int minutes = 20;
    double[] rates = {4, 8, 16, 24};
    String largeId = x.catalog.defaultFor(Tier.HIGH).id();
    int largeGpus = x.catalog.get(largeId).gpusPerReplica();
    Map<String, Integer> mixed = new LinkedHashMap<>();
    int[] r = x.mixedReplicas();
    for (int i = 0; i < r.length; i++) if (r[i] > 0) mixed.put(x.routing.modelIds().get(i), r[i]);
    int gpus = x.routing.gpus(r);
    Scenario.RouterFactory complexity = (pools, clock) -> x.complexityRouter();
    Scenario.RouterFactory rl = (pools, clock) -> new RlRoutingPolicy(x.catalog, policy, x.rlClassifier, pools,
        new ArrivalRateEstimator(x.env.rateTimeConstantMs()), clock, 0);
    List<Scenario> scenarios = List.of(
        new Scenario("large-only", Map.of(largeId, Math.max(1, gpus / largeGpus)), largeId, null, null, complexity),
        new Scenario("hybrid, balanced profile", mixed, null, RouterKind.HYBRID, Profile.BALANCED, complexity),
        new Scenario("rl (Double DQN)", mixed, null, RouterKind.RL, Profile.BALANCED, rl));
    List<Trace.Request> lengths = Trace.azureLlm(x.shared.resolve("data/azure_llm_inference_2023/AzureLLMInferenceTrace_conv.csv"),
        "lengths", 1).requests();
    LatencyModel.Deployment ref = x.fleet.reference().deployment();
    md.append("\n### 6. Cross-check inside the discrete-event simulator itself\n\n")
        .append("The same routers in `io.pickspin.lab.des.Simulation` (production pool leases and hold queues with max hold, "
            + "`ReplicaServer`, gateway fallbacks) on static deployments of ").append(gpus).append(" GPUs, ").append(minutes)
        .append(" minutes of the Azure Functions trace in real time (bursty = the 2nd busiest function, stable = all functions), "
            + "deadlines as above, mean of ").append(seeds).append(" seeds. Success = on time and correct (the answer model's "
            + "draw), as bench/results/simulator.md counts it.\n\n| trace | rate/s | router | success | on time | served S/M/L |\n"
            + "|---|---|---|---|---|---|\n");
    for (String shape : List.of("rank:2", "all")) {
      for (double rate : rates) {
        for (Scenario sc : scenarios) {
          double success = 0, onTime = 0;
          Map<String, Double> served = new LinkedHashMap<>();
          for (int k = 0; k < seeds; k++) {
            Trace trace = Trace.azureFunctions(x.shared.resolve(x.env.traceFile()), "azure-functions", shape, rate, 600, minutes,
                lengths, 300 + k);
            ReplayStream stream = ReplayStream.build(trace, 0, x.setup.prompts,
                (in, out) -> x.fleet.latency().idleServiceMs(ref, in, out), 300 + k);
            RunResult res = new Simulation(x.fleet, sc, x.setup.scaling, x.setup.pool, Simulation.Settings.defaults()).run(stream);
            success += res.successRate() / seeds;
            onTime += (double) res.onTime() / Math.max(1, res.requests()) / seeds;
            for (var e : res.servedBy().entrySet()) served.merge(e.getKey(), (double) e.getValue() / Math.max(1, res.completed()) / seeds, Double::sum);
          }
          StringBuilder share = new StringBuilder();
          for (String id : x.routing.modelIds()) share.append(share.length() == 0 ? "" : "/").append(String.format(Locale.ROOT, "%.0f", 100 * served.getOrDefault(id, 0.0)));
          md.append(String.format(Locale.ROOT, "| %s | %.0f | %s | %.1f%% | %.1f%% | %s%% |%n", shape.equals("all") ? "stable" : "bursty",
              rate, sc.name(), 100 * success, 100 * onTime, share));
        }
        log(t0, "  DES %s rate %.0f done", shape, rate);
      }
    }
  }

  static void inference(StringBuilder md, RlExperiment x, DqnPolicy policy) {
    ServingSimulator idle = x.routing.newSimulator(x.mixedReplicas());
    RlRoutingPolicy router = new RlRoutingPolicy(x.catalog, policy, x.rlClassifier, x.routing.poolView(idle),
        new ArrivalRateEstimator(x.env.rateTimeConstantMs()), java.time.Clock.systemUTC(), 0);
    List<RouteRequest> requests = new ArrayList<>();
    Random rng = new Random(3);
    Workload.Spec spec = new Workload.Spec(5, x.stableShape, x.env.traceMinuteMs(), UNIFORM, x.env.mixShiftMs(),
        x.env.deadlineSlack(), x.referenceMs(), 200_000);
    for (Workload.Arrival a : Workload.generate(spec, x.prompts, x.lengths, rng))
      requests.add(new RouteRequest(RouteRequest.AUTO, a.prompt().text(), Profile.BALANCED, RouterKind.RL, a.deadlineMs()));
    @SuppressWarnings("unchecked")
    List<Integer> hidden = (List<Integer>) policy.training().getOrDefault("hidden", List.of(64, 64));
    md.append("\n### 4. Per-request inference cost on the CPU (this shared 2-core machine)\n\n"
        + "| path | calls | p50 us | p99 us | mean us |\n|---|---|---|---|---|\n");
    for (InferenceLatency.Row r : InferenceLatency.measure(policy, hidden, router, requests))
      md.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f |%n", r.path(), r.calls(), r.p50Us(), r.p99Us(), r.meanUs()));
    md.append("\nThe product evaluates the Q-network in plain Java (`QNetwork`): same weights as the DJL network "
        + "(a test checks they agree to 1e-5), no JNI call, no native memory scope, no engine needed on the request path. "
        + "The decide row includes the memoised hybrid classification of the simulator's prompts, not a live classifier call.\n");
  }

  static double capacity(RlExperiment x, int[] replicas, int in, int out) {
    double c = 0;
    for (int m = 0; m < replicas.length; m++)
      c += replicas[m] * x.routing.servers().maxBatch(m) * 1000.0 / x.routing.servers().fullBatchServiceMs(m, in, out);
    return c;
  }

  static String replicas(RlExperiment x, int[] r) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < r.length; i++) if (r[i] > 0) s.append(s.length() == 0 ? "" : " + ").append(x.routing.modelIds().get(i)).append(" x").append(r[i]);
    return s.toString();
  }

  static void log(long t0, String fmt, Object... args) {
    System.err.printf(Locale.ROOT, "[rl-router-bench %6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, String.format(Locale.ROOT, fmt, args));
  }
}
