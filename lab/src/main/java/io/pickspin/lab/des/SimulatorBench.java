package io.pickspin.lab.des;

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
import java.util.Comparator;
import java.util.DoubleSummaryStatistics;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The simulator benchmark ({@code bin/simulate}): replays real traces through static deployments and Pick and Spin
 * (the production routing and scaling classes) in the discrete-event simulator, prints a table per trace, compares
 * every row with the best static deployment and the paper's headline deltas, and writes bench/results/simulator.md and
 * a PNG of GPUs and latency over time. Progress goes to stderr.
 *
 * <p>{@code bin/simulate --help} lists the options.
 */
public final class SimulatorBench {
  /** The name suffix of the product default's variant whose scaler plans every replica at its max batch. */
  static final String AT_MAX_BATCH = ", planned at max batch (latency slack 0)";
  static final String ALL_TRACES = "azure-conv,azure-code,mooncake,azure-functions,azure-functions-bursty";
  static final Color STATIC = new Color(31, 119, 180), STATIC_ALL = new Color(127, 127, 127), PS = new Color(214, 39, 40);

  @Command(name = "bin/simulate", sortOptions = false, showDefaultValues = true,
      description = "Replays real traces through static deployments and Pick and Spin in the discrete-event simulator.")
  static final class Options {
    @Mixin Cli.Help help;
    @Option(names = "--traces", description = "comma-separated, of " + ALL_TRACES) String traces = ALL_TRACES;
    @Option(names = "--seed", description = "seed of the synthetic arrivals and prompt draws") long seed = 1;
    @Option(names = "--minutes", description = "truncate every trace to its first M minutes, for a quick look") Double minutes;
    @Option(names = "--speedup-conv", description = "time compression of azure-conv (1 = real time)") double speedupConv = 1;
    @Option(names = "--speedup-code", description = "time compression of azure-code") double speedupCode = 1;
    @Option(names = "--speedup-mooncake", description = "time compression of mooncake") double speedupMooncake = 1;
    @Option(names = "--af-rate", description = "mean req/s of the summed Azure Functions shape") double afRate = 5;
    @Option(names = "--af-bursty-select", description = "the bursty trace's function: rank:N (N-th busiest)") String afBurstySelect = "rank:3";
    @Option(names = "--af-bursty-rate", description = "mean req/s of the bursty trace") double afBurstyRate = 1;
    @Option(names = "--af-hours", description = "hours of the Azure Functions day") double afHours = 24;
    @Option(names = "--fleet", description = "qwen3 or mixed") String fleet = "qwen3";
    @Option(names = "--alt-fleet", description = "mixed, qwen3 or none: a compact fleet-sensitivity section (default: the other fleet)") String altFleet;
    @Option(names = "--slo", description = "share of requests a static deployment must serve within the deadline") double slo = 0.95;
    @Option(names = "--max-hold-s", description = "the gateway's max hold, seconds") long maxHoldS = 60;
    @Option(names = "--warmup-min", description = "the trace's last M minutes replayed first, not measured") double warmupMin = 10;
    @Option(names = "--quick", description = "static single-model rows, the product default and its max-batch variant only") boolean quick;
    @Option(names = "--no-classifier", description = "without the learned classifier (keyword fallback)") boolean noClassifier;
    @Option(names = "--out", description = "results file") Path out = Path.of("bench/results/simulator.md");
    @Option(names = "--png", description = "plot of GPUs and latency over time") Path png = Path.of("bench/results/simulator.png");
  }

  private final SimSetup setup;
  private final Options options;
  private final Simulation.Settings simSettings;
  private final double slo;
  private final double warmupMs;

  private SimulatorBench(SimSetup setup, Options options) {
    this.setup = setup;
    this.options = options;
    this.simSettings = new Simulation.Settings(Duration.ofSeconds(options.maxHoldS), 3);
    this.slo = options.slo;
    this.warmupMs = 60_000 * options.warmupMin;
  }

  /** One trace's rows. */
  record TraceReport(Trace trace, ModelFleet fleet, List<Row> rows, Row bestStatic) {}

  /** A row: the scenario's result and, for static rows, the replica counts. */
  record Row(Scenario scenario, RunResult result, String group, String sizing) {}

  public static void main(String[] argv) throws Exception {
    Options a = Cli.parseOrExit(new Options(), argv);
    ResultsFile.Run started = ResultsFile.Run.start(SimulatorBench.class, argv);
    long seed = a.seed;
    long t0 = System.nanoTime();
    progress("loading data, fitting the latency and answer models ...");
    String fleetName = a.fleet;
    try (SimSetup setup = SimSetup.load(PromptCorpus.sharedDir(), !a.noClassifier, seed, fleetName)) {
      progress(String.format(Locale.ROOT, "setup done in %.1f s: %d held-out prompts, classifier %s", (System.nanoTime() - t0) / 1e9,
          setup.prompts.size(), setup.learned.isPresent() ? "loaded" : "not loaded (keyword fallback)"));
      SimulatorBench bench = new SimulatorBench(setup, a);
      List<TraceReport> reports = new ArrayList<>();
      List<TraceReport> alternative = new ArrayList<>();
      List<Trace> traces = bench.traces(seed);
      for (Trace t : traces) reports.add(bench.runTrace(t, setup.fleet, seed, false));
      String altName = a.altFleet != null ? a.altFleet : fleetName.equals("qwen3") ? "mixed" : "qwen3";
      if (!altName.equals("none")) {
        ModelFleet alt = setup.fleet.other(altName);
        progress("fleet sensitivity: the " + altName + " fleet, static deployments and the product default only");
        for (Trace t : traces) alternative.add(bench.runTrace(t, alt, seed, true));
      }
      String md = bench.markdown(reports, alternative, (System.nanoTime() - t0) / 1e9);
      System.out.println(ResultsFile.write(a.out, TITLE, started, md, headline(reports)));
      Path png = a.png.toAbsolutePath();
      if (png.getParent() != null) Files.createDirectories(png.getParent());
      bench.plot(reports, png);
      progress("wrote " + a.out.toAbsolutePath() + " and " + png);
    }
  }

  // ---- traces

  List<Trace> traces(long seed) throws IOException {
    Path data = setup.shared.resolve("data");
    List<Trace> out = new ArrayList<>();
    int afMinutes = (int) Math.round(60 * options.afHours);
    Trace conv = Trace.azureLlm(data.resolve("azure_llm_inference_2023/AzureLLMInferenceTrace_conv.csv"), "azure-conv",
        options.speedupConv);
    for (String name : options.traces.split(",")) {
      Trace t = switch (name.trim()) {
        case "azure-conv" -> conv;
        case "azure-code" -> Trace.azureLlm(data.resolve("azure_llm_inference_2023/AzureLLMInferenceTrace_code.csv"),
            "azure-code", options.speedupCode);
        case "mooncake" -> Trace.mooncake(data.resolve("mooncake_traces/conversation_trace.jsonl"),
            options.speedupMooncake);
        case "azure-functions" -> Trace.azureFunctions(data.resolve("azure_functions_2019_invitro_sample/1000_inv.csv"),
            "azure-functions", "all", options.afRate, 0, afMinutes, conv.requests(), seed);
        case "azure-functions-bursty" -> Trace.azureFunctions(data.resolve("azure_functions_2019_invitro_sample/1000_inv.csv"),
            "azure-functions-bursty", options.afBurstySelect, options.afBurstyRate, 0, afMinutes, conv.requests(), seed);
        default -> throw new IllegalArgumentException("unknown trace " + name + ", expected some of " + ALL_TRACES);
      };
      if (options.minutes != null) t = t.window(0, 60_000.0 * options.minutes);
      out.add(t);
    }
    return out;
  }

  // ---- runs

  /** @param compact only the static single-model rows and the product default (for the fleet sensitivity) */
  TraceReport runTrace(Trace trace, ModelFleet base, long seed, boolean compact) {
    // an operator profiles the catalogue on the workload: max-batch and batch curve for the trace's mean context, TTFT
    // and time per token at its mean prompt and output lengths (static and scaled rows share this catalogue)
    double input = trace.requests().stream().mapToDouble(r -> r.inputTokens()).average().orElse(ModelFleet.NOMINAL_INPUT);
    double output = trace.requests().stream().mapToDouble(r -> r.outputTokens()).average().orElse(ModelFleet.NOMINAL_OUTPUT);
    ModelFleet fleet = base.forWorkload((int) Math.ceil(input + output), (int) Math.round(input), (int) Math.round(output));
    ModelFleet.Model ref = fleet.reference();
    ReplayStream requests = ReplayStream.build(trace, warmupMs, setup.prompts,
        (in, outTokens) -> fleet.latency().idleServiceMs(ref.deployment(), in, outTokens), seed);
    progress(String.format(Locale.ROOT, "trace %s: %d requests over %.1f h (%.2f req/s), after a %.0f-minute warm-up", trace.name(),
        requests.measured(), trace.durationMs() / 3.6e6, trace.meanRatePerSecond(), warmupMs / 60000));
    List<Row> rows = new ArrayList<>();
    Scenario.RouterFactory complexity = (pools, clock) -> setup.complexityRouter(fleet);

    // static deployments of each single model, each sized for the SLO
    for (ModelFleet.Model m : fleet.models()) {
      StaticSizing.Size size = StaticSizing.smallest(m.maxReplicas(), slo,
          n -> run(fleet, trace, staticOne(m.id(), n, complexity), requests));
      Scenario s = staticOne(m.id(), size.replicas(), complexity);
      rows.add(report(new Row(s, size.run(), "static", sizing(Map.of(m.id(), size.replicas()), size))));
    }
    Scenario def = pickAndSpin(RouterKind.HYBRID, Profile.BALANCED, complexity);
    if (compact || options.quick) {
      rows.add(report(new Row(def, run(fleet, trace, def, requests), "pick-and-spin", "scaled")));
      if (!compact) rows.add(report(atMaxBatch(fleet, def, requests)));
      return new TraceReport(trace, fleet, rows, bestStatic(rows));
    }
    // every model always on, hybrid routing, each sized for the SLO on the requests routing sends it
    Map<String, List<SimRequest>> share = routedShare(fleet, requests.requests());
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (ModelFleet.Model m : fleet.models()) {
      List<SimRequest> sub = share.getOrDefault(m.id(), List.of());
      counts.put(m.id(), sub.isEmpty() ? 0 : StaticSizing.smallest(m.maxReplicas(), slo,
          n -> run(fleet, trace, staticOne(m.id(), n, complexity), requests.subset(sub))).replicas());
    }
    Scenario all = new Scenario("static all models (hybrid, balanced)", counts, null, RouterKind.HYBRID, Profile.BALANCED, complexity);
    rows.add(report(new Row(all, run(fleet, trace, all, requests), "static-all", sizing(counts, null))));

    List<Scenario> spin = new ArrayList<>();
    for (RouterKind k : List.of(RouterKind.KEYWORD, RouterKind.CLASSIFIER, RouterKind.HYBRID)) spin.add(pickAndSpin(k, Profile.BALANCED, complexity));
    for (Profile p : List.of(Profile.QUALITY, Profile.COST, Profile.SPEED)) spin.add(pickAndSpin(RouterKind.HYBRID, p, complexity));
    setup.rlRouter(fleet).ifPresent(f -> spin.add(new Scenario("Pick and Spin rl (DQN policy), balanced", null, null, RouterKind.RL, Profile.BALANCED, f)));
    for (Scenario s : spin) rows.add(report(new Row(s, run(fleet, trace, s, requests), "pick-and-spin", "scaled")));
    // the product default under two other settings: holds that outlast a cold start, and a warm replica of every tier
    Scenario longHold = new Scenario(def.name() + ", max hold 180 s", null, null, RouterKind.HYBRID, Profile.BALANCED, complexity);
    rows.add(report(new Row(longHold, new Simulation(fleet, longHold, setup.scaling, setup.pool,
        new Simulation.Settings(Duration.ofSeconds(180), simSettings.maxAttempts())).run(requests), "variant", "scaled")));
    Scenario warmAll = new Scenario(def.name() + ", warm pool 1/1/1", null, null, RouterKind.HYBRID, Profile.BALANCED, complexity);
    rows.add(report(new Row(warmAll, new Simulation(fleet, warmAll, warmEveryTier(setup.scaling), setup.pool, simSettings).run(requests),
        "variant", "scaled")));
    // and a scaler that plans every replica at its max batch (Algorithm 1's c), without the latency slack
    rows.add(report(atMaxBatch(fleet, def, requests)));

    return new TraceReport(trace, fleet, rows, bestStatic(rows));
  }

  /** The product default with the scaler planning every replica at its max batch (no latency slack). */
  private Row atMaxBatch(ModelFleet fleet, Scenario def, ReplayStream requests) {
    Scenario s = new Scenario(def.name() + AT_MAX_BATCH, null, null, def.router(), def.profile(), def.routers());
    return new Row(s, new Simulation(fleet, s, setup.scaling.withLatencySlack(0), setup.pool, simSettings).run(requests),
        "variant", "scaled");
  }

  /** The single-model static row with the most successes (ties: the cheaper). */
  private static Row bestStatic(List<Row> rows) {
    return rows.stream().filter(r -> r.group.equals("static"))
        .max((x, y) -> x.result.successes() != y.result.successes()
            ? Integer.compare(x.result.successes(), y.result.successes())
            : Double.compare(y.result.costUsd(), x.result.costUsd()))
        .orElseThrow();
  }

  private static ScalingSettings warmEveryTier(ScalingSettings s) {
    return s.withWarmPool(Map.of(Tier.LOW, 1, Tier.MEDIUM, 1, Tier.HIGH, 1));
  }

  private Scenario staticOne(String model, int n, Scenario.RouterFactory routers) {
    return new Scenario("static " + model, Map.of(model, n), model, null, null, routers);
  }

  private static Scenario pickAndSpin(RouterKind k, Profile p, Scenario.RouterFactory routers) {
    return new Scenario("Pick and Spin " + k.wireName() + ", " + p.wireName(), null, null, k, p, routers);
  }

  private RunResult run(ModelFleet fleet, Trace trace, Scenario s, ReplayStream requests) {
    return new Simulation(fleet, s, setup.scaling, setup.pool, simSettings).run(requests);
  }

  /** Which model hybrid balanced routing sends each request to, with a fresh matrix and no load feedback. */
  private Map<String, List<SimRequest>> routedShare(ModelFleet fleet, List<SimRequest> requests) {
    ComplexityRoutingPolicy router = setup.complexityRouter(fleet);
    Map<String, List<SimRequest>> out = new HashMap<>();
    for (SimRequest r : requests) {
      String m = router.decide(new RouteRequest(RouteRequest.AUTO, r.prompt().text(), Profile.BALANCED, RouterKind.HYBRID,
          Math.round(r.deadlineMs()))).model();
      out.computeIfAbsent(m, k -> new ArrayList<>()).add(r);
    }
    return out;
  }

  private static String sizing(Map<String, Integer> counts, StaticSizing.Size size) {
    StringBuilder s = new StringBuilder();
    counts.forEach((m, n) -> s.append(s.length() == 0 ? "" : " + ").append(n).append("x ").append(m));
    return s.toString();
  }

  private static Row report(Row r) {
    RunResult x = r.result;
    progress(String.format(Locale.ROOT, "  %-46s success %5.1f%%  acc %5.1f%%  mean %6.2f s  p95 %6.2f s  GPU-h %6.2f  $/1k %6.3f  cold %3d  scale %3d  (%s; %.2f s wall, %d events)",
        r.scenario.name(), 100 * x.successRate(), 100 * x.accuracy(), x.meanLatencyMs() / 1000, x.p95LatencyMs() / 1000,
        x.gpuHours(), x.costPer1kQueries(), x.coldStarts(), x.scaleEvents(), r.sizing, x.wallMs() / 1000, x.events()));
    return r;
  }

  static void progress(String s) {
    System.err.println("[simulate] " + s);
  }

  // ---- report

  static final String TITLE = "Simulator benchmark: static deployments vs Pick and Spin";

  String markdown(List<TraceReport> reports, List<TraceReport> alternative, double seconds) {
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "Whole benchmark %.0f s wall.%n%n", seconds));
    md.append("Discrete-event simulation in virtual time (io.pickspin.lab.des). Every run drives the production classes: ")
        .append("ComplexityRoutingPolicy with the keyword, learned and hybrid classifiers and the service-matrix scorer ")
        .append("(fed with completed requests), PoolCore hold queues and leases, ScalingPolicy/ModelScaler ticked every ")
        .append(setup.scaling.tickInterval().toSeconds()).append(" s and nudged on the first held request, with the shipped settings ")
        .append(String.format(Locale.ROOT, "(latency slack %.2f, window %d s, cooldown %d s, idle timeout %d s, warm pool low/medium/high %d/%d/%d, hold queue %d, max hold %d s). ",
            setup.scaling.latencySlack(), setup.scaling.telemetryWindow().toSeconds(), setup.scaling.cooldown().toSeconds(), setup.scaling.idleTimeout().toSeconds(),
            setup.scaling.warm(Tier.LOW), setup.scaling.warm(Tier.MEDIUM), setup.scaling.warm(Tier.HIGH),
            setup.pool.holdQueueCapacity(), simSettings.maxHold().toSeconds()))
        .append("Replicas batch continuously with the calibrated latency model and start after the calibrated cold start. ")
        .append("The scaler plans each replica at the concurrency and prefill load that keep latency within (1 + latency slack) of idle latency, ")
        .append("derived from the catalogue's batch curve (time per output token at max batch); the catalogue of each trace is profiled on that trace's ")
        .append("mean prompt, output and context lengths, as an operator benchmarks a model on its workload (static and scaled rows share it).\n\n");
    md.append("**Success** = the answer is correct **and** arrives within the request's deadline (deadline = 1.5, 2.5 or 5 x the request's idle latency on the largest model, drawn uniformly). ")
        .append("**Accuracy** = correct answers among completed requests. Latency and TTFT are over completed requests. ")
        .append("GPU-hours count every replica from its start request to its removal (starting, ready, draining), from time 0 to the last completion; ")
        .append(String.format(Locale.ROOT, "cost = GPU-hours x $%.2f per H100-hour (an assumption: no price data in ../shared). ", ModelFleet.H100_HOURLY_USD))
        .append(String.format(Locale.ROOT, "Static deployments are always on, prewarmed, and sized to the fewest replicas that serve >= %.0f%% of their requests within the deadline (bisection in the simulator). ", 100 * slo))
        .append(String.format(Locale.ROOT, "Every run first replays the trace's last %.0f minutes as an unmeasured warm-up, so that queues and the scaler start in a state the trace's own load produced; ", warmupMs / 60000))
        .append("Pick and Spin starts that warm-up with each model at its warm-pool floor and scales with the product's policy. ")
        .append("The best static deployment is the single-model static row with the most successes. ")
        .append("\"Static all models\" keeps every model on (sized the same way for the requests hybrid routing sends it) and routes with hybrid/balanced: Pick without Spin. ")
        .append("The RL row is the production RlRoutingPolicy with the shipped DQN policy, reading the simulated pools' load; ")
        .append("Three variants of the product default show the effect of a max hold longer than the cold starts, of one warm replica per tier, ")
        .append("and of a scaler that plans every replica at its max batch (latency slack 0, Algorithm 1's c).\n\n");
    fleetSection(md);
    for (TraceReport t : reports) traceSection(md, t);
    targetsSection(md, reports);
    maxBatchSection(md, reports);
    if (!alternative.isEmpty()) alternativeSection(md, alternative);
    calibrationSection(md);
    findings(md, reports);
    md.append("""
        ## Known gaps of the model

        - Per-prompt correctness is synthetic: a one-factor Gaussian model that keeps each model's published benchmark accuracy and the measured agreement between two reference models; prompt sources without that benchmark use a proxy benchmark (table above). It is not a measurement of these models on these prompts.
        - Prompts are drawn independently of the trace's token lengths (trace lengths drive latency, the prompt text drives routing and correctness).
        - The latency model is a fitted roofline (linear layers from vidur, end-to-end overheads from vLLM runs); attention kernels are modelled, not measured (vidur's attention tables are absent), the KV cache is reserved for a request's whole length at admission (no preemption), prefix caching (Mooncake's hash_ids) is ignored.
        - GPU prices are an assumption; cost ratios equal GPU-hour ratios because every model runs on H100s.
        - The DQN router's policy was trained on this fleet's calibrated servers (io.pickspin.lab.rl.CalibratedServers, the same BatchingEngine) with static deployments, not with the autoscaler: its rows here run it on autoscaled pools it never saw in training.
        """);
    return md.toString();
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

  private void traceSection(StringBuilder md, TraceReport t) {
    RunResult any = t.rows.get(0).result;
    md.append("## Trace ").append(t.trace.name()).append("\n\n").append(t.trace.description())
        .append(String.format(Locale.ROOT, ": %d requests over %.2f h, mean %.2f req/s, mean context %d tokens; max batch per replica sized for it:",
            any.requests(), t.trace.durationMs() / 3.6e6, t.trace.meanRatePerSecond(), t.fleet.latency().settings().nominalContext()));
    for (ModelSpec s : t.fleet.catalog().models()) md.append(' ').append(s.id()).append(' ').append(s.latency().maxBatch()).append(',');
    md.setLength(md.length() - 1);
    md.append(".\n\n");
    md.append("| deployment | replicas | success | accuracy | on time | lat mean s | lat p95 s | lat p99 s | TTFT mean s | TTFT p95 s | TTFT p99 s | GPU-h | GPU-h / 1k q | $ / 1k q | cold starts | scale events | done / rejected / timed out | served by (" + String.join(" / ", t.fleet.catalog().models().stream().map(ModelSpec::id).toList()) + ") |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : t.rows) {
      RunResult x = r.result;
      String name = r == t.bestStatic ? "**" + r.scenario.name() + " (best static)**" : r.scenario.name();
      md.append(String.format(Locale.ROOT, "| %s | %s | %.1f%% | %.1f%% | %.1f%% | %.2f | %.2f | %.2f | %.3f | %.3f | %.3f | %.2f | %.3f | %.3f | %d | %d | %d / %d / %d | %s |%n",
          name, r.sizing, 100 * x.successRate(), 100 * x.accuracy(), 100.0 * x.onTime() / Math.max(1, x.requests()),
          x.meanLatencyMs() / 1000, x.p95LatencyMs() / 1000, x.p99LatencyMs() / 1000, x.meanTtftMs() / 1000, x.p95TtftMs() / 1000,
          x.p99TtftMs() / 1000, x.gpuHours(), x.gpuHoursPer1kQueries(), x.costPer1kQueries(), x.coldStarts(), x.scaleEvents(),
          x.completed(), x.rejected(), x.timedOut(), served(x)));
    }
    List<RunResult> spin = t.rows.stream().filter(r -> r.group.equals("pick-and-spin") && r.scenario.router() != RouterKind.RL)
        .map(Row::result).toList();
    if (spin.size() > 1) {
      md.append(String.format(Locale.ROOT,
          "%nAcross the keyword, classifier and hybrid routers and the four profiles, Pick and Spin's success spans %.1f-%.1f%% and its cost %.3f-%.3f $ per 1k queries.%n",
          100 * spin.stream().mapToDouble(RunResult::successRate).min().orElse(0), 100 * spin.stream().mapToDouble(RunResult::successRate).max().orElse(0),
          spin.stream().mapToDouble(RunResult::costPer1kQueries).min().orElse(0), spin.stream().mapToDouble(RunResult::costPer1kQueries).max().orElse(0)));
    }
    RunResult b = t.bestStatic.result;
    md.append("\nDeltas against the best static deployment (").append(t.bestStatic.scenario.name()).append(", ").append(t.bestStatic.sizing)
        .append("); success as a relative change and in percentage points:\n\n");
    md.append("| deployment | success (rel.) | success (pp) | mean latency | p95 latency | mean TTFT | GPU cost per query |\n|---|---|---|---|---|---|---|\n");
    for (Row r : t.rows) {
      if (r == t.bestStatic) continue;
      RunResult x = r.result;
      md.append(String.format(Locale.ROOT, "| %s | %s | %+.1f | %s | %s | %s | %s |%n", r.scenario.name(),
          rel(x.successRate(), b.successRate()), 100 * (x.successRate() - b.successRate()), rel(x.meanLatencyMs(), b.meanLatencyMs()),
          rel(x.p95LatencyMs(), b.p95LatencyMs()), rel(x.meanTtftMs(), b.meanTtftMs()), rel(x.costPer1kQueries(), b.costPer1kQueries())));
    }
    md.append('\n');
  }

  private void alternativeSection(StringBuilder md, List<TraceReport> alternative) {
    ModelFleet f = alternative.get(0).fleet;
    md.append("## Fleet sensitivity: the ").append(f.name()).append(" fleet\n\n");
    md.append("The same traces, settings and prompts with another fleet: ");
    for (ModelSpec s : f.catalog().models()) {
      md.append(String.format(Locale.ROOT, "%s (%s, %d GPU, expected accuracy %.1f%%), ", s.id(), s.tier(), s.gpusPerReplica(), 100 * s.quality()));
    }
    md.setLength(md.length() - 2);
    md.append(". Static single-model deployments sized as above, against the product default (Pick and Spin hybrid, balanced).\n\n");
    md.append("| trace | best static | its success / mean latency / $ per 1k | Pick and Spin hybrid, balanced: success / mean latency / $ per 1k | success (rel.) | mean latency | GPU cost per query |\n|---|---|---|---|---|---|---|\n");
    for (TraceReport t : alternative) {
      RunResult b = t.bestStatic.result;
      Row ps = t.rows.stream().filter(r -> r.group.equals("pick-and-spin")).findFirst().orElseThrow();
      RunResult x = ps.result;
      md.append(String.format(Locale.ROOT, "| %s | %s (%s) | %.1f%% / %.2f s / %.3f | %.1f%% / %.2f s / %.3f | %s | %s | %s |%n", t.trace.name(),
          t.bestStatic.scenario.name(), t.bestStatic.sizing, 100 * b.successRate(), b.meanLatencyMs() / 1000, b.costPer1kQueries(),
          100 * x.successRate(), x.meanLatencyMs() / 1000, x.costPer1kQueries(), rel(x.successRate(), b.successRate()),
          rel(x.meanLatencyMs(), b.meanLatencyMs()), rel(x.costPer1kQueries(), b.costPer1kQueries())));
    }
    md.append('\n');
  }

  private static String served(RunResult x) {
    StringBuilder s = new StringBuilder();
    for (int n : x.servedBy().values()) s.append(s.length() == 0 ? "" : " / ").append(n);
    return s.toString();
  }

  private static String rel(double x, double base) {
    if (base == 0) return "n/a";
    return String.format(Locale.ROOT, "%+.1f%%", 100 * (x / base - 1));
  }

  private void targetsSection(StringBuilder md, List<TraceReport> reports) {
    md.append("## Against the paper's headline deltas\n\n");
    md.append("The paper (arXiv 2512.22402) reports, against static deployments of the same models: up to **+21.6% success rate**, **-30% latency**, **-33% GPU cost per query**. ")
        .append("Here: the product default (Pick and Spin hybrid, balanced) and the best Pick and Spin row per metric, against the best static deployment of each trace. ")
        .append("The paper's success is completion without error or timeout (responses not scored); ours also requires a correct answer within the deadline.\n\n");
    md.append("| trace | row | success (rel.) | target +21.6% | mean latency | target -30% | GPU cost / query | target -33% |\n|---|---|---|---|---|---|---|---|\n");
    for (TraceReport t : reports) {
      RunResult b = t.bestStatic.result;
      List<Row> spin = t.rows.stream().filter(r -> r.group.equals("pick-and-spin") || r.group.equals("variant")).toList();
      Row def = Objects.requireNonNullElse(defaultRow(t), spin.get(0));
      target(md, t, "default: " + def.scenario.name(), def.result, b);
      Row bestSuccess = spin.stream().max((x, y) -> Double.compare(x.result.successRate(), y.result.successRate())).orElseThrow();
      Row bestLatency = spin.stream().min((x, y) -> Double.compare(x.result.meanLatencyMs(), y.result.meanLatencyMs())).orElseThrow();
      Row bestCost = spin.stream().min((x, y) -> Double.compare(x.result.costPer1kQueries(), y.result.costPer1kQueries())).orElseThrow();
      md.append(String.format(Locale.ROOT, "| %s | best per metric: %s / %s / %s | %s | %s | %s | %s | %s | %s |%n", t.trace.name(),
          bestSuccess.scenario.name(), bestLatency.scenario.name(), bestCost.scenario.name(),
          rel(bestSuccess.result.successRate(), b.successRate()), met(bestSuccess.result.successRate() / b.successRate() - 1 >= 0.216),
          rel(bestLatency.result.meanLatencyMs(), b.meanLatencyMs()), met(bestLatency.result.meanLatencyMs() / b.meanLatencyMs() - 1 <= -0.30),
          rel(bestCost.result.costPer1kQueries(), b.costPer1kQueries()), met(bestCost.result.costPer1kQueries() / b.costPer1kQueries() - 1 <= -0.33)));
    }
    md.append('\n');
  }

  /** The product default's row of a trace (Pick and Spin hybrid, balanced), or null. */
  private static Row defaultRow(TraceReport t) {
    return t.rows.stream().filter(r -> r.group.equals("pick-and-spin") && r.scenario.router() == RouterKind.HYBRID
        && r.scenario.profile() == Profile.BALANCED).findFirst().orElse(null);
  }

  /** The product default's variant planned at max batch, or null. */
  private static Row maxBatchRow(TraceReport t) {
    return t.rows.stream().filter(r -> r.scenario.name().endsWith(AT_MAX_BATCH)).findFirst().orElse(null);
  }

  /** A variant of the product default by its name's suffix, or null. */
  private static Row variantRow(TraceReport t, String suffix) {
    return t.rows.stream().filter(r -> r.group.equals("variant") && r.scenario.name().endsWith(suffix)).findFirst().orElse(null);
  }

  /** Statements computed from this run's rows: each trace's default against its best static deployment, and the bounds. */
  private void findings(StringBuilder md, List<TraceReport> reports) {
    md.append("## What this run shows\n\nEach statement is computed from the tables above.\n\n");
    for (TraceReport t : reports) {
      RunResult b = t.bestStatic.result;
      Row def = defaultRow(t);
      if (def == null) continue;
      RunResult x = def.result;
      md.append(String.format(Locale.ROOT, "- **%s**: the product default against the best static deployment (%s): success %+.1f pp, "
          + "mean latency %s, GPU cost per query %s; on time %.1f%% against %.1f%%.", t.trace.name(), t.bestStatic.sizing,
          100 * (x.successRate() - b.successRate()), rel(x.meanLatencyMs(), b.meanLatencyMs()),
          rel(x.costPer1kQueries(), b.costPer1kQueries()), onTime(x), onTime(b)));
      List<String> ahead = t.rows.stream().filter(r -> !r.group.startsWith("static") && r.result.successRate() > b.successRate())
          .map(r -> r.scenario.name()).toList();
      md.append(ahead.isEmpty() ? " No Pick and Spin row has more successes than the best static deployment."
          : " Rows with more successes than the best static deployment: " + String.join("; ", ahead) + ".");
      Row maxBatch = maxBatchRow(t);
      if (maxBatch != null) {
        RunResult m = maxBatch.result;
        md.append(String.format(Locale.ROOT, " Planning at max batch instead of the latency slack: on time %.1f%% instead of %.1f%%, "
            + "TTFT p95 %.2f s instead of %.2f s, %s GPU-hours.", onTime(m), onTime(x), m.p95TtftMs() / 1000, x.p95TtftMs() / 1000,
            rel(m.gpuHours(), x.gpuHours())));
      }
      Row longHold = variantRow(t, ", max hold 180 s"), warm = variantRow(t, ", warm pool 1/1/1");
      if (longHold != null && warm != null) {
        md.append(String.format(Locale.ROOT, " A 180 s max hold changes its success by %+.1f pp, a warm replica per tier by %+.1f pp.",
            100 * (longHold.result.successRate() - x.successRate()), 100 * (warm.result.successRate() - x.successRate())));
      }
      md.append('\n');
    }
    ModelSpec mostAccurate = setup.fleet.catalog().models().stream().max(Comparator.comparingDouble(ModelSpec::quality)).orElseThrow();
    long beyond = reports.stream().filter(t -> 1.216 * t.bestStatic.result.successRate() > mostAccurate.quality()).count();
    md.append(String.format(Locale.ROOT, "- **Success ceiling**: a success needs a correct answer, so no row can exceed the most "
        + "accurate model's expected accuracy, %.1f%% (%s); +21.6%% over the best static deployment (the paper's headline) "
        + "would exceed it on %d of %d traces.%n", 100 * mostAccurate.quality(), mostAccurate.id(), beyond, reports.size()));
    DoubleSummaryStatistics cold = setup.fleet.catalog().models().stream().mapToDouble(m -> m.latency().coldStartMs() / 1000).summaryStatistics();
    md.append(String.format(Locale.ROOT, "- **Cold starts**: %.0f-%.0f s in this fleet, against a max hold of %d s: a request that "
        + "waits for a new replica %s.%n%n", cold.getMin(), cold.getMax(), simSettings.maxHold().toSeconds(),
        cold.getMax() > simSettings.maxHold().toSeconds() ? "can time out in the hold queue before the replica is ready"
            : "is held until the replica is ready"));
  }

  /** The history row: per trace, the product default against the best static deployment. */
  static Map<String, String> headline(List<TraceReport> reports) {
    Map<String, String> h = new LinkedHashMap<>();
    for (TraceReport t : reports) {
      Row def = defaultRow(t);
      if (def == null) continue;
      RunResult b = t.bestStatic.result, x = def.result;
      h.put(t.trace.name() + ": default vs best static (success, latency, cost)", String.format(Locale.ROOT, "%+.1f pp, %s, %s",
          100 * (x.successRate() - b.successRate()), rel(x.meanLatencyMs(), b.meanLatencyMs()),
          rel(x.costPer1kQueries(), b.costPer1kQueries())));
    }
    return h;
  }

  private static double onTime(RunResult x) {
    return 100.0 * x.onTime() / Math.max(1, x.requests());
  }

  /** The product default's scaler planning at the latency slack against planning at max batch, on the same requests. */
  private void maxBatchSection(StringBuilder md, List<TraceReport> reports) {
    md.append("## Planning at the latency slack vs at max batch: the product default against the best static deployment\n\n");
    md.append("Same run, same requests: \"max batch\" plans every replica at its max batch (Algorithm 1's c), \"slack\" at the latency slack (the product's scaler). ")
        .append("Success in percentage points, latency and GPU cost per query relative to the best static deployment of the trace.\n\n");
    md.append("| trace | best static | max batch: success pp / mean latency / cost | slack: success pp / mean latency / cost | slack: GPU-h vs max batch | slack: cold starts |\n|---|---|---|---|---|---|\n");
    for (TraceReport t : reports) {
      RunResult b = t.bestStatic.result;
      Row slack = defaultRow(t);
      Row maxBatch = maxBatchRow(t);
      if (slack == null || maxBatch == null) continue;
      md.append(String.format(Locale.ROOT, "| %s | %s | %+.1f / %s / %s | %+.1f / %s / %s | %s | %d |%n", t.trace.name(), t.bestStatic.sizing,
          100 * (maxBatch.result.successRate() - b.successRate()), rel(maxBatch.result.meanLatencyMs(), b.meanLatencyMs()),
          rel(maxBatch.result.costPer1kQueries(), b.costPer1kQueries()),
          100 * (slack.result.successRate() - b.successRate()), rel(slack.result.meanLatencyMs(), b.meanLatencyMs()),
          rel(slack.result.costPer1kQueries(), b.costPer1kQueries()), rel(slack.result.gpuHours(), maxBatch.result.gpuHours()),
          slack.result.coldStarts()));
    }
    md.append('\n');
  }

  private static void target(StringBuilder md, TraceReport t, String label, RunResult x, RunResult b) {
    md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", t.trace.name(), label,
        rel(x.successRate(), b.successRate()), met(x.successRate() / b.successRate() - 1 >= 0.216),
        rel(x.meanLatencyMs(), b.meanLatencyMs()), met(x.meanLatencyMs() / b.meanLatencyMs() - 1 <= -0.30),
        rel(x.costPer1kQueries(), b.costPer1kQueries()), met(x.costPer1kQueries() / b.costPer1kQueries() - 1 <= -0.33)));
  }

  private static String met(boolean ok) {
    return ok ? "met" : "**not met**";
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

  // ---- plot

  void plot(List<TraceReport> reports, Path png) throws IOException {
    List<TimelinePlot.Panel> panels = new ArrayList<>();
    for (TraceReport t : reports) {
      Row best = t.bestStatic;
      Row all = t.rows.stream().filter(r -> r.group.equals("static-all")).findFirst().orElse(best);
      Row ps = Objects.requireNonNullElse(defaultRow(t), best);
      List<TimelinePlot.Series> gpus = List.of(
          new TimelinePlot.Series("best static: " + best.sizing, STATIC, best.result.gpusPerMinute()),
          new TimelinePlot.Series("static all models", STATIC_ALL, all.result.gpusPerMinute()),
          new TimelinePlot.Series("Pick and Spin hybrid, balanced", PS, ps.result.gpusPerMinute()));
      List<TimelinePlot.Series> lat = List.of(
          new TimelinePlot.Series("best static", STATIC, seconds(best.result.p95LatencyPerMinute())),
          new TimelinePlot.Series("static all models", STATIC_ALL, seconds(all.result.p95LatencyPerMinute())),
          new TimelinePlot.Series("Pick and Spin hybrid, balanced", PS, seconds(ps.result.p95LatencyPerMinute())));
      panels.add(new TimelinePlot.Panel(t.trace.name() + ": GPUs allocated (replicas x GPUs, per-minute mean)", "GPUs", gpus, false));
      panels.add(new TimelinePlot.Panel(t.trace.name() + ": p95 latency of requests completing each minute", "seconds (log)", lat, true));
    }
    TimelinePlot.write(png, "Pick and Spin vs static deployments (discrete-event simulation)", panels, 2);
  }

  private static double[] seconds(double[] ms) {
    double[] s = new double[ms.length];
    for (int i = 0; i < ms.length; i++) s[i] = ms[i] / 1000;
    return s;
  }
}
