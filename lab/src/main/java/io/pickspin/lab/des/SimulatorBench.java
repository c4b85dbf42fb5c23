package io.pickspin.lab.des;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pickspin.lab.common.Cli;
import io.pickspin.lab.common.ResultsFile;
import io.pickspin.lab.train.PromptCorpus;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.scaling.ScalingSettings;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The simulator benchmark ({@code bin/simulate}): replays traces through static deployments, baselines and Pick and
 * Spin (the production routing and scaling classes) in the discrete-event simulator, several seeds per cell, and
 * writes bench/results/simulator.md (means with 95 % confidence intervals, the goals of issue 22 computed as met / not
 * met), optionally a JSON summary and a PNG of GPUs and latency over time. Progress goes to stderr.
 *
 * <p>Evaluation protocol: every trace is cut in two halves in time. The first half is for validation: {@code --tune}
 * runs a grid of the scaler's free parameters there and writes bench/results/simulator-tuning.md; the chosen values
 * are then frozen in pickspin-scaling.conf (the product's shipped settings, which the default row uses as they are).
 * The benchmark proper runs the second half ({@code --split test}), after a warm-up of the ten minutes before it.
 * Static deployments are sized with hindsight on the test half itself, per seed: the fewest replicas that meet the
 * SLO's on-time share.
 *
 * <p>{@code bin/simulate --help} lists the options.
 */
public final class SimulatorBench {
  static final String ALL_TRACES = "azure-conv,azure-code,mooncake,azure-functions,azure-functions-bursty";
  static final String DEFAULT = "Pick and Spin hybrid, balanced";
  static final String FIXED_SLACK = "Pick and Spin hybrid, balanced, fixed-slack scaler";
  static final Color STATIC = new Color(31, 119, 180), STATIC_ALL = new Color(127, 127, 127), PS = new Color(214, 39, 40),
      OLD = new Color(255, 127, 14);
  /** Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom. */
  static final double[] T95 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
      2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

  @Command(name = "bin/simulate", sortOptions = false, showDefaultValues = true,
      description = "Replays traces through static deployments, baselines and Pick and Spin in the discrete-event simulator.")
  static final class Options {
    @Mixin Cli.Help help;
    @Option(names = "--traces", description = "comma-separated, of " + ALL_TRACES) String traces = ALL_TRACES;
    @Option(names = "--trace", description = "a CSV in the Azure LLM 2023 format (TIMESTAMP,ContextTokens,GeneratedTokens), "
        + "named after its file; repeatable; replaces --traces") List<Path> traceFiles = new ArrayList<>();
    @Option(names = "--seed", description = "first seed of the synthetic arrivals, prompt and deadline draws") long seed = 1;
    @Option(names = "--seeds", description = "seeds per cell (seed, seed + 1, ...); 95% confidence intervals over them") int seeds = 5;
    @Option(names = "--speedups", description = "time compressions of every trace (2 = twice the rate)") String speedups = "1,2,4";
    @Option(names = "--split", description = "test (second half of each trace), validation (first half) or whole") String split = "test";
    @Option(names = "--minutes", description = "truncate every trace to its first M minutes, for a quick look") Double minutes;
    @Option(names = "--speedup-conv", description = "time compression of azure-conv before --speedups") double speedupConv = 1;
    @Option(names = "--speedup-code", description = "time compression of azure-code before --speedups") double speedupCode = 1;
    @Option(names = "--speedup-mooncake", description = "time compression of mooncake before --speedups") double speedupMooncake = 1;
    @Option(names = "--af-rate", description = "mean req/s of the summed Azure Functions shape") double afRate = 5;
    @Option(names = "--af-bursty-select", description = "the bursty trace's function: rank:N (N-th busiest)") String afBurstySelect = "rank:3";
    @Option(names = "--af-bursty-rate", description = "mean req/s of the bursty trace") double afBurstyRate = 1;
    @Option(names = "--af-hours", description = "hours of the Azure Functions day") double afHours = 24;
    @Option(names = "--fleet", description = "qwen3 or mixed") String fleet = "qwen3";
    @Option(names = "--slo", description = "share of requests a static deployment must serve within the deadline") double slo = 0.95;
    @Option(names = "--max-hold-s", description = "the gateway's max hold, seconds") long maxHoldS = 60;
    @Option(names = "--warmup-min", description = "minutes replayed first, not measured") double warmupMin = 10;
    @Option(names = "--quick", description = "static single-model rows, Spin only, the product default and the same with the fixed-slack scaler only") boolean quick;
    @Option(names = "--no-classifier", description = "without the learned classifier (keyword fallback)") boolean noClassifier;
    @Option(names = "--tune", description = "grid of the scaler's free parameters on the validation halves; writes --tune-out") boolean tune;
    @Option(names = "--tune-out", description = "tuning results file") Path tuneOut = Path.of("bench/results/simulator-tuning.md");
    @Option(names = "--json", description = "JSON summary: per trace its rows' mean success, on time, GPU-h, p99 latency and CIs") Path json;
    @Option(names = "--out", description = "results file") Path out = Path.of("bench/results/simulator.md");
    @Option(names = "--png", description = "plot of GPUs and latency over time (first seed, uncompressed traces)") Path png = Path.of("bench/results/simulator.png");
  }

  private final SimSetup setup;
  private final Options options;
  private final Simulation.Settings simSettings;
  private final double slo;
  private final double warmupMs;
  private final List<Long> seeds = new ArrayList<>();

  private SimulatorBench(SimSetup setup, Options options) {
    this.setup = setup;
    this.options = options;
    this.simSettings = new Simulation.Settings(Duration.ofSeconds(options.maxHoldS), 3);
    this.slo = options.slo;
    this.warmupMs = 60_000 * options.warmupMin;
    for (int i = 0; i < Math.max(1, options.seeds); i++) seeds.add(options.seed + i);
  }

  /** One trace at one time compression. */
  record Variant(Trace trace, String base, double speedup) {
    String name() {
      return trace.name();
    }
  }

  /** One row of a trace: its scenario's name and kind, and its runs, one per seed. */
  static final class Cell {
    final String name, group;
    final List<RunResult> runs = new ArrayList<>();
    final List<String> sizes = new ArrayList<>();
    String role = "other";

    Cell(String name, String group) {
      this.name = name;
      this.group = group;
    }

    Stat stat(ToDoubleFunction<RunResult> f) {
      return Stat.of(runs.stream().mapToDouble(f).toArray());
    }

    String sizing() {
      if (sizes.isEmpty()) return "scaled";
      Set<String> distinct = new LinkedHashSet<>(sizes);
      return distinct.size() == 1 ? sizes.get(0) : String.join(" / ", distinct);
    }
  }

  /** Mean and 95 % confidence half-width (Student's t) over seeds. */
  record Stat(double mean, double ci, int n) {
    static Stat of(double[] x) {
      int n = x.length;
      double m = Arrays.stream(x).average().orElse(0);
      if (n < 2) return new Stat(m, Double.NaN, n);
      double ss = 0;
      for (double v : x) ss += (v - m) * (v - m);
      double sd = Math.sqrt(ss / (n - 1));
      return new Stat(m, T95[Math.min(n - 1, T95.length) - 1] * sd / Math.sqrt(n), n);
    }

    /** The per-seed differences a - b (same seeds, same requests). */
    static Stat paired(List<RunResult> a, List<RunResult> b, ToDoubleFunction<RunResult> f) {
      double[] d = new double[Math.min(a.size(), b.size())];
      for (int i = 0; i < d.length; i++) d[i] = f.applyAsDouble(a.get(i)) - f.applyAsDouble(b.get(i));
      return of(d);
    }

    double ciOrZero() {
      return Double.isNaN(ci) ? 0 : ci;
    }
  }

  /** One variant's cells. */
  record TraceReport(Variant variant, ModelFleet fleet, List<Cell> cells, Cell bestStatic, Map<Profile, Set<String>> preferred) {
    Cell cell(String name) {
      return cells.stream().filter(c -> c.name.equals(name)).findFirst().orElse(null);
    }

    Cell byGroup(String group) {
      return cells.stream().filter(c -> c.group.equals(group)).findFirst().orElse(null);
    }
  }

  public static void main(String[] argv) throws Exception {
    Options a = Cli.parseOrExit(new Options(), argv);
    ResultsFile.Run started = ResultsFile.Run.start(SimulatorBench.class, argv);
    long t0 = System.nanoTime();
    progress("loading data, fitting the latency and answer models ...");
    try (SimSetup setup = SimSetup.load(PromptCorpus.sharedDir(), !a.noClassifier, a.seed, a.fleet)) {
      progress(String.format(Locale.ROOT, "setup done in %.1f s: %d held-out prompts, classifier %s", (System.nanoTime() - t0) / 1e9,
          setup.prompts.size(), setup.learned.isPresent() ? "loaded" : "not loaded (keyword fallback)"));
      SimulatorBench bench = new SimulatorBench(setup, a);
      List<Variant> variants = bench.variants();
      if (a.tune) {
        String md = bench.tune(variants, (System.nanoTime() - t0) / 1e9);
        System.out.println(ResultsFile.write(a.tuneOut, TUNE_TITLE, started, md + "\n\nWhole tuning " + String.format(Locale.ROOT,
            "%.0f s wall.", (System.nanoTime() - t0) / 1e9), Map.of()));
        progress("wrote " + a.tuneOut.toAbsolutePath());
        return;
      }
      List<TraceReport> reports = new ArrayList<>();
      for (Variant v : variants) reports.add(bench.runVariant(v, setup.scaling));
      String md = bench.markdown(reports, (System.nanoTime() - t0) / 1e9);
      System.out.println(ResultsFile.write(a.out, TITLE, started, md, headline(reports)));
      if (a.json != null) {
        Path j = a.json.toAbsolutePath();
        if (j.getParent() != null) Files.createDirectories(j.getParent());
        Files.writeString(j, json(reports));
        progress("wrote " + j);
      }
      Path png = a.png.toAbsolutePath();
      if (png.getParent() != null) Files.createDirectories(png.getParent());
      bench.plot(reports, png);
      progress("wrote " + a.out.toAbsolutePath() + " and " + png);
    }
  }

  // ---- traces

  List<Variant> variants() throws IOException {
    List<Trace> base = new ArrayList<>();
    if (!options.traceFiles.isEmpty()) {
      for (Path f : options.traceFiles) {
        String name = f.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        base.add(Trace.azureLlm(f, name, 1));
      }
    } else {
      Path data = setup.shared.resolve("data");
      int afMinutes = (int) Math.round(60 * options.afHours);
      Trace conv = Trace.azureLlm(data.resolve("azure_llm_inference_2023/AzureLLMInferenceTrace_conv.csv"), "azure-conv",
          options.speedupConv);
      Trace convLengths = options.speedupConv == 1 ? conv
          : Trace.azureLlm(data.resolve("azure_llm_inference_2023/AzureLLMInferenceTrace_conv.csv"), "azure-conv", 1);
      for (String name : options.traces.split(",")) {
        Trace t = switch (name.trim()) {
          case "azure-conv" -> conv;
          case "azure-code" -> Trace.azureLlm(data.resolve("azure_llm_inference_2023/AzureLLMInferenceTrace_code.csv"),
              "azure-code", options.speedupCode);
          case "mooncake" -> Trace.mooncake(data.resolve("mooncake_traces/conversation_trace.jsonl"), options.speedupMooncake);
          case "azure-functions" -> Trace.azureFunctions(data.resolve("azure_functions_2019_invitro_sample/1000_inv.csv"),
              "azure-functions", "all", options.afRate, 0, afMinutes, convLengths.requests(), options.seed);
          case "azure-functions-bursty" -> Trace.azureFunctions(data.resolve("azure_functions_2019_invitro_sample/1000_inv.csv"),
              "azure-functions-bursty", options.afBurstySelect, options.afBurstyRate, 0, afMinutes, convLengths.requests(), options.seed);
          default -> throw new IllegalArgumentException("unknown trace " + name + ", expected some of " + ALL_TRACES);
        };
        base.add(t);
      }
    }
    List<Variant> out = new ArrayList<>();
    for (Trace t : base) {
      if (options.minutes != null) t = t.window(0, 60_000.0 * options.minutes);
      for (String s : options.speedups.split(",")) {
        double f = Double.parseDouble(s.trim());
        out.add(new Variant(t.compressed(f), t.name(), f));
      }
    }
    return out;
  }

  /** The measured requests of a variant for one seed: its split, after a warm-up. */
  ReplayStream stream(Variant v, ModelFleet fleet, long seed) {
    ModelFleet.Model ref = fleet.reference();
    Trace t = v.trace;
    double half = t.durationMs() / 2;
    double from, to;
    switch (options.split) {
      case "test" -> { from = half; to = t.durationMs() + 1; }
      case "validation" -> { from = 0; to = half; }
      case "whole" -> { from = 0; to = t.durationMs() + 1; }
      default -> throw new IllegalArgumentException("--split must be test, validation or whole, got " + options.split);
    }
    return ReplayStream.window(t, from, to, warmupMs, setup.prompts,
        (in, out) -> fleet.latency().idleServiceMs(ref.deployment(), in, out), seed);
  }

  /** The catalogue profiled on the variant's workload, as an operator benchmarks a model on the requests it will serve. */
  ModelFleet fleetFor(Variant v) {
    Trace t = v.trace;
    double input = t.requests().stream().mapToDouble(r -> r.inputTokens()).average().orElse(ModelFleet.NOMINAL_INPUT);
    double output = t.requests().stream().mapToDouble(r -> r.outputTokens()).average().orElse(ModelFleet.NOMINAL_OUTPUT);
    return setup.fleet.forWorkload((int) Math.ceil(input + output), (int) Math.round(input), (int) Math.round(output));
  }

  // ---- runs

  TraceReport runVariant(Variant v, ScalingSettings shipped) {
    ModelFleet fleet = fleetFor(v);
    Map<Long, ReplayStream> streams = new LinkedHashMap<>();
    for (long s : seeds) streams.put(s, stream(v, fleet, s));
    ReplayStream first = streams.values().iterator().next();
    progress(String.format(Locale.ROOT, "trace %s (%s half): %d requests measured of %.1f h (%.2f req/s), %d seeds", v.name(),
        options.split, first.measured(), v.trace.durationMs() / 3.6e6, v.trace.meanRatePerSecond(), seeds.size()));
    Scenario.RouterFactory complexity = (pools, clock) -> setup.complexityRouter(fleet);
    List<Cell> cells = new ArrayList<>();

    // static deployments of each single model, sized with hindsight per seed
    for (ModelFleet.Model m : fleet.models()) {
      Cell c = new Cell("static " + m.id(), "static");
      int hint = -1;
      for (long s : seeds) {
        ReplayStream r = streams.get(s);
        IntFunctionRun run = n -> run(fleet, staticOne(m.id(), n, complexity), shipped, simSettings, r);
        StaticSizing.Size size = hint < 0 ? StaticSizing.smallest(m.maxReplicas(), slo, run::apply)
            : StaticSizing.around(hint, m.maxReplicas(), slo, run::apply);
        hint = size.replicas();
        c.runs.add(size.run());
        c.sizes.add(size.replicas() + "x " + m.id());
      }
      cells.add(report(v, c));
    }
    Cell best = bestStatic(cells);
    best.role = "best-static";
    String bestModel = best.name.substring("static ".length());

    Scenario def = pickAndSpin(RouterKind.HYBRID, Profile.BALANCED, complexity);
    Cell defCell = new Cell(DEFAULT, "pick-and-spin");
    defCell.role = "default";
    Cell spinOnly = new Cell("Spin only: " + bestModel + " + scaler", "spin-only");
    Cell fixedSlack = new Cell(FIXED_SLACK, "fixed-slack");
    Scenario spinOnlyScenario = new Scenario(spinOnly.name, null, bestModel, null, null, complexity);
    Scenario fixedSlackScenario = new Scenario(FIXED_SLACK, null, null, RouterKind.HYBRID, Profile.BALANCED, complexity);
    ScalingSettings old = fixedSlack(shipped);
    for (long s : seeds) {
      ReplayStream r = streams.get(s);
      defCell.runs.add(run(fleet, def, shipped, simSettings, r));
      spinOnly.runs.add(run(fleet, spinOnlyScenario, shipped, simSettings, r));
      fixedSlack.runs.add(run(fleet, fixedSlackScenario, old, simSettings.withoutSpill(), r));
    }
    cells.add(report(v, defCell));
    cells.add(report(v, spinOnly));
    cells.add(report(v, fixedSlack));
    Map<Profile, Set<String>> preferred = new LinkedHashMap<>();
    if (!options.quick) {
      // every model always on, routed by hybrid balanced: the paper's Helm chart (1/1/1) and sized with hindsight
      Cell paper = new Cell("static all models 1/1/1 (the paper's Helm chart), hybrid balanced", "static-all-111");
      Map<String, Integer> ones = new LinkedHashMap<>();
      for (ModelFleet.Model m : fleet.models()) ones.put(m.id(), 1);
      Scenario paperScenario = new Scenario(paper.name, ones, null, RouterKind.HYBRID, Profile.BALANCED, complexity);
      Cell pickOnly = new Cell("static all models sized (Pick only), hybrid balanced", "static-all");
      Map<String, Integer> hints = new HashMap<>();
      for (long s : seeds) {
        ReplayStream r = streams.get(s);
        paper.runs.add(run(fleet, paperScenario, shipped, simSettings, r));
        Map<String, List<SimRequest>> share = routedShare(fleet, r.requests(), Profile.BALANCED);
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (ModelFleet.Model m : fleet.models()) {
          List<SimRequest> sub = share.getOrDefault(m.id(), List.of());
          if (sub.isEmpty()) {
            counts.put(m.id(), 0);
            continue;
          }
          IntFunctionRun run = n -> run(fleet, staticOne(m.id(), n, complexity), shipped, simSettings, r.subset(sub));
          Integer hint = hints.get(m.id());
          int n = (hint == null ? StaticSizing.smallest(m.maxReplicas(), slo, run::apply)
              : StaticSizing.around(hint, m.maxReplicas(), slo, run::apply)).replicas();
          hints.put(m.id(), n);
          counts.put(m.id(), n);
        }
        Scenario sized = new Scenario(pickOnly.name, counts, null, RouterKind.HYBRID, Profile.BALANCED, complexity);
        pickOnly.runs.add(run(fleet, sized, shipped, simSettings, r));
        pickOnly.sizes.add(sizing(counts));
      }
      cells.add(report(v, paper));
      cells.add(report(v, pickOnly));
      // the other profiles, the DQN router, and two routers from elsewhere on the same scaler
      List<Scenario> others = new ArrayList<>();
      for (Profile p : List.of(Profile.QUALITY, Profile.COST, Profile.SPEED)) others.add(pickAndSpin(RouterKind.HYBRID, p, complexity));
      setup.rlRouter(fleet).ifPresent(f -> others.add(new Scenario("Pick and Spin rl (DQN policy), balanced", null, null, RouterKind.RL, Profile.BALANCED, f)));
      Scenario liteLlm = new Scenario("LiteLLM-style router (cheapest healthy, least busy, no classifier) + scaler", null, null,
          null, null, BaselineRouters.liteLlm(fleet));
      others.add(liteLlm);
      others.add(new Scenario("oracle router (cheapest correct model) + scaler", null, null, null, null,
          BaselineRouters.oracle(fleet, setup.prompts)));
      for (Scenario sc : others) {
        Cell c = new Cell(sc.name(), sc.name().startsWith("Pick and Spin") ? "pick-and-spin" : "baseline");
        // LiteLLM retries a 429 on the next deployment; the gateway answers it
        Simulation.Settings sim = sc == liteLlm ? simSettings.withFallbackOnOverload() : simSettings;
        for (long s : seeds) c.runs.add(run(fleet, sc, shipped, sim, streams.get(s)));
        cells.add(report(v, c));
      }
      for (Profile p : Profile.values()) preferred.put(p, routedShare(fleet, first.requests(), p).keySet());
    }
    return new TraceReport(v, fleet, cells, best, preferred);
  }

  @FunctionalInterface
  interface IntFunctionRun {
    RunResult apply(int n);
  }

  /** The fixed-slack scaler: the shipped settings with a fixed slack, max over a 300 s cooldown, no consolidation, LOW warm. */
  static ScalingSettings fixedSlack(ScalingSettings s) {
    ScalingSettings old = new ScalingSettings(s.tickInterval(), s.telemetryWindow(), Duration.ofSeconds(300), s.idleTimeout(),
        s.scaleDownHeadroom(), Map.of(Tier.LOW, 1, Tier.MEDIUM, 0, Tier.HIGH, 0), s.assumedOutputTokens(), s.telemetryTimeout(),
        s.snapshotEvery(), s.keepSnapshots(), s.recentDecisions(), 0.3);
    return old.withSlo(ScalingSettings.Slo.off());
  }

  /** The single-model static row with the most successes on average (ties: the cheaper). */
  private static Cell bestStatic(List<Cell> cells) {
    return cells.stream().filter(c -> c.group.equals("static"))
        .max(Comparator.comparingDouble((Cell c) -> c.stat(RunResult::successRate).mean())
            .thenComparing(c -> -c.stat(RunResult::gpuHours).mean()))
        .orElseThrow();
  }

  private Scenario staticOne(String model, int n, Scenario.RouterFactory routers) {
    return new Scenario("static " + model, Map.of(model, n), model, null, null, routers);
  }

  private static Scenario pickAndSpin(RouterKind k, Profile p, Scenario.RouterFactory routers) {
    return new Scenario("Pick and Spin " + k.wireName() + ", " + p.wireName(), null, null, k, p, routers);
  }

  private RunResult run(ModelFleet fleet, Scenario s, ScalingSettings scaling, Simulation.Settings sim, ReplayStream requests) {
    return new Simulation(fleet, s, scaling, setup.pool, sim).run(requests);
  }

  /** Which model hybrid routing under a profile sends each request to, with a fresh matrix and every model idle. */
  private Map<String, List<SimRequest>> routedShare(ModelFleet fleet, List<SimRequest> requests, Profile profile) {
    ComplexityRoutingPolicy router = setup.complexityRouter(fleet);
    Map<String, List<SimRequest>> out = new LinkedHashMap<>();
    for (SimRequest r : requests) {
      String m = router.decide(new RouteRequest(RouteRequest.AUTO, r.prompt().text(), profile, RouterKind.HYBRID,
          Math.round(r.deadlineMs()))).model();
      out.computeIfAbsent(m, k -> new ArrayList<>()).add(r);
    }
    return out;
  }

  private static String sizing(Map<String, Integer> counts) {
    StringBuilder s = new StringBuilder();
    counts.forEach((m, n) -> s.append(s.length() == 0 ? "" : " + ").append(n).append("x ").append(m));
    return s.toString();
  }

  private static Cell report(Variant v, Cell c) {
    Stat succ = c.stat(RunResult::successRate), gpu = c.stat(RunResult::gpuHours);
    double wall = c.runs.stream().mapToDouble(RunResult::wallMs).sum() / 1000;
    progress(String.format(Locale.ROOT, "  %-22s %-60s success %5.1f%% +-%.1f  on time %5.1f%%  GPU-h %7.2f +-%.2f  p99 %6.1f s  cold %5.0f  spilled %6.0f  (%s; %.1f s wall)",
        v.name(), c.name, 100 * succ.mean(), 100 * succ.ciOrZero(), 100 * c.stat(RunResult::onTimeRate).mean(), gpu.mean(), gpu.ciOrZero(),
        c.stat(r -> r.all().p99Ms()).mean() / 1000, c.stat(RunResult::coldStarts).mean(), c.stat(RunResult::spilled).mean(), c.sizing(), wall));
    return c;
  }

  static void progress(String s) {
    System.err.println("[simulate] " + s);
  }

  // ---- tuning on the validation halves

  static final String TUNE_TITLE = "Simulator tuning: the scaler's free parameters on the validation halves";

  /** One point of the grid. */
  record Knobs(double safety, long windowS, double percentile, long maxWindowS, long regretS, double feedback,
      long calibrationS, double burstAboveLongRun, long burstLongRunS, int anchorWarm) {
    Knobs(double safety, long windowS, double percentile, long maxWindowS, long regretS) {
      this(safety, windowS, percentile, maxWindowS, regretS, 0, 0, 0, 0, 1);
    }

    ScalingSettings apply(ScalingSettings s) {
      ScalingSettings.Slo slo = s.slo().withSafety(safety).withFeedback(feedback).withCalibration(Duration.ofSeconds(calibrationS));
      ScalingSettings.Consolidation c = s.consolidation();
      return s.withSlo(slo).withBurst(new ScalingSettings.Burst(Duration.ofSeconds(burstLongRunS), burstAboveLongRun))
          .withConsolidation(new ScalingSettings.Consolidation(c.enabled(), c.qualityTolerance(), anchorWarm, c.toleranceByProfile()))
          .withScaleDown(s.cooldown(), new ScalingSettings.ScaleDown(
              Duration.ofSeconds(windowS), percentile, Duration.ofSeconds(maxWindowS), Duration.ofSeconds(regretS)));
    }

    String label() {
      return String.format(Locale.ROOT, "safety %.1f%s%s%s%s, scale-down p%.0f over %d s%s", safety,
          feedback > 0 ? String.format(Locale.ROOT, ", on-time feedback %.0f", feedback) : "",
          calibrationS > 0 ? String.format(Locale.ROOT, ", slowdown calibration over %d s", calibrationS) : "",
          burstAboveLongRun > 0 ? String.format(Locale.ROOT, ", bursts planned above %.0fx the %d s rate", burstAboveLongRun, burstLongRunS) : "",
          anchorWarm != 1 ? String.format(Locale.ROOT, ", anchor keeps %d warm", anchorWarm) : "",
          100 * percentile, windowS,
          maxWindowS > windowS ? String.format(Locale.ROOT, " (up to %d s after a scale-down regretted within %d s)", maxWindowS, regretS) : "");
    }
  }

  static final List<Knobs> GRID = grid();

  private static List<Knobs> grid() {
    List<Knobs> g = new ArrayList<>();
    for (long w : new long[] {120, 300}) {
      for (double safety : new double[] {0.9, 1.1, 1.3}) g.add(new Knobs(safety, w, 0.9, 1800, 600));
    }
    // a regretted scale-down holds for at most 15 minutes
    for (double safety : new double[] {0.9, 1.1, 1.3}) g.add(new Knobs(safety, 120, 0.9, 900, 600));
    // without the regret backoff: the window stays at 120 s
    for (double safety : new double[] {0.9, 1.1, 1.3}) g.add(new Knobs(safety, 120, 0.9, 120, 0));
    g.add(new Knobs(1.1, 1800, 0.9, 1800, 0));
    // the measured on-time share corrects the slack
    for (double feedback : new double[] {5, 15}) {
      for (double safety : new double[] {0.9, 1.1, 1.3}) g.add(new Knobs(safety, 120, 0.9, 1800, 600, feedback, 0, 0, 0, 1));
    }
    // the measured slowdown corrects the planning model (SlowdownCalibration)
    for (double safety : new double[] {0.9, 1.1, 1.3}) g.add(new Knobs(safety, 120, 0.9, 900, 600, 0, 600, 0, 0, 1));
    for (long tau : new long[] {300, 1200}) g.add(new Knobs(0.9, 120, 0.9, 900, 600, 0, tau, 0, 0, 1));
    // a burst is planned with only above a multiple of the pool's long-run rate (ScalingSettings.Burst)
    for (double safety : new double[] {0.9, 1.1, 1.3}) g.add(new Knobs(safety, 120, 0.9, 900, 600, 0, 600, 3, 1800, 1));
    for (double above : new double[] {2, 5}) g.add(new Knobs(1.1, 120, 0.9, 900, 600, 0, 600, above, 1800, 1));
    for (long longRun : new long[] {900, 3600}) g.add(new Knobs(1.1, 120, 0.9, 900, 600, 0, 600, 3, longRun, 1));
    // the fleet's anchor keeps two replicas warm instead of one: the first minutes of a ramp from idle are served
    for (double safety : new double[] {0.9, 1.1, 1.3}) g.add(new Knobs(safety, 120, 0.9, 900, 600, 0, 600, 3, 1800, 2));
    return g;
  }

  String tune(List<Variant> variants, double secsSoFar) {
    if (!options.split.equals("validation")) throw new IllegalArgumentException("--tune runs on --split validation");
    ScalingSettings shipped = setup.scaling;
    List<String> names = new ArrayList<>();
    Map<String, Stat[]> staticOf = new LinkedHashMap<>(); // variant -> success, gpu of the best static
    Map<Knobs, Map<String, Stat[]>> results = new LinkedHashMap<>();
    for (Variant v : variants) {
      ModelFleet fleet = fleetFor(v);
      Map<Long, ReplayStream> streams = new LinkedHashMap<>();
      for (long s : seeds) streams.put(s, stream(v, fleet, s));
      Scenario.RouterFactory complexity = (pools, clock) -> setup.complexityRouter(fleet);
      List<Cell> cells = new ArrayList<>();
      for (ModelFleet.Model m : fleet.models()) {
        Cell c = new Cell("static " + m.id(), "static");
        for (long s : seeds) {
          IntFunctionRun run = n -> run(fleet, staticOne(m.id(), n, complexity), shipped, simSettings, streams.get(s));
          c.runs.add(StaticSizing.smallest(m.maxReplicas(), slo, run::apply).run());
        }
        cells.add(report(v, c));
      }
      Cell best = bestStatic(cells);
      names.add(v.name());
      staticOf.put(v.name(), new Stat[] {best.stat(RunResult::successRate), best.stat(RunResult::gpuHours)});
      Scenario def = pickAndSpin(RouterKind.HYBRID, Profile.BALANCED, complexity);
      for (Knobs k : GRID) {
        Cell c = new Cell(DEFAULT + ", " + k.label(), "pick-and-spin");
        for (long s : seeds) c.runs.add(run(fleet, def, k.apply(shipped), simSettings, streams.get(s)));
        report(v, c);
        results.computeIfAbsent(k, x -> new LinkedHashMap<>())
            .put(v.name(), new Stat[] {c.stat(RunResult::successRate), c.stat(RunResult::gpuHours)});
      }
    }
    StringBuilder md = new StringBuilder();
    md.append("The scaler's free parameters (the SLO safety factor, the scale-down window and percentile, the on-time feedback, the slowdown calibration, the burst gate and the anchor's warm replicas) chosen on the ")
        .append("first half of every trace, before the benchmark runs the second half (`bin/simulate`, --split test). ")
        .append(String.format(Locale.ROOT, "%d seed(s) per cell; static single-model deployments sized per seed as in the benchmark. ", seeds.size()))
        .append("Each cell: the product default's success against the best static deployment (percentage points) / its GPU-hours relative to it. ")
        .append("A trace counts as met when the success is at most 0.2 pp below and the GPU-hours are not above. ")
        .append("The chosen point meets the most traces, then has the lowest mean GPU-hour ratio; its values are frozen in pickspin-scaling.conf.\n\n");
    md.append("| grid point |");
    for (String n : names) md.append(' ').append(n).append(" |");
    md.append(" traces met | mean GPU-h ratio |\n|---|");
    for (int i = 0; i < names.size(); i++) md.append("---|");
    md.append("---|---|\n");
    Knobs chosen = null;
    int chosenMet = -1;
    double chosenRatio = Double.MAX_VALUE;
    for (Knobs k : GRID) {
      md.append("| ").append(k.label()).append(" |");
      int met = 0;
      double ratio = 0;
      for (String n : names) {
        Stat[] b = staticOf.get(n), x = results.get(k).get(n);
        double dpp = 100 * (x[0].mean() - b[0].mean());
        double r = x[1].mean() / b[1].mean();
        ratio += r / names.size();
        boolean ok = dpp >= -0.2 && r <= 1.0;
        if (ok) met++;
        md.append(String.format(Locale.ROOT, " %+.2f / %.2f%s |", dpp, r, ok ? " (met)" : ""));
      }
      md.append(String.format(Locale.ROOT, " %d of %d | %.3f |%n", met, names.size(), ratio));
      if (met > chosenMet || (met == chosenMet && ratio < chosenRatio)) {
        chosen = k;
        chosenMet = met;
        chosenRatio = ratio;
      }
    }
    md.append("\n**Chosen**: ").append(chosen.label()).append(String.format(Locale.ROOT, " (%d of %d traces met, mean GPU-h ratio %.3f).%n",
        chosenMet, names.size(), chosenRatio));
    md.append("\nBest static deployments on the validation halves (success / GPU-h): ");
    for (String n : names) {
      Stat[] b = staticOf.get(n);
      md.append(String.format(Locale.ROOT, "%s %.1f%% / %.2f; ", n, 100 * b[0].mean(), b[1].mean()));
    }
    md.setLength(md.length() - 2);
    md.append(".\n");
    return md.toString();
  }

  // ---- report

  static final String TITLE = "Simulator benchmark: static deployments vs Pick and Spin";

  /** The variants the paper's overload goal applies to: bursty traces and every time-compressed one. */
  static boolean burstyOrOverloaded(Variant v) {
    return v.speedup > 1 || v.base.equals("azure-functions-bursty") || v.base.equals("azure-code");
  }

  String markdown(List<TraceReport> reports, double seconds) {
    StringBuilder md = new StringBuilder();
    ScalingSettings s = setup.scaling;
    md.append(String.format(Locale.ROOT, "Whole benchmark %.0f s wall.%n%n", seconds));
    md.append("Discrete-event simulation in virtual time (io.pickspin.lab.des). Every run drives the production classes: ")
        .append("ComplexityRoutingPolicy with the keyword, learned and hybrid classifiers and the service-matrix scorer (fed with completed requests), ")
        .append("PoolCore hold queues and leases, ScalingPolicy/ModelScaler and the fleet's Consolidator ticked every ")
        .append(s.tickInterval().toSeconds()).append(" s (and nudged on the first held request), with the shipped settings of pickspin-scaling.conf as they are. ")
        .append("Replicas batch continuously with the calibrated latency model and start after the calibrated cold start; ")
        .append("the catalogue of each trace is profiled on that trace's mean prompt, output and context lengths, as an operator benchmarks a model on its workload.\n\n");
    md.append(String.format(Locale.ROOT, "**Protocol.** Every trace is cut in two halves in time: the first (validation) half chose the scaler's free parameters "
        + "(bench/results/simulator-tuning.md, `bin/simulate --tune --split validation`), frozen in pickspin-scaling.conf before this run; this run measures the %s. "
        + "Each cell runs %d seeds (%s: arrivals of the Azure Functions shapes, the prompt and the deadline drawn per request); tables show the mean and, after ±, "
        + "the 95%% confidence half-width (Student's t over seeds). Each run first replays the %.0f minutes before its window, unmeasured. "
        + "Time-compressed versions (x2, x4) replay the same requests at 2 or 4 times the rate.%n%n",
        switch (options.split) { case "test" -> "second (test) half"; case "validation" -> "first (validation) half"; default -> "whole trace"; },
        seeds.size(), seeds.toString(), warmupMs / 60000));
    md.append("**Definitions.** Completion = the request was served (the paper's \"success\": no error, no timeout). On time = served within its deadline ")
        .append("(1.5, 2.5 or 5 x its idle latency on the largest model, drawn uniformly). **Success = correct and on time.** ")
        .append(String.format(Locale.ROOT, "Latency and TTFT percentiles are over all requests, a failed one counted at the timeout (the %d s max hold). ", simSettings.maxHold().toSeconds()))
        .append("GPU-hours count every replica from its start request to its removal (starting, ready, draining), cold starts included. Goodput = successes per GPU-hour. ")
        .append(String.format(Locale.ROOT, "Static deployments are always on, prewarmed, and sized with hindsight per seed to the fewest replicas that serve >= %.0f%% of the requests within their deadline; ", 100 * slo))
        .append("the best static deployment is the single-model row with the most successes. ")
        .append("\"The fixed-slack scaler\" is the product default with the paper's Algorithm 1 scaler (fixed latency slack 0.3, scale-down to the highest target of a 300 s cooldown, ")
        .append("no consolidation, no spill, the LOW tier warm), on the same requests.\n\n");
    md.append(String.format(Locale.ROOT, "**Shipped scaler settings under test**: SLO on-time %.2f with safety %.2f and on-time feedback %.0f (latency slack within [%.2f, %.2f], fixed %.2f until %d deadlines are known), "
        + "the planning model calibrated by each pool's measured slowdown over %d s (0: off), "
        + "a burst planned with at once when it is at least %.1fx the pool's rate averaged over %d s (0: every burst), "
        + "scale-down to the p%.0f of a %d s window (up to %d s after a scale-down regretted within %d s) after a %d s cooldown with %.0f%% headroom, idle timeout %d s, consolidation %s (quality tolerance %.0f%%), "
        + "warm pool low/medium/high %d/%d/%d, telemetry window %d s; hold queue %d, max hold %d s, spill to a warm model when a cold start would miss the deadline.%n%n",
        s.slo().onTime(), s.slo().safety(), s.slo().feedback(), s.slo().minSlack(), s.slo().maxSlack(), s.latencySlack(), s.slo().minSamples(),
        s.slo().calibration().toSeconds(), s.burst().aboveLongRun(), s.burst().longRun().toSeconds(),
        100 * s.scaleDown().percentile(), s.scaleDown().window().toSeconds(), s.scaleDown().maxWindow().toSeconds(),
        s.scaleDown().regret().toSeconds(), s.cooldown().toSeconds(), 100 * s.scaleDownHeadroom(),
        s.idleTimeout().toSeconds(), s.consolidation().enabled() ? "on" : "off", 100 * s.consolidation().qualityTolerance(),
        s.warm(Tier.LOW), s.warm(Tier.MEDIUM), s.warm(Tier.HIGH), s.telemetryWindow().toSeconds(), setup.pool.holdQueueCapacity(),
        simSettings.maxHold().toSeconds()));
    fleetSection(md);
    summarySection(md, reports);
    goalsSection(md, reports);
    for (TraceReport t : reports) traceSection(md, t);
    calibrationSection(md);
    findings(md, reports);
    md.append("""
        ## Known gaps of the model

        - Per-prompt correctness is synthetic: a one-factor Gaussian model that keeps each model's published benchmark accuracy and the measured agreement between two reference models; prompt sources without that benchmark use a proxy benchmark (table above). It is not a measurement of these models on these prompts. It is fixed across seeds (one draw per prompt): the confidence intervals cover arrivals, prompt and deadline draws, not the answer model.
        - Prompts are drawn independently of the trace's token lengths (trace lengths drive latency, the prompt text drives routing and correctness).
        - The latency model is a fitted roofline (linear layers from vidur, end-to-end overheads from vLLM runs); attention kernels are modelled, not measured (vidur's attention tables are absent), the KV cache is reserved for a request's whole length at admission (no preemption), prefix caching (Mooncake's hash_ids) is ignored.
        - The pools learn each request's tolerated slowdown from its deadline and its idle service time (PoolCore, on the lease's release). In the simulator that time comes from the calibrated latency model for the request's prompt and answer lengths; the live gateway passes the deadline and the answer's length (its usage), and the pool takes the profile's service time for that length, which ignores the prompt's length.
        - The spill (a request the router sent to a pool without a ready replica goes to a warm fallback when the cold start would miss its deadline) runs in both the simulator's request path and the gateway (BackendForwarder, reading the node's pool board, refreshed every monitor interval). The simulator also spills a request away from a pool the fleet keeps closed (consolidated); the gateway does not see the scaler's consolidation advice, so a request without a deadline routed there is held and opens the pool (every simulated request has a deadline).
        - A RouteLLM-style threshold router (trained on routellm_evals) is not among the rows yet.
        - GPU prices are an assumption; cost ratios equal GPU-hour ratios because every model runs on H100s.
        - The DQN router's policy was trained on this fleet's calibrated servers with static deployments, not with the autoscaler: its rows run it on autoscaled pools it never saw in training.
        """);
    return md.toString();
  }

  private static String pm(Stat s, double scale, String fmt) {
    String m = String.format(Locale.ROOT, fmt, scale * s.mean());
    return Double.isNaN(s.ci()) ? m : m + " ± " + String.format(Locale.ROOT, fmt, scale * s.ci());
  }

  private static String pct(Stat s) {
    return pm(s, 100, "%.1f") + "%";
  }

  private void summarySection(StringBuilder md, List<TraceReport> reports) {
    md.append("## Summary: the product default against the best static deployment\n\n");
    md.append("Per trace: the best static deployment (sized with hindsight), the product default (").append(DEFAULT).append("), ")
        .append("the paired difference of their successes (same seeds, same requests), GPU-hours, and the same default with the fixed-slack scaler. ")
        .append("Success and GPU-h: mean ± 95% CI.\n\n");
    md.append("| trace | best static | its success | its GPU-h | default success | default GPU-h | success diff (pp, paired) | GPU-h vs best static | fixed-slack scaler: success / GPU-h | static all 1/1/1: success / GPU-h |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (TraceReport t : reports) {
      Cell b = t.bestStatic, d = t.cell(DEFAULT), old = t.cell(FIXED_SLACK), paper = t.byGroup("static-all-111");
      Stat diff = Stat.paired(d.runs, b.runs, RunResult::successRate);
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |%n", t.variant.name(), b.sizing(),
          pct(b.stat(RunResult::successRate)), pm(b.stat(RunResult::gpuHours), 1, "%.2f"),
          pct(d.stat(RunResult::successRate)), pm(d.stat(RunResult::gpuHours), 1, "%.2f"), pm(diff, 100, "%+.2f"),
          rel(d.stat(RunResult::gpuHours).mean(), b.stat(RunResult::gpuHours).mean()),
          pct(old.stat(RunResult::successRate)), pm(old.stat(RunResult::gpuHours), 1, "%.2f"),
          paper == null ? "n/a" : pct(paper.stat(RunResult::successRate)) + " / " + pm(paper.stat(RunResult::gpuHours), 1, "%.2f")));
    }
    md.append('\n');
  }

  /** Goal 1 on one trace: not more GPU-hours than the best static deployment, success not below it beyond the CI. */
  static boolean[] goal1(TraceReport t) {
    Cell b = t.bestStatic, d = t.cell(DEFAULT);
    Stat diff = Stat.paired(d.runs, b.runs, RunResult::successRate);
    boolean gpu = d.stat(RunResult::gpuHours).mean() <= b.stat(RunResult::gpuHours).mean();
    boolean success = diff.mean() + diff.ciOrZero() >= 0;
    return new boolean[] {gpu, success};
  }

  private void goalsSection(StringBuilder md, List<TraceReport> reports) {
    md.append("## Goals, computed from this run\n\n");
    md.append("1. **Never the more expensive choice at equal SLO**: on every trace the default uses at most the best static deployment's mean GPU-hours, ")
        .append("and its success is not below the best static deployment's beyond the paired 95% CI (mean difference + CI >= 0).\n");
    md.append("2. **The paper's deltas where they apply** (bursty traces, azure-code and azure-functions-bursty, and every time-compressed version), against the paper's static deployment ")
        .append("(all models 1/1/1): completion >= +21.6 pp, mean latency (all requests, failures at the timeout) <= -30%, GPU-hours per request <= -33%, all three at once.\n");
    md.append("3. **No model starves**: in each Pick and Spin profile row, every model that profile routes some of the trace's prompts to on an idle fleet serves requests.\n");
    md.append("4. **The live product uses the simulator's default settings**: the default row reads pickspin-scaling.conf and pickspin-routing.conf from the classpath as the node does (SimSetup), no override; ")
        .append("the pools' deadline samples come through the same lease release (PoolCore) in both; a request whose cold start would miss its deadline spills to a warm model in both (Spill, see the known gaps); ")
        .append("and a full hold queue refuses the request in both, as the gateway answers 429 (only the LiteLLM-style row retries a refusal on the next model, as LiteLLM does).\n\n");
    md.append("| trace | 1: GPU-h default / best static | 1: success diff pp (paired CI) | 1 met | 2: completion pp vs 1/1/1 | 2: mean latency vs 1/1/1 | 2: GPU-h / request vs 1/1/1 | 2 met | 3: starved models | 3 met |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|\n");
    int met1 = 0, n2 = 0, met2 = 0, met3 = 0, n3 = 0;
    for (TraceReport t : reports) {
      Cell b = t.bestStatic, d = t.cell(DEFAULT), paper = t.byGroup("static-all-111");
      boolean[] g = goal1(t);
      boolean ok1 = g[0] && g[1];
      if (ok1) met1++;
      Stat diff = Stat.paired(d.runs, b.runs, RunResult::successRate);
      String g2a = "n/a", g2b = "n/a", g2c = "n/a", g2 = "n/a";
      if (paper != null && burstyOrOverloaded(t.variant)) {
        n2++;
        double dc = 100 * (d.stat(RunResult::completionRate).mean() - paper.stat(RunResult::completionRate).mean());
        double dl = d.stat(r -> r.all().meanMs()).mean() / paper.stat(r -> r.all().meanMs()).mean() - 1;
        double dg = d.stat(RunResult::gpuHoursPer1kQueries).mean() / paper.stat(RunResult::gpuHoursPer1kQueries).mean() - 1;
        boolean ok2 = dc >= 21.6 && dl <= -0.30 && dg <= -0.33;
        if (ok2) met2++;
        g2a = String.format(Locale.ROOT, "%+.1f", dc);
        g2b = String.format(Locale.ROOT, "%+.1f%%", 100 * dl);
        g2c = String.format(Locale.ROOT, "%+.1f%%", 100 * dg);
        g2 = met(ok2);
      }
      List<String> starved = starved(t);
      String g3 = "n/a", g3s = "n/a";
      if (!t.preferred.isEmpty()) {
        n3++;
        if (starved.isEmpty()) met3++;
        g3 = met(starved.isEmpty());
        g3s = starved.isEmpty() ? "none" : String.join("; ", starved);
      }
      md.append(String.format(Locale.ROOT, "| %s | %.2f / %.2f (%s) | %s | %s | %s | %s | %s | %s | %s | %s |%n", t.variant.name(),
          d.stat(RunResult::gpuHours).mean(), b.stat(RunResult::gpuHours).mean(), rel(d.stat(RunResult::gpuHours).mean(), b.stat(RunResult::gpuHours).mean()),
          pm(diff, 100, "%+.2f"), met(ok1), g2a, g2b, g2c, g2, g3s, g3));
    }
    md.append(String.format(Locale.ROOT, "%nGoal 1 met on %d of %d traces; goal 2 on %d of %d; goal 3 on %d of %d; goal 4 for the settings, the deadline samples, the spill and the refusal of a full queue.%n%n",
        met1, reports.size(), met2, n2, met3, n3));
  }

  /** Models a profile routes some prompts to on an idle fleet but that serve nothing in that profile's row. */
  static List<String> starved(TraceReport t) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<Profile, Set<String>> e : t.preferred.entrySet()) {
      Cell c = t.cell("Pick and Spin hybrid, " + e.getKey().wireName());
      if (c == null) continue;
      for (String m : e.getValue()) {
        double served = c.stat(r -> r.servedBy().getOrDefault(m, 0)).mean();
        if (served <= 0) out.add(e.getKey().wireName() + ": " + m);
      }
    }
    return out;
  }

  private void traceSection(StringBuilder md, TraceReport t) {
    RunResult any = t.cells.get(0).runs.get(0);
    md.append("## Trace ").append(t.variant.name()).append("\n\n").append(t.variant.trace.description())
        .append(String.format(Locale.ROOT, ": %.2f h, mean %.2f req/s; %d requests measured per seed (%s half); max batch per replica sized for a mean context of %d tokens:",
            t.variant.trace.durationMs() / 3.6e6, t.variant.trace.meanRatePerSecond(), any.requests(), options.split, t.fleet.latency().settings().nominalContext()));
    for (ModelSpec s : t.fleet.catalog().models()) md.append(' ').append(s.id()).append(' ').append(s.latency().maxBatch()).append(',');
    md.setLength(md.length() - 1);
    md.append(".\n\n");
    md.append("| deployment | replicas | completion | on time | success | latency p50 / p95 / p99 s | TTFT p50 / p95 / p99 s | GPU-h | GPU-h / 1k q | goodput (successes / GPU-h) | cold starts | spilled | served by (")
        .append(String.join(" / ", t.fleet.catalog().models().stream().map(ModelSpec::id).toList())).append(") |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Cell c : t.cells) {
      String name = c == t.bestStatic ? "**" + c.name + " (best static)**" : c.role.equals("default") ? "**" + c.name + " (default)**" : c.name;
      StringBuilder served = new StringBuilder();
      for (ModelSpec s : t.fleet.catalog().models()) {
        served.append(served.length() == 0 ? "" : " / ").append(Math.round(c.stat(r -> r.servedBy().getOrDefault(s.id(), 0)).mean()));
      }
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %.2f / %.2f / %.2f | %.3f / %.3f / %.3f | %s | %.3f | %.0f | %.1f | %.0f | %s |%n",
          name, c.sizing(), pct(c.stat(RunResult::completionRate)), pct(c.stat(RunResult::onTimeRate)), pct(c.stat(RunResult::successRate)),
          c.stat(r -> r.all().p50Ms()).mean() / 1000, c.stat(r -> r.all().p95Ms()).mean() / 1000, c.stat(r -> r.all().p99Ms()).mean() / 1000,
          c.stat(r -> r.all().ttftP50Ms()).mean() / 1000, c.stat(r -> r.all().ttftP95Ms()).mean() / 1000, c.stat(r -> r.all().ttftP99Ms()).mean() / 1000,
          pm(c.stat(RunResult::gpuHours), 1, "%.2f"), c.stat(RunResult::gpuHoursPer1kQueries).mean(), c.stat(RunResult::goodput).mean(),
          c.stat(RunResult::coldStarts).mean(), c.stat(RunResult::spilled).mean(), served));
    }
    md.append('\n');
  }

  private static String rel(double x, double base) {
    if (base == 0) return "n/a";
    return String.format(Locale.ROOT, "%+.1f%%", 100 * (x / base - 1));
  }

  private static String met(boolean ok) {
    return ok ? "met" : "**not met**";
  }

  /** Statements computed from this run's rows. */
  private void findings(StringBuilder md, List<TraceReport> reports) {
    md.append("## What this run shows\n\nEach statement is computed from the tables above.\n\n");
    for (TraceReport t : reports) {
      Cell b = t.bestStatic, d = t.cell(DEFAULT), old = t.cell(FIXED_SLACK), spin = t.byGroup("spin-only");
      Stat diff = Stat.paired(d.runs, b.runs, RunResult::successRate);
      boolean[] g = goal1(t);
      md.append(String.format(Locale.ROOT, "- **%s**: the default against the best static deployment (%s): success %s pp (paired 95%% CI), GPU-hours %s (%.2f against %.2f)",
          t.variant.name(), b.sizing(), pm(diff, 100, "%+.2f"), rel(d.stat(RunResult::gpuHours).mean(), b.stat(RunResult::gpuHours).mean()),
          d.stat(RunResult::gpuHours).mean(), b.stat(RunResult::gpuHours).mean()));
      md.append(g[0] && g[1] ? ": never the more expensive choice here." : g[0] ? ": cheaper, but its success is below the best static deployment's beyond the CI."
          : g[1] ? ": as good, but more GPU-hours." : ": more GPU-hours and a lower success.");
      md.append(String.format(Locale.ROOT, " With the fixed-slack scaler the same default used %.2f GPU-h (%s) at %.1f%% success.",
          old.stat(RunResult::gpuHours).mean(), rel(old.stat(RunResult::gpuHours).mean(), b.stat(RunResult::gpuHours).mean()),
          100 * old.stat(RunResult::successRate).mean()));
      if (spin != null) {
        md.append(String.format(Locale.ROOT, " Spin alone on %s: %.1f%% success, %.2f GPU-h.", b.name.substring(7),
            100 * spin.stat(RunResult::successRate).mean(), spin.stat(RunResult::gpuHours).mean()));
      }
      md.append('\n');
    }
    ModelSpec mostAccurate = setup.fleet.catalog().models().stream().max(Comparator.comparingDouble(ModelSpec::quality)).orElseThrow();
    md.append(String.format(Locale.ROOT, "- **Success ceiling**: a success needs a correct answer, so no row can exceed the most accurate model's expected accuracy, "
        + "%.1f%% (%s); the paper's +21.6 pp applies to completion, which static deployments here already keep near 100%% unless overloaded.%n", 100 * mostAccurate.quality(), mostAccurate.id()));
    md.append('\n');
  }

  /** The history row: per uncompressed trace, the default against the best static deployment. */
  static Map<String, String> headline(List<TraceReport> reports) {
    Map<String, String> h = new LinkedHashMap<>();
    for (TraceReport t : reports) {
      if (t.variant.speedup != 1) continue;
      Cell b = t.bestStatic, d = t.cell(DEFAULT);
      Stat diff = Stat.paired(d.runs, b.runs, RunResult::successRate);
      h.put(t.variant.name() + ": default vs best static (success pp, GPU-h)", String.format(Locale.ROOT, "%s, %s", pm(diff, 100, "%+.2f"),
          rel(d.stat(RunResult::gpuHours).mean(), b.stat(RunResult::gpuHours).mean())));
    }
    return h;
  }

  static String json(List<TraceReport> reports) throws IOException {
    ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ArrayNode all = m.createArrayNode();
    for (TraceReport t : reports) {
      ObjectNode o = all.addObject();
      o.put("trace", t.variant.name());
      o.put("seeds", t.cells.get(0).runs.size());
      ArrayNode rows = o.putArray("rows");
      for (Cell c : t.cells) {
        ObjectNode r = rows.addObject();
        r.put("name", c.name);
        r.put("role", c.role);
        r.put("success", c.stat(RunResult::successRate).mean());
        r.put("on_time", c.stat(RunResult::onTimeRate).mean());
        r.put("completion", c.stat(RunResult::completionRate).mean());
        r.put("gpu_hours", c.stat(RunResult::gpuHours).mean());
        r.put("latency_p99_s", c.stat(x -> x.all().p99Ms()).mean() / 1000);
        r.put("ttft_p99_s", c.stat(x -> x.all().ttftP99Ms()).mean() / 1000);
        ObjectNode ci = r.putObject("ci95");
        ci.put("success", c.stat(RunResult::successRate).ciOrZero());
        ci.put("on_time", c.stat(RunResult::onTimeRate).ciOrZero());
        ci.put("gpu_hours", c.stat(RunResult::gpuHours).ciOrZero());
      }
    }
    return m.writeValueAsString(all.size() == 1 ? all.get(0) : all);
  }

  // ---- plot

  void plot(List<TraceReport> reports, Path png) throws IOException {
    List<TimelinePlot.Panel> panels = new ArrayList<>();
    for (TraceReport t : reports) {
      if (t.variant.speedup != 1) continue;
      RunResult best = t.bestStatic.runs.get(0), def = t.cell(DEFAULT).runs.get(0), old = t.cell(FIXED_SLACK).runs.get(0);
      Cell paperCell = t.byGroup("static-all-111");
      List<TimelinePlot.Series> gpus = new ArrayList<>(List.of(
          new TimelinePlot.Series("best static: " + t.bestStatic.sizes.get(0), STATIC, best.gpusPerMinute()),
          new TimelinePlot.Series("default (" + DEFAULT + ")", PS, def.gpusPerMinute()),
          new TimelinePlot.Series("default, fixed-slack scaler", OLD, old.gpusPerMinute())));
      List<TimelinePlot.Series> lat = new ArrayList<>(List.of(
          new TimelinePlot.Series("best static", STATIC, seconds(best.p95LatencyPerMinute())),
          new TimelinePlot.Series("default", PS, seconds(def.p95LatencyPerMinute())),
          new TimelinePlot.Series("fixed-slack scaler", OLD, seconds(old.p95LatencyPerMinute()))));
      if (paperCell != null) {
        gpus.add(new TimelinePlot.Series("static all 1/1/1", STATIC_ALL, paperCell.runs.get(0).gpusPerMinute()));
        lat.add(new TimelinePlot.Series("static all 1/1/1", STATIC_ALL, seconds(paperCell.runs.get(0).p95LatencyPerMinute())));
      }
      panels.add(new TimelinePlot.Panel(t.variant.name() + ": GPUs allocated (per-minute mean, first seed)", "GPUs", gpus, false));
      panels.add(new TimelinePlot.Panel(t.variant.name() + ": p95 latency of requests completing each minute", "seconds (log)", lat, true));
    }
    if (!panels.isEmpty()) TimelinePlot.write(png, "Pick and Spin vs static deployments (discrete-event simulation)", panels, 2);
  }

  private static double[] seconds(double[] ms) {
    double[] s = new double[ms.length];
    for (int i = 0; i < ms.length; i++) s[i] = ms[i] / 1000;
    return s;
  }

  private void fleetSection(StringBuilder md) {
    md.append("## Fleet\n\n| model | tier | GPUs / replica | weights GB | TTFT ms (1k-token prompt, idle) | TPOT ms (1 seq) | max batch at 4k context | cold start s | expected accuracy on the prompt mix | quality row |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (ModelSpec s : setup.fleet.catalog().models()) {
      ModelFleet.Model m = setup.fleet.model(s.id());
      md.append(String.format(Locale.ROOT, "| %s | %s | %d x %s | %.1f | %.0f | %.1f | %d | %.0f | %.1f%% | %s |%n", s.id(), s.tier(),
          s.gpusPerReplica(), m.deployment().gpu().toUpperCase(Locale.ROOT), m.deployment().arch().weightBytes() / 1e9,
          s.latency().ttftMs(), s.latency().tpotMs(), s.latency().maxBatch(), s.latency().coldStartMs() / 1000, 100 * s.quality(), m.qualityRow()));
    }
    md.append(String.format(Locale.ROOT, "%nPrompts: the learned classifier's held-out test split of the benchmark corpora (%d prompts, PromptCorpus seed 42), drawn uniformly per request. ", setup.prompts.size()));
    md.append(String.format(Locale.ROOT, "Answer model: factor weight rho = %.3f (fitted on RouteLLM: ", setup.answers.rho()));
    setup.answers.references().values().forEach(r -> md.append(String.format(Locale.ROOT, "%s %d prompts, Mixtral %.1f%%, GPT-4 %.1f%%, both right %.1f%% -> rho %.3f; ",
        r.source(), r.prompts(), 100 * r.weakAccuracy(), 100 * r.strongAccuracy(), 100 * r.bothRight(), r.rho())));
    md.append("benchmark per prompt source: ");
    Map<String, List<String>> bySource = new LinkedHashMap<>();
    AnswerModel.BENCHMARK_OF_SOURCE.forEach((src, b) -> bySource.computeIfAbsent(b, k -> new ArrayList<>()).add(src));
    bySource.forEach((b, srcs) -> md.append(b).append(" <- ").append(String.join(", ", srcs.stream().sorted().toList())).append("; "));
    md.append("other sources -> ").append(AnswerModel.DEFAULT_BENCHMARK).append(").\n\n");
  }

  private void calibrationSection(StringBuilder md) {
    LatencyCalibration.Result c = setup.calibration;
    LatencyModel.Settings s = c.model().settings();
    md.append("## Latency model calibration\n\n");
    md.append("Per GPU, the transformer-block roofline (fixed cost + max(weights / bandwidth, 2 x params x tokens / FLOP rate)) fitted to every row of the vidur per-operator profiles:\n\n");
    md.append("| GPU | profile rows | block overhead ms | bandwidth TB/s | FLOP rate TFLOPS | median abs error | p90 abs error |\n|---|---|---|---|---|---|---|\n");
    for (LatencyCalibration.ProfileFit p : c.profiles()) {
      LatencyModel.GpuFit g = c.model().gpu(p.gpu());
      md.append(String.format(Locale.ROOT, "| %s | %d | %.3f | %.2f | %.0f | %.1f%% | %.1f%% |%n", p.gpu(), p.rows(), g.layerOverheadMs(),
          g.bytesPerMs() / 1e9, g.flopsPerMs() / 1e9, 100 * p.medianAbsRelError(), 100 * p.p90AbsRelError()));
    }
    md.append(String.format(Locale.ROOT, "%nFitted on vLLM end-to-end runs: step overhead %.2f ms, request overhead %.1f ms. Cold start = %.1f s + %.2f s per GB of weights (R^2 %.2f). Chunked prefill budget %d tokens, KV cache = %.0f%% of GPU memory minus weights, max batch = sequences of %d tokens that fit (at most %d).%n%n",
        s.stepOverheadMs(), s.requestOverheadMs(), s.coldStartInitMs() / 1000, s.coldStartMsPerGb() / 1000, c.coldStartR2(),
        s.chunkTokens(), 100 * s.kvMemoryFraction(), s.nominalContext(), s.maxSeqs()));
    md.append("| source | configuration | metric | measured | model | error | used in fit |\n|---|---|---|---|---|---|---|\n");
    for (LatencyCalibration.Check k : c.checks()) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.1f | %.1f | %+.1f%% | %s |%n", k.source(), k.config(), k.metric(), k.measured(),
          k.predicted(), 100 * k.relativeError(), k.fitted() ? "yes" : "no (check)"));
    }
    md.append('\n');
  }
}
