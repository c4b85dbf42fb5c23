package io.pickspin.lab.des;

import com.typesafe.config.ConfigFactory;
import io.pickspin.lab.common.Cli;
import io.pickspin.lab.common.ResultsFile;
import io.pickspin.lab.train.PromptCorpus;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.PoolSettings;
import io.pickspin.pool.ReplicaChoice;
import io.pickspin.prefix.PrefixCache;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Prefix-cache-aware replica choice in the discrete-event simulator: a fixed fleet of Qwen3-32B replicas (tensor
 * parallel 2 on H100, as llm-d's "KV-cache wins you can see" benchmark: 8 pods, 16 GPUs) behind the production pool,
 * each replica with a prefix cache the size of its KV memory, under four replica choices: random, least-outstanding
 * (the default), prefix-only and prefix-aware (ours). The prefix-aware weight is chosen on validation data (the first
 * part of Mooncake's conversation trace, MT-bench conversations and llm-d-shaped arrivals drawn with seeds of their
 * own) and then frozen for the measured part. Prints the tables and writes bench/results/prefix-cache.md.
 */
public final class PrefixCacheBench {
  static final String TITLE = "Prefix-cache-aware replica choice (discrete-event simulation)";
  /** llm-d's published table (8 vLLM pods of Qwen3-32B on 2 H100 each, 150 x 6,000-token shared contexts, 3-60 QPS). */
  static final double LLMD_PRECISE_P90_S = 0.542, LLMD_APPROX_P90_S = 31.083, LLMD_LOAD_P90_S = 94.865, LLMD_RANDOM_P90_S = 92.551;

  @Command(name = "bin/bench-prefix-cache", sortOptions = false, showDefaultValues = true,
      description = "Random, least-outstanding, prefix-only and prefix-aware replica choice on Mooncake, MT-bench and Azure traces.")
  static final class Options {
    @Mixin Cli.Help help;
    @Option(names = "--seed", description = "first seed") long seed = 1;
    @Option(names = "--seeds", description = "seeds per cell; 95% confidence intervals over them") int seeds = 5;
    @Option(names = "--validation-seeds", description = "seeds per weight on the validation part") int validationSeeds = 3;
    @Option(names = "--replicas", description = "replicas of the fleet (fixed)") int replicas = 8;
    @Option(names = "--weights", description = "prefix-aware weights (requests per 1,000 cached tokens) tried on validation data") String weights = "0.25,0.5,1,2,4,8,16";
    @Option(names = "--weight", description = "skip validation and use this weight") Double weight;
    @Option(names = "--validation-fraction", description = "first share of Mooncake's time that chooses the weight") double validationFraction = 0.4;
    @Option(names = "--mooncake-speedup", description = "time compression of Mooncake's trace") double mooncakeSpeedup = 1.0;
    @Option(names = "--azure-speedup", description = "time compression of the Azure conversation trace") double azureSpeedup = 1.0;
    @Option(names = "--mtbench-rate", description = "MT-bench conversations started per second") double mtBenchRate = 8.0;
    @Option(names = "--mtbench-minutes", description = "MT-bench replay length") double mtBenchMinutes = 30;
    @Option(names = "--mtbench-system-tokens", description = "words of a system prompt every MT-bench conversation shares") int mtBenchSystem = 0;
    @Option(names = "--mtbench-block-tokens", description = "block size of the MT-bench replay (vLLM's default is 16)") int mtBenchBlock = 16;
    @Option(names = "--llmd-qps", description = "request rates of the llm-d-shaped workload (comma-separated)") String llmdQps = "4,6,8,10";
    @Option(names = "--llmd-oversubscribed-qps", description = "one more llm-d-shaped rate with --llmd-oversubscription (0: none)") double llmdOversubscribedQps = 8;
    @Option(names = "--llmd-oversubscription", description = "the pool's oversubscription for that one more rate") double llmdOversubscription = 2.0;
    @Option(names = "--llmd-output-tokens", description = "answer length of the llm-d-shaped workload (not in llm-d's post)") int llmdOutput = 1000;
    @Option(names = "--llmd-minutes", description = "length of each llm-d-shaped run") double llmdMinutes = 15;
    @Option(names = "--oversubscription", description = "pool slots per replica = max batch x this (the pool's default: 1.0)") double oversubscription = 1.0;
    @Option(names = "--jitter-ms", description = "each replayed trace arrival moves by U(0, this) per seed") double jitterMs = 1000;
    @Option(names = "--threads", description = "runs in parallel") int threads = 2;
    @Option(names = "--minutes", description = "truncate the traces to their first M minutes, for a quick look") Double minutes;
    @Option(names = "--out", description = "results file") Path out = Path.of("bench/results/prefix-cache.md");
  }

  /** One scheduler of the table. */
  record Scheduler(String name, ReplicaChoice choice, double weight) {}

  /** The runs of one scheduler on one workload, one per seed. */
  record Cell(Scheduler scheduler, List<PrefixReplay.Result> runs) {
    SimulatorBench.Stat stat(ToDoubleFunction<PrefixReplay.Result> f) {
      return SimulatorBench.Stat.of(runs.stream().mapToDouble(f).toArray());
    }
  }

  private final Options a;
  private final LatencyModel latency;
  private final LatencyModel.Deployment deployment =
      new LatencyModel.Deployment(ModelArchitecture.QWEN_3_32B, "h100", 2);
  private final PoolSettings basePool;
  /** The pool settings runs start from (the base, or a variant for one table). */
  private volatile PoolSettings runPool;
  private final ExecutorService pool;

  PrefixCacheBench(Options a, LatencyModel latency) {
    this.a = a;
    this.latency = latency;
    PoolSettings p = PoolSettings.fromConfig(ConfigFactory.load().getConfig("pickspin.pool"));
    this.basePool = new PoolSettings(100_000, a.oversubscription, p.faultsToFail(), p.healthInterval(), p.healthTimeout(),
        p.healthFailuresToFail(), p.retryAfterMax(), p.acquireMargin(), p.replicaChoice(), p.prefixWeight(),
        p.prefixBlockTokens(), p.prefixBlocksPerReplica(), p.prefixTtl());
    this.runPool = basePool;
    this.pool = Executors.newFixedThreadPool(Math.max(1, a.threads));
  }

  public static void main(String[] argv) throws Exception {
    Options a = Cli.parseOrExit(new Options(), argv);
    ResultsFile.Run started = ResultsFile.Run.start(PrefixCacheBench.class, argv);
    long t0 = System.nanoTime();
    Path shared = PromptCorpus.sharedDir();
    Path data = shared.resolve("data");
    progress("fitting the latency model ...");
    LatencyModel lm = LatencyCalibration.fit(shared).model();
    PrefixCacheBench bench = new PrefixCacheBench(a, lm);
    try {
      StringBuilder md = new StringBuilder();
      Map<String, String> headline = new LinkedHashMap<>();

      PrefixWorkload mooncake = PrefixWorkload.mooncake(data.resolve("mooncake_traces/conversation_trace.jsonl"), a.mooncakeSpeedup);
      PrefixWorkload azure = PrefixWorkload.azureConv(data.resolve("azure_llm_inference_2023/AzureLLMInferenceTrace_conv.csv"),
          a.azureSpeedup, io.pickspin.prefix.PromptBlocks.DEFAULT_BLOCK_TOKENS);
      if (a.minutes != null) {
        mooncake = mooncake.window(0, a.minutes * 60_000);
        azure = azure.window(0, a.minutes * 60_000);
      }
      List<Integer> answerLengths = new ArrayList<>();
      for (PrefixWorkload.Turn t : azure.firstTurns()) answerLengths.add(Math.min(t.outputTokens(), 2048));

      double split = mooncake.durationMs() * a.validationFraction;
      double weight;
      if (a.weight != null) {
        weight = a.weight;
        md.append("Prefix-aware weight given: ").append(fmt(weight)).append(" (no validation run).\n\n");
      } else {
        weight = bench.chooseWeight(mooncake.window(0, split), answerLengths, data, md);
      }
      Scheduler ours = new Scheduler("prefix-aware (ours, weight " + fmt(weight) + ")", ReplicaChoice.PREFIX_AWARE, weight);
      List<Scheduler> schedulers = List.of(
          new Scheduler("random", ReplicaChoice.RANDOM, 0),
          new Scheduler("least-outstanding (default)", ReplicaChoice.LEAST_OUTSTANDING, 0),
          new Scheduler("prefix-only", ReplicaChoice.PREFIX_ONLY, 0),
          ours);

      md.append("## Measured\n\n");
      // Mooncake: the validation part runs first as warm-up and is not counted
      List<Cell> moon = bench.table(mooncake, split, schedulers, md,
          String.format(Locale.ROOT, "Mooncake conversation trace, measured part: arrivals from %.1f min to the end (the first %.0f%% "
              + "chose the weight and runs unmeasured as warm-up)", split / 60_000, a.validationFraction * 100));
      PrefixWorkload mt = PrefixWorkload.mtBench(data.resolve("mt_bench/question.jsonl"), answerLengths, a.mtBenchRate,
          bench.mtBenchMinutes(), a.mtBenchSystem, 30_000, a.mtBenchBlock, a.seed);
      List<Cell> mtCells = bench.mtBenchTable(answerLengths, schedulers, md, data);
      double azSplit = azure.durationMs() * a.validationFraction;
      List<Cell> az = bench.table(azure, azSplit, schedulers, md,
          String.format(Locale.ROOT, "Azure LLM conversation trace (no shared prefixes), arrivals from %.1f min measured", azSplit / 60_000));

      List<List<Cell>> llmd = new ArrayList<>();
      List<String> llmdRows = new ArrayList<>();
      md.append("### llm-d's workload shape\n\nNot a trace: llm-d's published workload rebuilt (150 customers, 6,000-token contexts, "
          + "1,200-token questions; answers of " + a.llmdOutput + " tokens as in their 37-capacity report's output_len), to compare "
          + "with their table on their own terms, at fixed rates instead of their 3-60 QPS ramp. Each seed draws its own "
          + "arrivals; the first fifth of each run is warm-up.\n\n");
      for (double qps : bench.llmdRates()) {
        llmdRows.add(String.format(Locale.ROOT, "llm-d shape, %.1f req/s", qps));
        llmd.add(bench.syntheticTable(qps, schedulers, bench.basePool, md));
      }
      if (a.llmdOversubscribedQps > 0) {
        PoolSettings oversubscribed = bench.basePool.withOversubscription(a.llmdOversubscription);
        llmdRows.add(String.format(Locale.ROOT, "llm-d shape, %.1f req/s, oversubscription %s", a.llmdOversubscribedQps,
            fmt(a.llmdOversubscription)));
        md.append("With oversubscription " + fmt(a.llmdOversubscription) + " a saturated fleet queues up to "
            + fmt(a.llmdOversubscription - 1) + " batch(es) more in each replica's engine instead of in the pool, where every "
            + "choice sends a prompt at once (as llm-d's schedulers do, into vLLM's waiting queue):\n\n");
        llmd.add(bench.syntheticTable(a.llmdOversubscribedQps, schedulers, oversubscribed, md));
      }
      md.append(bench.verdict(moon, mtCells, az, mt, llmdRows, llmd));
      md.append(bench.notes(mooncake, mt, azure));
      md.append(String.format(Locale.ROOT, "\nWhole run %.0f s wall.\n", (System.nanoTime() - t0) / 1e9));
      headline.put("weight", fmt(weight));
      headline.put("mooncake p90 LO / ours (s)", fmt(moon.get(1).stat(r -> r.ttftP90Ms()).mean() / 1000) + " / "
          + fmt(moon.get(3).stat(r -> r.ttftP90Ms()).mean() / 1000));
      headline.put("mooncake hit LO / ours", pct(moon.get(1).stat(PrefixReplay.Result::hitRate).mean()) + " / "
          + pct(moon.get(3).stat(PrefixReplay.Result::hitRate).mean()));
      headline.put("mt-bench p90 LO / ours (s)", fmt(mtCells.get(1).stat(r -> r.ttftP90Ms()).mean() / 1000) + " / "
          + fmt(mtCells.get(3).stat(r -> r.ttftP90Ms()).mean() / 1000));
      headline.put("azure p90 LO / ours (s)", fmt(az.get(1).stat(r -> r.ttftP90Ms()).mean() / 1000) + " / "
          + fmt(az.get(3).stat(r -> r.ttftP90Ms()).mean() / 1000));
      System.out.println(ResultsFile.write(a.out, TITLE, started, md.toString(), headline));
      progress("wrote " + a.out.toAbsolutePath());
    } finally {
      bench.pool.shutdownNow();
    }
  }

  /**
   * Every weight of the grid on validation data of the three workloads with shared prefixes: the first part of
   * Mooncake's trace, and MT-bench and the llm-d shape drawn with seeds the measured runs do not use. The weight with
   * the lowest geometric mean of P90 TTFT over least-outstanding's wins.
   */
  double chooseWeight(PrefixWorkload mooncakeValidation, List<Integer> answerLengths, Path data, StringBuilder md) throws Exception {
    List<Scheduler> tried = new ArrayList<>();
    tried.add(new Scheduler("least-outstanding", ReplicaChoice.LEAST_OUTSTANDING, 0));
    for (String w : a.weights.split(",")) {
      double x = Double.parseDouble(w.trim());
      tried.add(new Scheduler("prefix-aware, weight " + fmt(x), ReplicaChoice.PREFIX_AWARE, x));
    }
    long seed0 = a.seed + 1000;
    List<String> names = new ArrayList<>();
    List<List<Cell>> sets = new ArrayList<>();
    names.add("mooncake (first " + Math.round(a.validationFraction * 100) + "%)");
    sets.add(run(mooncakeValidation, 0, tried, a.validationSeeds, 1000));
    double minutes = mtBenchMinutes();
    names.add(String.format(Locale.ROOT, "mt-bench %.0f conv/s", a.mtBenchRate));
    sets.add(runEach(tried, a.validationSeeds, seed0, mtBench(answerLengths, data)));
    for (double qps : llmdRates()) {
      names.add(String.format(Locale.ROOT, "llm-d shape %.0f req/s", qps));
      sets.add(runEach(tried, a.validationSeeds, seed0, seed -> llmdShape(qps, seed)));
    }
    md.append("## Validation: choosing the prefix-aware weight\n\n");
    md.append(String.format(Locale.ROOT, "P90 TTFT (s), mean of %d seeds (%d-%d, not used below), on the first %.0f%% of "
        + "Mooncake's trace and on MT-bench conversations and llm-d-shaped arrivals of their own; the weight with the lowest "
        + "geometric mean of P90 TTFT over least-outstanding's is frozen for everything below.\n\n",
        a.validationSeeds, seed0, seed0 + a.validationSeeds - 1, a.validationFraction * 100));
    md.append("| scheduler | ").append(String.join(" | ", names)).append(" | geometric mean over least-outstanding |\n|---|");
    md.append("---|".repeat(names.size() + 1)).append('\n');
    double best = Double.NaN, bestScore = Double.POSITIVE_INFINITY;
    for (int i = 0; i < tried.size(); i++) {
      md.append("| ").append(tried.get(i).name());
      double logSum = 0;
      for (List<Cell> set : sets) {
        double p90 = set.get(i).stat(PrefixReplay.Result::ttftP90Ms).mean(), lo = set.get(0).stat(PrefixReplay.Result::ttftP90Ms).mean();
        logSum += Math.log(p90 / lo);
        md.append(String.format(Locale.ROOT, " | %.3f", p90 / 1000));
      }
      double score = Math.exp(logSum / sets.size());
      md.append(String.format(Locale.ROOT, " | %.3f |\n", score));
      if (tried.get(i).choice() == ReplicaChoice.PREFIX_AWARE && score < bestScore) {
        bestScore = score;
        best = tried.get(i).weight();
      }
    }
    md.append("\nChosen weight: **").append(fmt(best)).append("** requests in flight per 1,000 cached prompt tokens.\n\n");
    progress("chosen weight " + fmt(best));
    return best;
  }

  /** MT-bench conversations drawn with a seed, 30 s mean think time. */
  private java.util.function.LongFunction<PrefixWorkload> mtBench(List<Integer> answerLengths, Path data) {
    return seed -> {
      try {
        return PrefixWorkload.mtBench(data.resolve("mt_bench/question.jsonl"), answerLengths, a.mtBenchRate, mtBenchMinutes(),
            a.mtBenchSystem, 30_000, a.mtBenchBlock, seed);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
  }

  private double mtBenchMinutes() {
    return a.minutes != null ? Math.min(a.minutes, a.mtBenchMinutes) : a.mtBenchMinutes;
  }

  private List<Double> llmdRates() {
    List<Double> l = new ArrayList<>();
    for (String q : a.llmdQps.split(",")) l.add(Double.parseDouble(q.trim()));
    return l;
  }

  private PrefixWorkload llmdShape(double qps, long seed) {
    return PrefixWorkload.sharedContexts(150, 6000, 1200, a.llmdOutput, qps, a.llmdMinutes,
        io.pickspin.prefix.PromptBlocks.DEFAULT_BLOCK_TOKENS, seed);
  }

  /** Each seed its own workload; the first fifth of each run is warm-up. */
  private List<Cell> runEach(List<Scheduler> schedulers, int seeds, long firstSeed,
      java.util.function.LongFunction<PrefixWorkload> workload) throws Exception {
    List<PrefixWorkload> ws = new ArrayList<>();
    for (int i = 0; i < seeds; i++) ws.add(workload.apply(firstSeed + i));
    List<List<Future<PrefixReplay.Result>>> futures = new ArrayList<>();
    for (Scheduler s : schedulers) {
      List<Future<PrefixReplay.Result>> f = new ArrayList<>();
      for (int i = 0; i < seeds; i++) {
        PrefixWorkload w = ws.get(i);
        long seed = firstSeed + i;
        f.add(pool.submit(() -> replay(w, w.durationMs() * 0.2, s, seed)));
      }
      futures.add(f);
    }
    List<Cell> cells = new ArrayList<>();
    for (int i = 0; i < schedulers.size(); i++) cells.add(collect(schedulers.get(i), futures.get(i)));
    return cells;
  }

  List<Cell> table(PrefixWorkload w, double measureFromMs, List<Scheduler> schedulers, StringBuilder md, String title) throws Exception {
    List<Cell> cells = run(w, measureFromMs, schedulers, a.seeds, 0);
    md.append("### ").append(w.name()).append("\n\n").append(title).append("; ").append(w.description())
        .append(String.format(Locale.ROOT, "; %d requests in all, %d seeds.\n\n", w.requests(), a.seeds));
    table(cells, md);
    md.append('\n');
    return cells;
  }

  /** MT-bench: each seed draws its own conversations; the first fifth runs as warm-up. */
  List<Cell> mtBenchTable(List<Integer> answerLengths, List<Scheduler> schedulers, StringBuilder md, Path data) throws Exception {
    double minutes = mtBenchMinutes();
    java.util.function.LongFunction<PrefixWorkload> draw = mtBench(answerLengths, data);
    List<Cell> cells = runEach(schedulers, a.seeds, a.seed, draw);
    PrefixWorkload described = draw.apply(a.seed);
    md.append("### ").append(described.name()).append("\n\n").append(described.description())
        .append(String.format(Locale.ROOT, "; about %d requests per seed, the first %.0f min unmeasured (warm-up), %d seeds "
            + "(each its own conversations).\n\n", described.requests(), minutes * 0.2, a.seeds));
    table(cells, md);
    md.append('\n');
    return cells;
  }

  List<Cell> syntheticTable(double qps, List<Scheduler> schedulers, PoolSettings poolSettings, StringBuilder md) throws Exception {
    PoolSettings saved = runPool;
    runPool = poolSettings;
    try {
      List<Cell> cells = runEach(schedulers, a.seeds, a.seed, seed -> llmdShape(qps, seed));
      PrefixWorkload described = llmdShape(qps, a.seed);
      md.append(String.format(Locale.ROOT, "#### %.1f req/s%s\n\n", qps,
          poolSettings == basePool ? "" : ", pool oversubscription " + fmt(poolSettings.oversubscription())))
          .append(described.description())
          .append(String.format(Locale.ROOT, "; about %d requests per seed, %d seeds.\n\n", described.requests(), a.seeds));
      table(cells, md);
      md.append('\n');
      return cells;
    } finally {
      runPool = saved;
    }
  }

  private List<Cell> run(PrefixWorkload w, double measureFromMs, List<Scheduler> schedulers, int seeds, long seedOffset) throws Exception {
    List<List<Future<PrefixReplay.Result>>> futures = new ArrayList<>();
    for (Scheduler s : schedulers) {
      List<Future<PrefixReplay.Result>> f = new ArrayList<>();
      for (int i = 0; i < seeds; i++) {
        long seed = a.seed + seedOffset + i;
        PrefixWorkload jittered = w.jittered(a.jitterMs, seed);
        f.add(pool.submit(() -> replay(jittered, measureFromMs, s, seed)));
      }
      futures.add(f);
    }
    List<Cell> cells = new ArrayList<>();
    for (int i = 0; i < schedulers.size(); i++) cells.add(collect(schedulers.get(i), futures.get(i)));
    return cells;
  }

  private Cell collect(Scheduler s, List<Future<PrefixReplay.Result>> f) throws Exception {
    List<PrefixReplay.Result> runs = new ArrayList<>();
    for (Future<PrefixReplay.Result> x : f) runs.add(x.get());
    return new Cell(s, runs);
  }

  /** One run: the fleet sized for the workload's mean context, its pool with the scheduler's choice. */
  PrefixReplay.Result replay(PrefixWorkload w, double measureFromMs, Scheduler s, long seed) {
    long t0 = System.nanoTime();
    double in = 0, out = 0;
    int n = 0;
    for (PrefixWorkload.Turn t : w.firstTurns()) {
      for (PrefixWorkload.Turn u = t; u != null; u = u.next()) {
        in += u.inputTokens();
        out += u.outputTokens();
        n++;
      }
    }
    int meanIn = (int) Math.round(in / n), meanOut = (int) Math.round(out / n);
    LatencyModel lm = latency.withNominalContext(meanIn + meanOut);
    ModelSpec spec = new ModelSpec("qwen3-32b", Tier.HIGH, "Qwen/Qwen3-32B", 0.5, deployment.tensorParallel(),
        ModelFleet.H100_HOURLY_USD, lm.profile(deployment, meanIn, meanOut), 0, a.replicas, List.of());
    long cacheBlocks = PrefixCache.capacityBlocks(lm.kvCapacityBytes(deployment), deployment.arch().kvBytes(1), w.blockTokens());
    // the pool remembers about as many blocks per replica as its cache holds (the operator's blocks-per-replica)
    PoolSettings ps = runPool.withReplicaChoice(s.choice(), s.weight())
        .withPrefixIndex(w.blockTokens(), (int) Math.min(Integer.MAX_VALUE, cacheBlocks), runPool.prefixTtl());
    // the pool's random choice draws from its lease-id seed
    PrefixReplay r = new PrefixReplay(lm, deployment, spec, ps, a.replicas, cacheBlocks, w.blockTokens(),
        Duration.ofSeconds(600), 1 + seed * 1_000_003L);
    PrefixReplay.Result res = r.run(w, measureFromMs);
    progress(String.format(Locale.ROOT, "%s / %s / seed %d: p90 TTFT %.2f s, hit %.1f%%, %.1f s wall", w.name(), s.name(), seed,
        res.ttftP90Ms() / 1000, res.hitRate() * 100, (System.nanoTime() - t0) / 1e9));
    return res;
  }

  private static void table(List<Cell> cells, StringBuilder md) {
    md.append("| scheduler | output tok/s | TTFT p90 (s) | TTFT mean (s) | TTFT p50 (s) | prefix hit rate | GPU-h | unserved |\n");
    md.append("|---|---|---|---|---|---|---|---|\n");
    for (Cell c : cells) {
      md.append("| ").append(c.scheduler.name())
          .append(" | ").append(ci(c.stat(PrefixReplay.Result::outputTokensPerS), 1, 0))
          .append(" | ").append(ci(c.stat(PrefixReplay.Result::ttftP90Ms), 1e-3, 3))
          .append(" | ").append(ci(c.stat(PrefixReplay.Result::ttftMeanMs), 1e-3, 3))
          .append(" | ").append(ci(c.stat(PrefixReplay.Result::ttftP50Ms), 1e-3, 3))
          .append(" | ").append(ci(c.stat(PrefixReplay.Result::hitRate), 100, 1)).append('%')
          .append(" | ").append(ci(c.stat(PrefixReplay.Result::gpuHours), 1, 2))
          .append(" | ").append(String.format(Locale.ROOT, "%.0f", c.stat(r -> r.unserved()).mean()))
          .append(" |\n");
    }
  }

  private String verdict(List<Cell> moon, List<Cell> mt, List<Cell> az, PrefixWorkload mtSample, List<String> llmdRows,
      List<List<Cell>> llmd) {
    StringBuilder b = new StringBuilder("## Against llm-d's published ratio\n\n");
    b.append(String.format(Locale.ROOT, "llm-d (\"KV-cache wins you can see\", 8 vLLM pods of Qwen3-32B on 2 H100 each): P90 TTFT "
        + "precise-scheduling %.3f s, approximate-scheduling %.3f s, load-scheduling %.3f s, random-scheduling %.3f s: "
        + "precise / load-only = **%.4f** (%.0fx), precise / approximate = %.4f.\n\n", LLMD_PRECISE_P90_S, LLMD_APPROX_P90_S,
        LLMD_LOAD_P90_S, LLMD_RANDOM_P90_S, LLMD_PRECISE_P90_S / LLMD_LOAD_P90_S, LLMD_LOAD_P90_S / LLMD_PRECISE_P90_S,
        LLMD_PRECISE_P90_S / LLMD_APPROX_P90_S));
    b.append("| workload | P90 TTFT ours / least-outstanding | ours / random | llm-d precise / load-only | at least llm-d's ratio? |\n");
    b.append("|---|---|---|---|---|\n");
    List<Map.Entry<String, List<Cell>>> rows = new ArrayList<>(
        List.of(Map.entry("mooncake-conv", moon), Map.entry(mtSample.name(), mt), Map.entry("azure-conv (no shared prefixes)", az)));
    for (int i = 0; i < llmd.size(); i++) {
      rows.add(Map.entry(llmdRows.get(i), llmd.get(i)));
    }
    for (var e : rows) {
      List<Cell> c = e.getValue();
      double ours = c.get(3).stat(PrefixReplay.Result::ttftP90Ms).mean();
      double lo = c.get(1).stat(PrefixReplay.Result::ttftP90Ms).mean();
      double rnd = c.get(0).stat(PrefixReplay.Result::ttftP90Ms).mean();
      double r = ours / lo;
      b.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.4f | %s |\n", e.getKey(), r, ours / rnd,
          LLMD_PRECISE_P90_S / LLMD_LOAD_P90_S, r <= LLMD_PRECISE_P90_S / LLMD_LOAD_P90_S ? "yes" : "no"));
    }
    double azOurs = az.get(3).stat(PrefixReplay.Result::ttftP90Ms).mean(), azLo = az.get(1).stat(PrefixReplay.Result::ttftP90Ms).mean();
    b.append(String.format(Locale.ROOT, "\nWithout shared prefixes (azure-conv) ours vs least-outstanding on P90 TTFT: %.3f s vs %.3f s "
        + "(%s).\n\n", azOurs / 1000, azLo / 1000, azOurs <= azLo * 1.0001 ? "no loss" : "LOSS"));
    return b.toString();
  }

  private String notes(PrefixWorkload mooncake, PrefixWorkload mt, PrefixWorkload azure) {
    LatencyModel.Deployment d = deployment;
    long tokens = (long) (latency.kvCapacityBytes(d) / d.arch().kvBytes(1));
    return String.format(Locale.ROOT, """
        ## How it was run

        - Fleet: %d replicas of Qwen3-32B, tensor parallel 2 on H100 (%d GPUs), fixed (no scaling); each replica's KV memory holds \
        %,d tokens (llm-d's pods: 307,328), all of it prefix cache (an upper bound: vLLM shares it with running sequences). \
        The latency model is the DES's, calibrated on vidur's H100 profiles; prefill skips the cached prefix (it still attends to it).
        - Pool: the production `PoolCore` with `replica-choice` per row, slots per replica = max batch x %.1f, the rest of the \
        queue held in the pool (prefix-aware, a replica that frees a slot serves the held request among the next \
        slots-per-replica whose prefix it holds, each held request passed at most that often; the others serve the queue \
        in order), max hold 600 s; prefix index as large as the cache (blocks per replica), ttl %s. A request the pool \
        could not serve counts at the max hold in TTFT ("unserved").
        - Seeds: on the traces each seed moves every arrival by U(0, %.0f ms) (and draws the random scheduler); on MT-bench \
        each seed draws its own conversations. 95%% confidence half-widths by Student's t over seeds.
        - Mooncake's hash_ids name 512-token blocks; the answer's own blocks are unknown there (a next turn's ids already \
        include them). MT-bench prompts are short (a few dozen words, no system prompt), shared only as turn 1 (question and \
        answer) inside turn 2; its blocks are %d tokens, vLLM's default, since 512-token blocks would hide most of it; its \
        prefill is a small share of its work, so its TTFT barely moves whatever the choice.
        - GPU-h = GPUs x time from the measured part's start to its last answer: for a fixed fleet it only differs by how \
        long the backlog takes to drain.
        - The scaler does not count cache hits in its capacity: its Little's-law sizing sees the shorter service times \
        that hits give, but it has no per-replica warm-cache term (not cheap: it would need the pool's hit estimate per \
        replica in telemetry and a prefill model per hit rate).
        - What the table does not show: the pool's index is a guess from what it sent (llm-d's "approximate" kind, not its \
        "precise" one, which reads vLLM's KV events); here it is nearly exact because the simulated cache is an LRU the size \
        the pool assumes.
        """, a.replicas, a.replicas * d.tensorParallel(), tokens, a.oversubscription, basePool.prefixTtl(), a.jitterMs, mt.blockTokens());
  }

  private static String ci(SimulatorBench.Stat s, double scale, int digits) {
    String f = "%." + digits + "f";
    if (Double.isNaN(s.ci())) return String.format(Locale.ROOT, f, s.mean() * scale);
    return String.format(Locale.ROOT, f + " ± " + f, s.mean() * scale, s.ci() * scale);
  }

  private static String fmt(double x) {
    return x == Math.rint(x) ? String.valueOf((long) x) : String.format(Locale.ROOT, "%.3g", x);
  }

  private static String pct(double x) {
    return String.format(Locale.ROOT, "%.1f%%", x * 100);
  }

  private static void progress(String s) {
    System.err.println("[prefix-cache] " + s);
  }
}
