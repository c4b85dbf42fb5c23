package io.pickspin.lab.bench;

import io.pickspin.lab.common.Cli;
import io.pickspin.lab.common.ResultsFile;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleFunction;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What the gateway adds to a request, against the same zero-latency backend reached directly, through nginx as a plain
 * reverse proxy, and through Portkey's open-source AI gateway, in one run on 127.0.0.1.
 *
 * <p>The processes: the sim backend ({@code SimServerMain}, TTFT = TPOT = 0); two gateways
 * ({@link GatewayBenchServer}, a JVM each, like two nodes: one takes the keyword-router requests, the other the
 * classifier-router ones, so that the classifier's CPU and memory do not disturb the keyword measurements); nginx
 * (generated configuration in a temporary directory); Portkey's gateway ({@link Portkey}, node, installed with npm into
 * a cache directory on first use); and this JVM, the load generator ({@link LoadGenerator}: blocking
 * keep-alive connections, open loop at a constant arrival rate, latency from the scheduled send time). For every rate,
 * the ways run back to back so that they share the machine's state, in one or more rounds (with
 * {@code --interleave-ms}, a round is one run in which the ways take turns in short time slices, {@link TimeSlices});
 * then churn runs open new connections one after another, two requests each, for what a connection costs each way
 * ({@code --churn}); then a closed-loop run per way gives the throughput. CPU time of each server process, and the
 * machine's CPU time stolen by the hypervisor, are read from /proc over the measured part of every run. With
 * {@code --max-steal}, an open-loop round (every way once, at one rate and mode) whose cells saw more steal than the
 * bound runs again ({@link StealGate}); the latency tables use the rounds kept, and the report also gives the added
 * latency over every attempt. Results go to stdout (markdown) and to the results file ({@link ResultsFile}), whose
 * history gets the run's headline numbers.
 *
 * <p>{@code bin/bench-gateway --help} lists the options.
 */
public final class GatewayOverheadBench {
  /** The way through a gateway built from {@code --baseline-classpath}, keyword router. */
  static final String BASELINE = "gateway keyword, baseline build";
  /** Ways through gateways that differ from "gateway keyword" only in their JVM options ({@code --variant}) start so. */
  static final String VARIANT = "gateway keyword, ";
  /** The way through Portkey's gateway; also its name in --ways. */
  static final String PORTKEY = "portkey";
  /** The ways --ways can name, in the order they run. */
  static final List<String> WAYS = List.of("direct", "nginx", PORTKEY, "keyword", "classifier");
  /** LiteLLM's published added latency ("LiteLLM Overhead Duration", docs.litellm.ai/docs/benchmarks), ms. */
  static final double LITELLM_P50_MS = 2, LITELLM_P99_MS = 13;

  /** A gateway JVM of the run: the way it serves, its classpath and its JVM options beyond --jvm-opts. */
  record GatewayJvm(String way, String classpath, List<String> jvmOptions) {}
  enum Mode {
    PLAIN("non-streamed"),
    STREAM("streamed");

    final String label;

    Mode(String label) {
      this.label = label;
    }

    /** By name or by label: {@code plain} or {@code non-streamed}, {@code stream} or {@code streamed}. */
    static Mode parse(String s) {
      for (Mode m : values()) {
        if (m.name().equalsIgnoreCase(s.trim()) || m.label.equalsIgnoreCase(s.trim())) return m;
      }
      throw new IllegalArgumentException("--modes takes plain (or non-streamed) and stream (or streamed), not '" + s.trim() + "'");
    }
  }

  /** One way to the backend. {@code proxyPid} is the process between client and sim (0 for direct). */
  record Way(String name, int port, String model, String[] headers, long proxyPid) {}

  /**
   * One measured run of a way; {@code round} counts the repetitions from 1 (open loop at each rate, and closed loop);
   * {@code attempt} counts the tries at an open-loop round from 1 (more when {@code --max-steal} rejected one; 1 for
   * closed loop); {@code rate} is 0 for closed-loop runs.
   */
  record Cell(Way way, Mode mode, int rate, int round, int attempt, LoadGenerator.Run run, Latencies latency, CpuUse cpu) {}

  /**
   * The closed-loop rounds of one way and mode, and their medians; ratios to nginx and to Portkey are taken within each
   * round (empty when that way did not run).
   */
  record Capacity(Way way, Mode mode, List<Cell> rounds, double reqPerSec, double[] vsNginx, double[] vsPortkey,
      double vsDirect, double p50, double p99, CpuUse cpu) {}

  /**
   * The open-loop rounds of one way, mode and rate (or every attempt at them), and their medians (errors summed).
   * {@code added} holds the medians of the per-round differences to direct and {@code addedP99} each round's
   * difference; null and empty for direct.
   */
  record OpenLoop(Way way, Mode mode, int rate, List<Cell> rounds, double achieved, long errors, double connections,
      Latencies latency, Latencies added, double[] addedP99, CpuUse cpu) {}

  /**
   * One churn run of a way ({@code --churn} new connections one after another): the latencies of the connections' first
   * and second requests, and CPU per connection (not per request: each connection carries its two requests).
   */
  record ChurnCell(Way way, Mode mode, int round, LoadGenerator.Churn churn, Latencies first, Latencies second,
      CpuUse perConnection) {}

  /** A cell and the reference way's cell of the same round, attempt, mode and rate. */
  record Paired(Cell cell, Cell reference) {}

  /**
   * CPU microseconds per request of the proxy (gateway or nginx; NaN for direct), the sim and the load generator, and
   * the percentage of the machine's CPU time the hypervisor stole (NaN without /proc/stat), over a measured window. A
   * churn cell's is per connection instead of per request.
   */
  record CpuUse(double proxyUs, double simUs, double loadUs, double stealPercent) {
    static final String COLUMNS = " proxy CPU µs/req | sim CPU µs/req | load-gen CPU µs/req | steal % |";
    static final String ALIGN = "---:|---:|---:|---:|";

    static CpuUse median(List<CpuUse> rounds) {
      return new CpuUse(Median.of(rounds, CpuUse::proxyUs), Median.of(rounds, CpuUse::simUs),
          Median.of(rounds, CpuUse::loadUs), Median.of(rounds, CpuUse::stealPercent));
    }

    /** The {@link #COLUMNS} of a table row. */
    String columns() {
      return " " + us(proxyUs) + " | " + us(simUs) + " | " + us(loadUs) + " | " + steal() + " |";
    }

    /** The steal column's value: one decimal, blank when unknown. */
    String steal() {
      return Double.isNaN(stealPercent) ? "" : String.format(Locale.ROOT, "%.1f", stealPercent);
    }
  }

  /**
   * CPU time of the proxies of a run's ways (gateway or nginx; none for direct), the sim and this JVM alone, and the
   * machine's CPU time by state, over the measured part of a run (of one way, or of several interleaved).
   */
  private final class CpuWindow implements LoadGenerator.Window {
    private final List<Way> ways;
    private final long[] proxy0, proxyMs;
    private long sim0, self0, simMs, selfMs;
    private ProcessStats.MachineCpu machine0, machine1;

    CpuWindow(List<Way> ways) {
      this.ways = ways;
      this.proxy0 = new long[ways.size()];
      this.proxyMs = new long[ways.size()];
    }

    @Override
    public void started() {
      for (int i = 0; i < ways.size(); i++) proxy0[i] = proxyCpuMillis(ways.get(i));
      sim0 = ProcessStats.cpuMillis(simPid);
      self0 = ProcessStats.ownCpuMillis();
      machine0 = ProcessStats.machineCpu();
    }

    @Override
    public void ended() {
      for (int i = 0; i < ways.size(); i++) proxyMs[i] = proxyCpuMillis(ways.get(i)) - proxy0[i];
      simMs = ProcessStats.cpuMillis(simPid) - sim0;
      selfMs = ProcessStats.ownCpuMillis() - self0;
      machine1 = ProcessStats.machineCpu();
    }

    /**
     * Per request: the way's proxy over the {@code wayRequests} it alone served, the sim and the load generator over
     * the {@code allRequests} of the window (they served every way of it).
     */
    CpuUse per(Way way, long wayRequests, long allRequests) {
      return new CpuUse(way.proxyPid() == 0 ? Double.NaN : microsPer(proxyMs[ways.indexOf(way)], wayRequests),
          microsPer(simMs, allRequests), microsPer(selfMs, allRequests),
          machine0 == null || machine1 == null ? Double.NaN : machine1.stealPercentSince(machine0));
    }

    private static long proxyCpuMillis(Way w) {
      return w.proxyPid() == 0 ? 0 : ProcessStats.cpuMillis(w.proxyPid());
    }

    private static double microsPer(long millis, long requests) {
      return requests == 0 ? Double.NaN : millis * 1000.0 / requests;
    }
  }

  /** A gateway JVM of the run and the way whose requests it takes. */
  record Node(String way, ChildProcess process, int port) {}

  /** Resident memory of a process, and heap used after a full GC for a gateway (-1 for others). */
  record Memory(long rssKib, long heapBytes) {}

  /** The open-loop cells that one {@link StealGate} judges and counts. */
  record RateAndMode(int rate, Mode mode) {}

  private final Options o;
  private final Path work;
  private final LoadGenerator load;
  private final List<Cell> cells = new ArrayList<>(); // open loop: the rounds kept, one attempt each
  private final List<Cell> rejectedCells = new ArrayList<>(); // open-loop attempts rejected for steal, kept for the report
  private final Map<RateAndMode, StealGate> stealGates = new LinkedHashMap<>();
  private final List<Cell> capacity = new ArrayList<>();
  private final List<ChurnCell> churnCells = new ArrayList<>();
  /** The gateway JVMs beside "gateway keyword" and "gateway classifier": a baseline build and the variants. */
  private final List<GatewayJvm> extraGateways;
  private final Map<String, String> routedBy = new LinkedHashMap<>();
  private final Map<String, Memory> idleMemory = new LinkedHashMap<>(); // by process
  private final Map<String, Memory> loadedMemory = new LinkedHashMap<>();
  private final Map<String, Long> served = new LinkedHashMap<>(); // about how many requests each way's server took
  private long simPid;
  private String nginxVersion = "?";
  private String portkeyNodeVersion; // null when Portkey did not run
  private String classifierKind = "?";

  private GatewayOverheadBench(Options o) throws IOException {
    this.o = o;
    this.work = Files.createTempDirectory("pickspin-bench-");
    this.load = new LoadGenerator(o.maxConnections);
    this.extraGateways = o.extraGateways(o.classpath);
  }

  public static void main(String[] args) throws Exception {
    Options o = Cli.parseOrExit(new Options(), args);
    ResultsFile.Run started = ResultsFile.Run.start(GatewayOverheadBench.class, args);
    GatewayOverheadBench bench = new GatewayOverheadBench(o);
    String report = bench.run();
    System.out.println(ResultsFile.write(Path.of(o.out), TITLE, started, report, bench.headline()));
    progress("wrote " + o.out);
    bench.deleteWorkDirectory(); // kept when the run fails: the processes' logs are there
    System.exit(0);
  }

  private void deleteWorkDirectory() throws IOException {
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private String run() throws Exception {
    String cp = o.classpath;
    progress("work directory " + work);
    Path node = null;
    if (o.ways.contains(PORTKEY)) { // before anything starts: the install is the one step that needs the network
      node = Portkey.require(o.node);
      Portkey.checkNode(node);
      Path dir = Path.of(o.portkeyDir);
      if (Portkey.installed(dir)) {
        progress("Portkey's gateway " + Portkey.VERSION + " is installed in " + dir);
      } else {
        Portkey.install(Portkey.require(o.npm), dir);
      }
    }
    List<String> simCommand = new ArrayList<>(java());
    simCommand.addAll(List.of("-cp", cp, "io.pickspin.sim.server.SimServerMain", "--host", "127.0.0.1", "--port", "0",
        "--log-level", "WARN"));
    for (String served : GatewayBenchServer.SERVED) {
      simCommand.addAll(List.of("--model", "name=" + served + ",ttft-ms=0,tpot-ms=0,max-batch=4096"));
    }
    try (ChildProcess sim = ChildProcess.start("sim", simCommand, work)) {
      int simPort = Integer.parseInt(sim.awaitLine("SIM_READY port=", Duration.ofSeconds(60)));
      simPid = sim.pid();
      progress("sim backend on port " + simPort + " (pid " + simPid + ")");
      // one gateway JVM per router, as separate nodes: the classifier's CPU, garbage and memory do not touch the
      // keyword measurements; optionally more with another build (a baseline) or other JVM options (variants)
      List<GatewayJvm> gatewayJvms = new ArrayList<>();
      gatewayJvms.add(new GatewayJvm("gateway keyword", cp, o.gatewayOpts));
      gatewayJvms.addAll(extraGateways);
      gatewayJvms.add(new GatewayJvm("gateway classifier", cp, o.gatewayOpts));
      List<ChildProcess> gateways = new ArrayList<>();
      try (Nginx nginx = Nginx.start(o.nginx, work.resolve("nginx"), simPort, o.nginxWorkers);
          Portkey portkey = node == null ? null : Portkey.start(node, Path.of(o.portkeyDir), work)) {
        for (GatewayJvm g : gatewayJvms) {
          List<String> command = new ArrayList<>(java());
          command.addAll(g.jvmOptions());
          command.addAll(List.of("-Dai.djl.offline=true", "-cp", g.classpath(), GatewayBenchServer.class.getName(),
              "--backend", "http://127.0.0.1:" + simPort));
          gateways.add(ChildProcess.start(g.way().replaceAll("[^A-Za-z0-9.-]+", "-"), command, work));
        }
        List<Node> nodes = new ArrayList<>();
        int i = 0;
        for (String way : gatewayJvms.stream().map(GatewayJvm::way).toList()) {
          ChildProcess p = gateways.get(i++);
          String ready = p.awaitLine(GatewayBenchServer.READY, Duration.ofSeconds(180));
          if (way.equals("gateway classifier")) classifierKind = field(ready, "classifier");
          nodes.add(new Node(way, p, Integer.parseInt(field(ready, "port"))));
          progress(way + ": gateway on port " + field(ready, "port") + " (pid " + p.pid() + ")");
        }
        nginxVersion = nginxVersion();
        progress("nginx on port " + nginx.port() + " (pid " + nginx.pid() + "), learned classifier " + classifierKind);
        String model = GatewayBenchServer.SERVED.get(0);
        List<Way> ways = new ArrayList<>(List.of(
            new Way("direct", simPort, model, new String[0], 0),
            new Way("nginx", nginx.port(), model, new String[0], nginx.pid())));
        if (portkey != null) {
          portkeyNodeVersion = portkey.nodeVersion();
          progress("Portkey's gateway " + Portkey.VERSION + " on port " + portkey.port() + " (pid " + portkey.pid()
              + ", node " + portkeyNodeVersion + ")");
          ways.add(new Way(PORTKEY, portkey.port(), model, Portkey.headers("http://127.0.0.1:" + simPort + "/v1"), portkey.pid()));
        }
        for (Node n : nodes) {
          String router = n.way().equals("gateway classifier") ? "classifier" : "keyword";
          ways.add(new Way(n.way(), n.port(), "auto", new String[] {"x-pickspin-router: " + router}, n.process().pid()));
        }
        ways.removeIf(w -> !w.name().startsWith(VARIANT) && !o.ways.contains(w.name().replace("gateway ", "")));
        for (Way w : ways) checkRoute(w);
        memory(nodes, nginx, portkey, idleMemory);
        measure(ways, () -> {
          sim.requireAlive();
          nodes.forEach(n -> n.process().requireAlive());
          nginx.requireAlive();
          if (portkey != null) portkey.requireAlive();
        });
        memory(nodes, nginx, portkey, loadedMemory);
      } finally {
        gateways.forEach(ChildProcess::close);
      }
    }
    return report();
  }

  private void measure(List<Way> ways, Runnable requireAlive) throws InterruptedException {
    // JIT warm-up of every path before anything counts; a way that may not keep up with 1000/s (--alone) is warmed up
    // in closed loop instead, so that it starts the measurements without a backlog
    for (Mode mode : o.modes) {
      for (Way w : ways) {
        LoadGenerator.Run run;
        if (alone(w)) {
          progress("warm-up " + w.name() + " " + mode.label + ": " + o.initialWarmupSeconds + " s closed loop, "
              + o.connections + " connections");
          run = load.closedLoop(target(w, mode), o.connections, Duration.ZERO, Duration.ofSeconds(o.initialWarmupSeconds),
              LoadGenerator.Window.NONE);
        } else {
          progress("warm-up " + w.name() + " " + mode.label + ": " + o.initialWarmupSeconds + " s at 1000/s");
          run = load.openLoop(
              target(w, mode), 1000, Duration.ZERO, Duration.ofSeconds(o.initialWarmupSeconds), LoadGenerator.Window.NONE);
        }
        count(w, run.sent());
        requireAlive.run();
      }
    }
    // at each rate the ways run in rounds, every way once per round: "added" compares runs of the same round, and the
    // rounds sample the machine's noise (CPU steal) at different times; with --interleave-ms a round is one run in time
    // slices, so that the ways also share the machine's state within it
    for (int rate : o.rates) {
      for (int round = 1; round <= o.openRounds; round++) {
        for (Mode mode : o.modes) {
          StealGate gate = stealGate(rate, mode);
          for (int attempt = 1; ; attempt++) {
            List<Cell> attemptCells = new ArrayList<>();
            if (o.interleaveMs > 0) {
              // the ways --alone names run on their own after the others' interleaved run, in the same round
              List<Way> together = ways.stream().filter(w -> !alone(w)).toList();
              if (!together.isEmpty()) attemptCells.addAll(openLoopRun(together, mode, rate, round, attempt, gate, requireAlive));
              for (Way w : ways) {
                if (alone(w)) attemptCells.addAll(openLoopRun(List.of(w), mode, rate, round, attempt, gate, requireAlive));
              }
            } else {
              for (Way w : ways) attemptCells.addAll(openLoopRun(List.of(w), mode, rate, round, attempt, gate, requireAlive));
            }
            StealGate.Decision d = gate.judge(attemptCells.stream().mapToDouble(c -> c.cpu().stealPercent()).toArray(), attempt);
            String verdict = verdictLine(gate, d, attempt);
            if (!verdict.isEmpty()) {
              progress(String.format(Locale.ROOT, "round %d/%d %d/s %s %s", round, o.openRounds, rate, mode.label, verdict));
            }
            (d.verdict().kept() ? cells : rejectedCells).addAll(attemptCells);
            if (d.verdict().kept()) break;
          }
        }
      }
    }
    // new connections, in rounds like the closed loop: every way once per round, after an unmeasured churn per way and
    // mode (a connection's setup code runs once per connection, so the request warm-up above leaves it cold for the JIT)
    if (o.churn > 0) {
      for (Mode mode : o.modes) {
        for (Way w : ways) {
          progress("warm-up " + w.name() + " " + mode.label + ": " + o.churn + " new connections");
          LoadGenerator.Churn churn = load.churn(target(w, mode), o.churn, LoadGenerator.Window.NONE);
          count(w, churn.first().sent() + churn.second().sent());
          requireAlive.run();
        }
      }
      for (int round = 1; round <= o.churnRounds; round++) {
        for (Mode mode : o.modes) {
          for (Way w : ways) {
            churnCells.add(churnRun(w, mode, round));
            requireAlive.run();
          }
        }
      }
    }
    // the closed-loop cells run in rounds, every way once per round, so that a ratio compares runs minutes apart at most
    for (int round = 1; round <= o.closedRounds; round++) {
      for (Mode mode : o.modes) {
        for (Way w : ways) {
          CpuWindow cpu = new CpuWindow(List.of(w));
          LoadGenerator.Run run = load.closedLoop(
              target(w, mode), o.connections, Duration.ofSeconds(2), Duration.ofSeconds(o.closedSeconds), cpu);
          long requests = run.ok() + run.errors();
          count(w, Math.round(requests * (1 + 2.0 / o.closedSeconds)));
          Cell c = measured(w, mode, 0, round, 1, run, cpu.per(w, requests, requests));
          capacity.add(c);
          requireAlive.run();
          progress(String.format(Locale.ROOT, "closed loop round %d/%d %d connections %-12s %-18s %8.1f req/s errors %d p50 %.3f p99 %.3f ms%s%s",
              round, o.closedRounds, o.connections, mode.label, w.name(), run.throughput(), run.errors(), c.latency().p50(),
              c.latency().p99(), steal(c), firstError(run.firstError())));
        }
      }
    }
  }

  /**
   * One run of the load generator in open loop for {@code together}: a plain open loop for one way, or the ways
   * interleaved in time slices of --interleave-ms, which share one CPU window (so one steal figure). A cell per way.
   */
  private List<Cell> openLoopRun(List<Way> together, Mode mode, int rate, int round, int attempt, StealGate gate,
      Runnable requireAlive) throws InterruptedException {
    Duration warmup = Duration.ofSeconds(o.warmupSeconds);
    Duration duration = Duration.ofSeconds(o.durationSeconds);
    TimeSlices slices = together.size() == 1
        ? TimeSlices.oneWay(rate, warmup, duration)
        : TimeSlices.interleaved(Duration.ofMillis(o.interleaveMs), together.size(), rate, warmup, duration);
    if (together.size() > 1) {
      progress(String.format(Locale.ROOT, "%s%5d/s %-12s %d ways interleaved in %d ms slices for %d s", roundLabel(round, attempt, gate),
          rate, mode.label, together.size(), o.interleaveMs, slices.length() / 1_000_000_000L));
    }
    CpuWindow cpu = new CpuWindow(together);
    List<LoadGenerator.Run> runs = load.openLoop(together.stream().map(w -> target(w, mode)).toList(), slices, cpu);
    requireAlive.run();
    long allRequests = runs.stream().mapToLong(LoadGenerator.Run::sent).sum();
    List<Cell> out = new ArrayList<>();
    for (int i = 0; i < together.size(); i++) {
      Way w = together.get(i);
      LoadGenerator.Run run = runs.get(i);
      count(w, run.sent() + (long) rate * o.warmupSeconds); // rejected attempts too: the servers took them
      Cell c = measured(w, mode, rate, round, attempt, run, cpu.per(w, run.sent(), allRequests));
      out.add(c);
      progress(String.format(Locale.ROOT, "%s%5d/s %-12s %-18s achieved %7.1f/s errors %d p50 %.3f p95 %.3f p99 %.3f max %.1f ms%s%s",
          roundLabel(round, attempt, gate), rate, mode.label, w.name(), run.throughput(), run.errors(),
          c.latency().p50(), c.latency().p95(), c.latency().p99(), c.latency().max(), steal(c), firstError(run.firstError())));
    }
    return out;
  }

  /** --churn new connections to a way, one after another, with the CPU of the servers over all of them. */
  private ChurnCell churnRun(Way w, Mode mode, int round) throws InterruptedException {
    CpuWindow cpu = new CpuWindow(List.of(w));
    LoadGenerator.Churn churn = load.churn(target(w, mode), o.churn, cpu);
    count(w, churn.first().sent() + churn.second().sent());
    ChurnCell c = new ChurnCell(w, mode, round, churn, Latencies.of(churn.first().latenciesNanos()),
        Latencies.of(churn.second().latenciesNanos()), cpu.per(w, o.churn, o.churn));
    progress(String.format(Locale.ROOT, "new connections round %d/%d %d connections %-12s %-18s errors %d first request p50 %.3f p99 %.3f, second p50 %.3f p99 %.3f ms, CPU per connection proxy %s sim %s ms%s%s",
        round, o.churnRounds, o.churn, mode.label, w.name(), churn.errors(), c.first().p50(), c.first().p99(),
        c.second().p50(), c.second().p99(), cpuMs(c.perConnection().proxyUs()), cpuMs(c.perConnection().simUs()),
        steal(c.perConnection()), firstError(churn.firstError())));
    return c;
  }

  /** A cell of the tables from a run of the load generator and what its window measured. */
  private static Cell measured(Way w, Mode mode, int rate, int round, int attempt, LoadGenerator.Run run, CpuUse cpu) {
    return new Cell(w, mode, rate, round, attempt, run, Latencies.of(run.latenciesNanos()), cpu);
  }

  /** Whether a way is one that --alone names: warmed up in closed loop, and not interleaved with the others. */
  private boolean alone(Way w) {
    return o.alone.contains(w.name().replace("gateway ", ""));
  }

  /** The steal gate that judges and counts the open-loop rounds of a rate and mode. */
  private StealGate stealGate(int rate, Mode mode) {
    return stealGates.computeIfAbsent(new RateAndMode(rate, mode), k -> new StealGate(o.maxStealPercent, o.stealRetries));
  }

  /** For an open-loop progress line: which round, and which attempt at it once there is more than one. */
  private String roundLabel(int round, int attempt, StealGate gate) {
    if (o.openRounds == 1 && attempt == 1) return "";
    return "open loop round " + round + "/" + o.openRounds
        + (attempt > 1 ? " (attempt " + attempt + " of at most " + gate.maxAttempts() + ")" : "") + " ";
  }

  /** For a progress line after an attempt at a round: what the steal bound made of it; empty when there is nothing to say. */
  private static String verdictLine(StealGate gate, StealGate.Decision d, int attempt) {
    if (!gate.bounded()) return "";
    // two decimals: a cell's line shows 0.5% for the 0.52% that a bound of 0.5% rejects
    String over = String.format(Locale.ROOT, "steal %.2f%% > %s%% (attempt %d of %d)", d.highestSteal(),
        percent(gate.maxStealPercent()), attempt, gate.maxAttempts());
    return switch (d.verdict()) {
      case REJECTED -> "rejected: " + over;
      case KEPT_OVER_BOUND -> "kept over the bound, no retry left: " + over;
      case ACCEPTED -> d.stealUnknown() ? "accepted with the steal of some cells unknown (no /proc/stat reading)" : "";
    };
  }

  /** For a progress line. */
  private static String steal(Cell c) {
    return steal(c.cpu());
  }

  /** For a progress line. */
  private static String steal(CpuUse cpu) {
    return Double.isNaN(cpu.stealPercent()) ? "" : String.format(Locale.ROOT, " steal %.1f%%", cpu.stealPercent());
  }

  /** For a progress line. */
  private static String firstError(String error) {
    return error == null ? "" : " first error: " + error;
  }

  private void count(Way w, long requests) {
    served.merge(w.name(), requests, Long::sum);
  }

  private LoadGenerator.Target target(Way w, Mode mode) {
    String body = body(w.model(), mode == Mode.STREAM);
    return new LoadGenerator.Target(
        w.name(), "127.0.0.1", w.port(), HttpConnection.post("127.0.0.1", w.port(), "/v1/chat/completions", body, w.headers()),
        mode == Mode.STREAM);
  }

  private String body(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"max_tokens\":" + o.tokens + ",\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}";
  }

  /** One request per way before the run: it must succeed, and the gateway must say which router decided. */
  private void checkRoute(Way w) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + w.port() + "/v1/chat/completions"))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body(w.model(), false)));
    for (String h : w.headers()) {
      int colon = h.indexOf(':');
      b.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
    }
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IOException(w.name() + " answered " + r.statusCode() + ": " + r.body());
    r.headers().firstValue("x-pickspin-router").ifPresent(router -> routedBy.put(w.name(),
        "router `" + router + "` chose `" + r.headers().firstValue("x-pickspin-model").orElse("?") + "` (route "
            + r.headers().firstValue("x-pickspin-route-ms").orElse("?") + " ms)"));
  }

  private void memory(List<Node> nodes, Nginx nginx, Portkey portkey, Map<String, Memory> into)
      throws IOException, InterruptedException {
    for (Node n : nodes) {
      String answer = n.process().ask("mem", "MEM", Duration.ofSeconds(60));
      into.put(n.way(), new Memory(ProcessStats.rssKib(n.process().pid()), Long.parseLong(field(answer, "heap_used"))));
    }
    into.put("nginx", new Memory(ProcessStats.rssKib(nginx.pid()), -1));
    if (portkey != null) into.put(PORTKEY, new Memory(ProcessStats.rssKib(portkey.pid()), -1));
    into.put("sim", new Memory(ProcessStats.rssKib(simPid), -1));
  }

  // ---------------------------------------------------------------- report

  static final String TITLE = "Gateway overhead benchmark";

  private String report() {
    StringBuilder r = new StringBuilder();
    r.append("What the gateway adds to a request against a zero-latency backend, compared with the same backend reached ")
        .append("directly, through nginx as a plain reverse proxy")
        .append(portkeyNodeVersion != null ? ", and through Portkey's open-source AI gateway" : "")
        .append(", on one machine over 127.0.0.1. The machine is shared and noisy: compare ways within one run, not numbers ")
        .append("across runs. LiteLLM's published overhead is quoted at the end as an anchor; it is not measured here.\n\n");
    if (!o.label.equals("latest")) r.append("Label: ").append(o.label).append("  \n");
    r.append("Setup: sim backend (one JVM, TTFT = TPOT = 0, ").append(o.tokens).append(" tokens per answer), ")
        .append(2 + extraGateways.size()).append(" gateway JVMs ")
        .append("(one receives the keyword-router requests, one the classifier-router ones")
        .append(extraGateways.stream()
            .map(g -> ", one is `" + g.way() + "` with the keyword router and JVM options `" + String.join(" ", g.jvmOptions()) + "`")
            .collect(Collectors.joining()))
        .append("; `").append(String.join(" ", o.jvmOpts))
        .append(o.gatewayOpts.isEmpty() ? "" : "`, gateway JVMs also `" + String.join(" ", o.gatewayOpts))
        .append("`, StaticLeaseProvider, ComplexityRoutingPolicy, learned classifier: ").append(classifierKind).append("), ").append(nginxVersion).append(" (worker_processes ").append(o.nginxWorkers)
        .append(", upstream keep-alive, proxy_buffering off), ")
        .append(portkeyNodeVersion == null ? "" : "Portkey's gateway " + Portkey.VERSION + " (npm @portkey-ai/gateway with "
            + "@hono/node-server pinned at 1.14.1, as newer ones fail every streamed answer, Portkey-AI/gateway#1389; node "
            + portkeyNodeVersion + ", --headless, a preload binding it to 127.0.0.1 with 75 s keep-alive; per request "
            + "x-portkey-provider: openai and x-portkey-custom-host: the sim's /v1; it sleeps "
            + Portkey.FIRST_EVENT_SLEEP_MS + " ms before every streamed answer's first event, see below), ")
        .append("load generator in the bench JVM (blocking keep-alive HTTP/1.1, ")
        .append("at most ").append(o.maxConnections).append(" connections). Open loop: constant arrival rate, ")
        .append(o.warmupSeconds).append(" s warm-up + ").append(o.durationSeconds)
        .append(" s measured per cell, latency from the scheduled send time (no coordinated omission); ")
        .append(o.interleaveMs > 0 ? "the ways take turns in time slices for each rate and mode" : "the ways run back to back for each rate")
        .append(o.openRounds > 1 ? ", " + o.openRounds + " rounds of them (round 1: every way, then round 2, ...)" : "")
        .append(stealBoundSetup())
        .append(interleavingSetup())
        .append(". Each way was warmed up for ").append(o.initialWarmupSeconds)
        .append(" s at 1000/s first").append(aloneWays().isEmpty() ? "" : " (" + String.join(", ", aloneWays()) + ": in closed loop)")
        .append(". Steal % is the share of the machine's CPU time (all cores, /proc/stat) that the ")
        .append("hypervisor gave to others over the measured part of a run.  \n");
    if (!routedBy.isEmpty()) {
      r.append("Routing check: ").append(routedBy.entrySet().stream()
          .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("; "))).append(".\n");
    }
    r.append('\n');
    if (!o.rates.isEmpty()) {
      for (Mode mode : o.modes) latencyTable(r, mode);
    }
    capacityTable(r);
    if (!churnCells.isEmpty()) newConnectionsTable(r);
    if (!o.rates.isEmpty()) sustainedTable(r);
    memoryTable(r);
    portkeyNotes(r);
    targets(r);
    liteLlmAnchor(r);
    return r.toString();
  }

  /** How the ways of an open-loop round share time (--interleave-ms), for the Setup paragraph; empty when they do not. */
  private String interleavingSetup() {
    if (o.interleaveMs == 0) return "";
    return ". Interleaving (--interleave-ms " + o.interleaveMs + "): a round at a rate and mode is one run of the load "
        + "generator that cuts time into " + o.interleaveMs + " ms slices given to the ways in turn ("
        + String.join(", ", interleavedWays()) + "); during its own slices a way gets requests at the full rate (on the same grid of send times), "
        + "outside them none, each way over its own connections. The run lasts the number of ways x (" + o.warmupSeconds
        + " + " + o.durationSeconds + ") s, so that every way has its warm-up and measured seconds in its own slices; only "
        + "requests scheduled after every way's warm-up count. Requests still in flight when a slice ends finish normally, "
        + "overlapping the next way's slice a little. A round's steal % is that of the whole interleaved run, the same for "
        + "all its ways; proxy CPU µs/req is the proxy's CPU over the run per request of its own way (it serves no other), "
        + "sim and load-gen CPU µs/req are their CPU over the run per request of all the ways"
        + (aloneWays().isEmpty() ? "" : ". " + String.join(", ", aloneWays()) + " (--alone) took no slices: in each round "
            + "its open-loop cell ran on its own right after the interleaved run (its steal % and CPU are its own), so that "
            + "a backlog it cannot clear does not reach the other ways' slices; it was warmed up in closed loop ("
            + o.connections + " connections) rather than at 1000/s");
  }

  /** The ways of the run that --alone names, in the order they ran. */
  private List<String> aloneWays() {
    return wayNames(cells).stream().filter(w -> o.alone.contains(w.replace("gateway ", ""))).toList();
  }

  /** The ways of the run that took slices of the interleaved runs, in their order. */
  private List<String> interleavedWays() {
    return wayNames(cells).stream().filter(w -> !o.alone.contains(w.replace("gateway ", ""))).toList();
  }

  /** The steal bound in the Setup paragraph, decided before the run and applied to every way alike; empty without one. */
  private String stealBoundSetup() {
    if (!o.stealBounded()) return "";
    return "; a round (every way once, at one rate and mode) counts only if the hypervisor stole at most "
        + percent(o.maxStealPercent) + "% of the CPU during each of its cells (--max-steal), else it " + retries()
        + ", and when every attempt is over the bound the last is kept; the latency tables use the rounds kept, and "
        + "after each one the attempts and the added latency over all attempts are given";
  }

  /** What --steal-retries lets a round over the steal bound do. */
  private String retries() {
    return switch (o.stealRetries) {
      case 0 -> "is not run again (--steal-retries 0)";
      case 1 -> "runs again once at most";
      default -> "runs again, up to " + o.stealRetries + " more times";
    };
  }

  private void latencyTable(StringBuilder r, Mode mode) {
    boolean rounds = o.openRounds > 1;
    r.append("## Latency, ").append(mode.label).append(rounds
        ? " (ms; " + o.openRounds + " rounds, every way once per round: medians over the rounds, errors summed; added = the "
            + "median over the rounds of this way's percentile minus direct's in the same round)\n\n"
        : " (ms; added = this way's percentile minus direct's at the same rate)\n\n");
    r.append("| rate/s | way | achieved/s | errors | connections opened | p50 | p95 | p99 | max | added p50 | added p95 | added p99 |")
        .append(CpuUse.COLUMNS).append(rounds ? " added p99, each round |\n" : "\n");
    r.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|").append(CpuUse.ALIGN).append(rounds ? "---|\n" : "\n");
    for (int rate : o.rates) {
      for (OpenLoop w : openLoops(cells, rate, mode)) {
        Latencies l = w.latency();
        r.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %d | %s | %s | %s | %s | %s | %s | %s | %s |",
            rate, w.way().name(), w.achieved(), w.errors(), countMedian(w.connections()), ms(l.p50()), ms(l.p95()), ms(l.p99()),
            ms(l.max()), added(w, Latencies::p50), added(w, Latencies::p95), added(w, Latencies::p99)));
        r.append(w.cpu().columns());
        if (rounds) r.append(' ').append(eachRound(w.addedP99(), GatewayOverheadBench::ms)).append(" |");
        r.append('\n');
      }
    }
    r.append('\n');
    if (o.stealBounded()) stealGateTables(r, mode);
  }

  /**
   * What the steal bound did at each rate in a mode, and, so that the choice of rounds hides nothing, the added latency
   * of the rounds kept beside that over every attempt (each paired with direct's run of the same attempt).
   */
  private void stealGateTables(StringBuilder r, Mode mode) {
    String bound = percent(o.maxStealPercent) + "%";
    r.append("Steal bound ≤ ").append(bound).append(" in every cell of a round, ").append(mode.label).append(": the attempts, ")
        .append("and what each way added over the rounds kept beside what it added over all attempts.\n\n");
    r.append("| rate/s | rounds | attempts run | rejected: steal > ").append(bound)
        .append(" | kept over the bound (no retry left) | kept with steal unknown |\n|---:|---:|---:|---:|---:|---:|\n");
    for (int rate : o.rates) {
      StealGate g = stealGate(rate, mode);
      r.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %d | %d |\n", rate, o.openRounds, g.attempts(), g.rejected(),
          g.keptOverBound(), g.acceptedWithStealUnknown()));
    }
    r.append("\n| rate/s | way | added p50, rounds kept | added p50, all attempts | added p99, rounds kept | added p99, all attempts |\n")
        .append("|---:|---|---:|---:|---:|---:|\n");
    List<Cell> allAttempts = Stream.concat(cells.stream(), rejectedCells.stream()).toList();
    for (int rate : o.rates) {
      List<OpenLoop> everyAttempt = openLoops(allAttempts, rate, mode);
      for (OpenLoop kept : openLoops(cells, rate, mode)) {
        if (kept.added() == null) continue; // direct
        OpenLoop all = everyAttempt.stream().filter(a -> a.way().name().equals(kept.way().name())).findFirst().orElseThrow();
        r.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s |\n", rate, kept.way().name(),
            added(kept, Latencies::p50), added(all, Latencies::p50), added(kept, Latencies::p99), added(all, Latencies::p99)));
      }
    }
    r.append('\n');
  }

  private void capacityTable(StringBuilder r) {
    r.append("## Throughput, closed loop (").append(o.connections).append(" connections, 2 s warm-up + ")
        .append(o.closedSeconds).append(" s");
    if (o.closedRounds > 1) {
      r.append("; ").append(o.closedRounds).append(" rounds, every way once per round; medians over the rounds, and the ")
          .append("ratios to nginx and to Portkey within each round");
    }
    r.append(")\n\n");
    boolean portkey = capacity.stream().anyMatch(c -> c.way().name().equals(PORTKEY));
    r.append("| way | mode | req/s | vs nginx |").append(portkey ? " vs Portkey |" : "")
        .append(" vs direct | errors | p50 ms | p99 ms |").append(CpuUse.COLUMNS)
        .append(o.closedRounds > 1 ? " vs nginx, each round | req/s, each round |\n" : "\n");
    r.append("|---|---|---:|---:|").append(portkey ? "---:|" : "").append("---:|---:|---:|---:|").append(CpuUse.ALIGN)
        .append(o.closedRounds > 1 ? "---|---|\n" : "\n");
    for (Capacity c : capacities()) {
      r.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %s |%s %s | %d | %s | %s |",
          c.way().name(), c.mode().label, c.reqPerSec(),
          c.vsNginx().length == 0 ? "" : ratio(Median.of(c.vsNginx())),
          !portkey ? "" : " " + (c.vsPortkey().length == 0 ? "" : ratio(Median.of(c.vsPortkey()))) + " |",
          Double.isNaN(c.vsDirect()) ? "" : ratio(c.vsDirect()),
          errors(c.rounds()), ms(c.p50()), ms(c.p99())));
      r.append(c.cpu().columns());
      if (o.closedRounds > 1) {
        r.append(' ').append(eachRound(c.vsNginx(), GatewayOverheadBench::ratio)).append(" | ")
            .append(eachRound(c.rounds().stream().mapToDouble(x -> x.run().throughput()).toArray(), v -> String.format(Locale.ROOT, "%.0f", v)))
            .append(" |");
      }
      r.append('\n');
    }
    r.append('\n');
  }

  /**
   * Per way and mode, what new connections cost: latency of their first request against their second, and CPU per
   * connection, also beyond its requests at the proxy's CPU per request of the closed loop (kept connections).
   */
  private void newConnectionsTable(StringBuilder r) {
    int requests = LoadGenerator.Churn.REQUESTS_PER_CONNECTION;
    r.append("## New connections (").append(o.churn).append(" per cell, one after another with a ")
        .append(LoadGenerator.Churn.PAUSE_MILLIS).append(" ms pause, after as many unmeasured per way and mode; ")
        .append(o.churnRounds > 1 ? o.churnRounds + " rounds, every way once per round: medians over the rounds, errors summed" : "one round")
        .append(")\n\n");
    r.append("A client's connection pool opens connections in bursts, when requests arrive faster than its connections ")
        .append("free up, so what a new connection costs a server lands when the server is already behind. Each connection ")
        .append("here is opened, sends a first request (its latency includes the TCP connect) and a second one on the same ")
        .append("connection, and is closed. CPU per connection is the process's CPU over the cell divided by the connections, ")
        .append("each connection including its ").append(requests).append(" requests; beyond its requests, ").append(requests)
        .append(" x the proxy's CPU per request in the closed loop of the same way and mode is taken off (those requests share ")
        .append(o.connections).append(" busy kept connections, where a request may cost less than a lone one, so this may ")
        .append("overstate the connection's own cost; blank without a closed loop). First minus second p50 is the median over ")
        .append("the rounds of each round's difference. Errors are failed requests, a second one not sent after a failed first ")
        .append("included. Direct has no proxy.\n\n");
    r.append("| way | mode | connections | errors | first request p50 ms | first request p99 ms | second request p50 ms | ")
        .append("second request p99 ms | first minus second p50 ms | proxy CPU per connection (ms) | ")
        .append("proxy CPU per connection beyond its requests (ms) | sim CPU per connection (ms) | steal % |\n");
    r.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    List<Capacity> closedLoop = capacities();
    for (Mode mode : o.modes) {
      for (String way : churnCells.stream().map(c -> c.way().name()).distinct().toList()) {
        List<ChurnCell> rounds = churnCells.stream().filter(c -> c.mode() == mode && c.way().name().equals(way)).toList();
        if (rounds.isEmpty()) continue;
        List<Latencies> first = rounds.stream().map(ChurnCell::first).toList();
        List<Latencies> second = rounds.stream().map(ChurnCell::second).toList();
        CpuUse perConnection = CpuUse.median(rounds.stream().map(ChurnCell::perConnection).toList());
        double keptRequestUs = closedLoop.stream().filter(c -> c.mode() == mode && c.way().name().equals(way))
            .mapToDouble(c -> c.cpu().proxyUs()).findFirst().orElse(Double.NaN);
        Latencies firstMedian = Latencies.median(first);
        Latencies secondMedian = Latencies.median(second);
        r.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", way,
            mode.label, countMedian(Median.of(rounds, c -> c.churn().first().connections())),
            rounds.stream().mapToLong(c -> c.churn().errors()).sum(), ms(firstMedian.p50()), ms(firstMedian.p99()),
            ms(secondMedian.p50()), ms(secondMedian.p99()), ms(Latencies.median(Latencies.added(first, second)).p50()),
            cpuMs(perConnection.proxyUs()), cpuMs(ConnectionCost.beyondRequests(perConnection.proxyUs(), requests, keptRequestUs)),
            cpuMs(perConnection.simUs()), perConnection.steal()));
      }
    }
    r.append('\n');
  }

  /** Closed-loop results per way and mode, in the order they ran. */
  private List<Capacity> capacities() {
    List<Capacity> out = new ArrayList<>();
    for (Mode mode : o.modes) {
      for (String way : wayNames(capacity)) {
        List<Cell> rounds = capacity.stream().filter(c -> c.mode() == mode && c.way().name().equals(way)).toList();
        if (rounds.isEmpty()) continue;
        double[] vsNginx = ratios(rounds, "nginx");
        double[] vsPortkey = ratios(rounds, PORTKEY);
        double[] vsDirect = ratios(rounds, "direct");
        out.add(new Capacity(rounds.get(0).way(), mode, rounds, Median.of(rounds, c -> c.run().throughput()), vsNginx,
            vsPortkey, Median.of(vsDirect), Median.of(rounds, c -> c.latency().p50()), Median.of(rounds, c -> c.latency().p99()),
            CpuUse.median(rounds.stream().map(Cell::cpu).toList())));
      }
    }
    return out;
  }

  /**
   * Open-loop results at one rate and mode from {@code from} (the rounds kept, or every attempt), per way in the order
   * they ran; "added" is taken within each round and attempt.
   */
  private static List<OpenLoop> openLoops(List<Cell> from, int rate, Mode mode) {
    List<OpenLoop> out = new ArrayList<>();
    for (String way : wayNames(from)) {
      List<Cell> rounds = from.stream().filter(c -> c.rate() == rate && c.mode() == mode && c.way().name().equals(way)).toList();
      if (rounds.isEmpty()) continue;
      List<Paired> withDirect = way.equals("direct") ? List.of() : sameRound(rounds, from, "direct");
      List<Latencies> added = Latencies.added(withDirect.stream().map(p -> p.cell().latency()).toList(),
          withDirect.stream().map(p -> p.reference().latency()).toList());
      out.add(new OpenLoop(rounds.get(0).way(), mode, rate, rounds, Median.of(rounds, c -> c.run().throughput()),
          errors(rounds), Median.of(rounds, c -> c.run().connections()), Latencies.median(rounds.stream().map(Cell::latency).toList()),
          added.isEmpty() ? null : Latencies.median(added), added.stream().mapToDouble(Latencies::p99).toArray(),
          CpuUse.median(rounds.stream().map(Cell::cpu).toList())));
    }
    return out;
  }

  /** The open-loop result of a way at a rate and mode over the rounds kept, or null. */
  private OpenLoop openLoop(int rate, Mode mode, String way) {
    return openLoops(cells, rate, mode).stream().filter(w -> w.way().name().equals(way)).findFirst().orElse(null);
  }

  /** Each round's throughput over that of the named way in the same round and mode. */
  private double[] ratios(List<Cell> rounds, String reference) {
    return sameRound(rounds, capacity, reference).stream()
        .mapToDouble(p -> p.cell().run().throughput() / p.reference().run().throughput())
        .toArray();
  }

  /**
   * Each of {@code rounds} with the named way's cell of the same round, attempt, mode and rate in {@code from}, where
   * there is one.
   */
  private static List<Paired> sameRound(List<Cell> rounds, List<Cell> from, String reference) {
    return rounds.stream()
        .map(c -> new Paired(c, find(from, x -> x.round() == c.round() && x.attempt() == c.attempt() && x.mode() == c.mode()
            && x.rate() == c.rate() && x.way().name().equals(reference))))
        .filter(p -> p.reference() != null)
        .toList();
  }

  private static List<String> wayNames(List<Cell> from) {
    return from.stream().map(c -> c.way().name()).distinct().toList();
  }

  private static long errors(List<Cell> rounds) {
    return rounds.stream().mapToLong(c -> c.run().errors()).sum();
  }

  private void sustainedTable(StringBuilder r) {
    r.append("## Highest open-loop rate sustained (of the rates tried: achieved >= 98% of offered, 0 errors, p99 < ")
        .append(o.p99BoundMs).append(" ms")
        .append(o.openRounds > 1 ? "; medians of the " + o.openRounds + " rounds, errors summed" : "").append(")\n\n");
    r.append("| way |").append(o.modes.stream().map(m -> " " + m.label + " |").collect(Collectors.joining())).append('\n');
    r.append("|---|").append("---:|".repeat(o.modes.size())).append('\n');
    for (String way : wayNames(cells)) {
      r.append("| ").append(way).append(" |");
      for (Mode mode : o.modes) {
        int best = 0;
        for (int rate : o.rates) {
          OpenLoop w = openLoop(rate, mode, way);
          if (w != null && sustained(w)) best = Math.max(best, rate);
        }
        r.append(' ').append(best == 0 ? "none" : best + "/s").append(" |");
      }
      r.append('\n');
    }
    r.append('\n');
  }

  private boolean sustained(OpenLoop w) {
    return w.errors() == 0 && w.achieved() >= 0.98 * w.rate() && w.latency().p99() < o.p99BoundMs;
  }

  private void memoryTable(StringBuilder r) {
    r.append("## Memory per node (RSS; for a gateway also heap used after a full GC)\n\n");
    r.append("| process | requests served (about) | after start | after the run | growth per request |\n|---|---:|---:|---:|---:|\n");
    for (Map.Entry<String, Memory> e : idleMemory.entrySet()) {
      String name = e.getKey();
      Memory a = e.getValue();
      Memory b = loadedMemory.get(name);
      long requests = name.startsWith("gateway") ? served.getOrDefault(name, 0L) : 0;
      boolean jvm = a.heapBytes() >= 0;
      r.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |\n",
          name.startsWith("gateway") ? name + " JVM" : name.equals("sim") ? "sim backend JVM"
              : name.equals(PORTKEY) ? "Portkey (node)" : "nginx (master + workers)",
          requests > 0 ? Long.toString(requests) : "",
          mem(a, jvm), b == null ? "" : mem(b, jvm),
          b == null || requests == 0 ? "" : String.format(Locale.ROOT, "RSS %+.2f KiB, heap %+.3f KiB",
              (double) (b.rssKib() - a.rssKib()) / requests, (b.heapBytes() - a.heapBytes()) / 1024.0 / requests)));
    }
    r.append('\n');
  }

  private static String mem(Memory m, boolean heap) {
    return String.format(Locale.ROOT, heap ? "RSS %.0f MiB, heap %.1f MiB" : "RSS %.1f MiB", m.rssKib() / 1024.0, m.heapBytes() / 1048576.0);
  }

  /**
   * Each target against this run's numbers: at the Targets rate, what the keyword gateway adds (p50 < 1 ms, p99 < 5 ms)
   * and the classifier gateway (p99 < 10 ms); in the closed loop, the keyword gateway's throughput at least half of
   * nginx's and ahead of Portkey's. A missed target says by how much.
   */
  private void targets(StringBuilder r) {
    r.append("## Targets\n\n");
    int rate = targetRate();
    if (rate > 0 && rate != 1000) {
      r.append("The latency targets are set at 1000/s, which this run did not measure; its rows are at ").append(rate)
          .append("/s.\n\n");
    }
    List<String> spilled = interleavedBehind();
    if (!spilled.isEmpty()) {
      r.append("**Caution**: interleaved ways fell behind, their median latency longer than a ").append(o.interleaveMs)
          .append(" ms slice (").append(String.join("; ", spilled))
          .append("): their backlog ran on into the other ways' slices, so the added latencies at that rate and mode, the ")
          .append("targets' among them, are disturbed. --alone for those ways, or --ways without them, measures the others ")
          .append("undisturbed.\n\n");
    }
    r.append("| target | measured | met |\n|---|---|---|\n");
    List<Capacity> closedLoop = capacities();
    String medianOfRatios = o.closedRounds > 1 ? " (median of the rounds' ratios)" : "";
    for (Mode mode : o.modes) {
      OpenLoop keyword = openLoop(rate, mode, "gateway keyword");
      addedTarget(r, "keyword", keyword, "p50", Latencies::p50, 1);
      addedTarget(r, "keyword", keyword, "p99", Latencies::p99, 5);
      addedTarget(r, "classifier", openLoop(rate, mode, "gateway classifier"), "p99", Latencies::p99, 10);
      Capacity nginx = capacity(closedLoop, mode, "nginx");
      Capacity portkey = capacity(closedLoop, mode, PORTKEY);
      Capacity gw = capacity(closedLoop, mode, "gateway keyword");
      if (nginx != null && gw != null && gw.vsNginx().length > 0) {
        TargetCheck t = TargetCheck.atLeast(Median.of(gw.vsNginx()), 0.5);
        r.append(String.format(Locale.ROOT, "| keyword, %s: closed-loop throughput >= 0.5 x nginx | %.0f vs %.0f req/s = %.2f%s | %s |\n",
            mode.label, gw.reqPerSec(), nginx.reqPerSec(), t.measured(), medianOfRatios, t.verdict(" x nginx")));
      }
      if (portkey != null && gw != null && gw.vsPortkey().length > 0) {
        TargetCheck t = TargetCheck.above(Median.of(gw.vsPortkey()), 1);
        r.append(String.format(Locale.ROOT, "| keyword, %s: closed-loop throughput ahead of Portkey | %.0f vs %.0f req/s = %.2f x%s | %s |\n",
            mode.label, gw.reqPerSec(), portkey.reqPerSec(), t.measured(), medianOfRatios, t.verdict(" x Portkey")));
      }
    }
    r.append('\n');
  }

  /**
   * LiteLLM's published added latency beside this run's at the Targets rate: LiteLLM is not installable here, so it is
   * quoted, not measured, and it is not the same measure (its own server-side timer on other machines).
   */
  private void liteLlmAnchor(StringBuilder r) {
    int rate = targetRate();
    r.append("## Anchor: LiteLLM's published overhead (quoted, not measured here)\n\n")
        .append(String.format(Locale.ROOT, "LiteLLM's proxy is not installable here, so it is no way of the run. "
            + "Its own benchmark (docs.litellm.ai/docs/benchmarks: 4 instances of 4 CPUs and 8 GB, a fake OpenAI endpoint, "
            + "1,170 req/s) publishes a \"LiteLLM Overhead Duration\" of %.0f ms at the median and %.0f ms at p99. That is its "
            + "server's own timer on other machines, not a client's latency minus direct's on one shared machine as here: "
            + "it gives the order of magnitude, not a race.", LITELLM_P50_MS, LITELLM_P99_MS));
    if (rate < 0) {
      r.append(" This run measured no open loop to set beside it.\n\n");
      return;
    }
    r.append(" This run, at ").append(rate).append("/s:\n\n");
    r.append(String.format(Locale.ROOT, "| way | mode | added p50 ms | against LiteLLM's %.0f ms | added p99 ms | against LiteLLM's %.0f ms |\n",
        LITELLM_P50_MS, LITELLM_P99_MS));
    r.append("|---|---|---:|---|---:|---|\n");
    for (Mode mode : o.modes) {
      for (OpenLoop w : openLoops(cells, rate, mode)) {
        if (w.added() == null) continue; // direct
        r.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |\n", w.way().name(), mode.label,
            ms(w.added().p50()), lowerOrHigher(w.added().p50(), LITELLM_P50_MS), ms(w.added().p99()),
            lowerOrHigher(w.added().p99(), LITELLM_P99_MS)));
      }
    }
    r.append('\n');
  }

  private static String lowerOrHigher(double value, double anchor) {
    return Double.isNaN(value) ? "" : value < anchor ? "lower" : value > anchor ? "higher" : "equal";
  }

  /**
   * What to know to read Portkey's rows, from this run's numbers: the 25 ms its stream reader sleeps before the first
   * event of every streamed answer, what it adds to a lone request (the churn runs' second requests), and the open-loop
   * rates it did not keep up with.
   */
  private void portkeyNotes(StringBuilder r) {
    if (portkeyNodeVersion == null) return;
    r.append("## Reading Portkey's rows\n\n");
    r.append("Portkey's gateway ").append(Portkey.VERSION).append(" sleeps a hard-coded ").append(Portkey.FIRST_EVENT_SLEEP_MS)
        .append(" ms before the first event of every streamed answer (a timer in its stream reader, build/start-server.js; ")
        .append("no setting turns it off, and its /v1/proxy route reads streams the same way), so its streamed rows measure ")
        .append("that sleep more than its proxying.");
    List<String> lone = new ArrayList<>();
    for (Mode mode : o.modes) {
      double added = loneAddedP50(mode, PORTKEY);
      if (!Double.isNaN(added)) lone.add(ms(added) + " ms " + mode.label);
    }
    if (!lone.isEmpty()) {
      r.append(" On a lone request (the second request of a new connection, New connections table: p50 minus direct's) it ")
          .append("added ").append(String.join(" and ", lone)).append('.');
    }
    Capacity closedStream = capacity(capacities(), Mode.STREAM, PORTKEY);
    if (closedStream != null) {
      double bound = o.connections * 1000.0 / Portkey.FIRST_EVENT_SLEEP_MS;
      r.append(String.format(Locale.ROOT, " In the closed loop, %d connections that each wait %d ms per streamed answer "
          + "cannot exceed %.0f req/s; it did %.0f.", o.connections, Portkey.FIRST_EVENT_SLEEP_MS, bound, closedStream.reqPerSec()));
    }
    r.append('\n');
    List<String> behind = new ArrayList<>();
    for (int rate : o.rates) {
      for (Mode mode : o.modes) {
        OpenLoop w = openLoop(rate, mode, PORTKEY);
        if (w == null || sustained(w)) continue;
        behind.add(String.format(Locale.ROOT, "%d/s %s (%d errors, p50 %s ms, p99 %s ms, %s connections opened; answers "
            + "that came after the run still count as achieved)", rate, mode.label, w.errors(), ms(w.latency().p50()),
            ms(w.latency().p99()), countMedian(w.connections())));
      }
    }
    if (!behind.isEmpty()) {
      r.append("\nPortkey's open loop was not sustained (achieved >= 98% of offered, no errors, p99 < ").append(o.p99BoundMs)
          .append(" ms) at ").append(String.join("; ", behind)).append(". Where its p50 is far above what it adds to a ")
          .append("lone request, the latency is the wait in its backlog, and its capacity is the closed loop's req/s; its ")
          .append("open-loop proxy CPU µs/req there leaves out the backlog it worked off after the run, the closed loop's does not.");
      if (o.interleaveMs > 0 && o.alone.contains(PORTKEY)) {
        r.append(" Its open-loop cells ran on their own (--alone), after the other ways' interleaved run of the same ")
            .append("round, so its backlog did not reach their slices.");
      }
      r.append('\n');
    }
    r.append('\n');
  }

  /**
   * What a way adds to a lone request: the median over the churn rounds of its second requests' p50 (a kept connection,
   * nothing else in flight) minus direct's in the same round; NaN without churn runs of both.
   */
  private double loneAddedP50(Mode mode, String way) {
    List<Latencies> wayRounds = new ArrayList<>();
    List<Latencies> directRounds = new ArrayList<>();
    for (ChurnCell c : churnCells) {
      if (c.mode() != mode || !c.way().name().equals(way)) continue;
      churnCells.stream().filter(d -> d.mode() == mode && d.round() == c.round() && d.way().name().equals("direct"))
          .findFirst().ifPresent(d -> {
            wayRounds.add(c.second());
            directRounds.add(d.second());
          });
    }
    return wayRounds.isEmpty() ? Double.NaN : Latencies.median(Latencies.added(wayRounds, directRounds)).p50();
  }

  /**
   * The ways that took slices of an interleaved run and fell behind in it ({@link Latencies#outlasts}): their backlog
   * ran on into the other ways' slices, so the others' latencies, direct's too, are disturbed in those cells. Empty
   * without interleaving.
   */
  private List<String> interleavedBehind() {
    List<String> out = new ArrayList<>();
    if (o.interleaveMs == 0) return out;
    for (int rate : o.rates) {
      for (Mode mode : o.modes) {
        for (OpenLoop w : openLoops(cells, rate, mode)) {
          if (!o.alone.contains(w.way().name().replace("gateway ", "")) && w.latency().outlasts(o.interleaveMs)) {
            out.add(String.format(Locale.ROOT, "%s at %d/s %s, p50 %s ms", w.way().name(), rate, mode.label, ms(w.latency().p50())));
          }
        }
      }
    }
    return out;
  }

  private static Capacity capacity(List<Capacity> closedLoop, Mode mode, String way) {
    return closedLoop.stream().filter(x -> x.mode() == mode && x.way().name().equals(way)).findFirst().orElse(null);
  }

  /** The rate of the Targets table: 1000/s when it ran, else the highest; -1 without open loop. */
  private int targetRate() {
    return o.rates.contains(1000) ? 1000 : o.rates.isEmpty() ? -1 : o.rates.get(o.rates.size() - 1);
  }

  /**
   * The history row: at the Targets rate, what the keyword and classifier gateways add to direct, and the keyword
   * gateway's closed-loop throughput over nginx's, and over Portkey's when it ran. Each cell gives non-streamed / streamed ("-" for a mode not run).
   */
  Map<String, String> headline() {
    Map<String, String> h = new LinkedHashMap<>();
    int rate = targetRate();
    h.put("rate/s", rate > 0 ? Integer.toString(rate) : "-");
    h.put("keyword added p50 ms (plain / stream)", perMode(m -> added(openLoop(rate, m, "gateway keyword"), Latencies::p50)));
    h.put("keyword added p99 ms (plain / stream)", perMode(m -> added(openLoop(rate, m, "gateway keyword"), Latencies::p99)));
    h.put("classifier added p99 ms (plain / stream)", perMode(m -> added(openLoop(rate, m, "gateway classifier"), Latencies::p99)));
    List<Capacity> closedLoop = capacities();
    h.put("keyword closed loop / nginx (plain / stream)", perMode(m -> closedLoop.stream()
        .filter(c -> c.mode() == m && c.way().name().equals("gateway keyword") && c.vsNginx().length > 0)
        .map(c -> ratio(Median.of(c.vsNginx()))).findFirst().orElse("-")));
    if (portkeyNodeVersion != null) {
      h.put("keyword closed loop / Portkey (plain / stream)", perMode(m -> closedLoop.stream()
          .filter(c -> c.mode() == m && c.way().name().equals("gateway keyword") && c.vsPortkey().length > 0)
          .map(c -> ratio(Median.of(c.vsPortkey()))).findFirst().orElse("-")));
    }
    return h;
  }

  private String perMode(java.util.function.Function<Mode, String> value) {
    return Arrays.stream(Mode.values()).map(m -> {
      String v = o.modes.contains(m) ? value.apply(m) : "";
      return v == null || v.isEmpty() ? "-" : v;
    }).collect(Collectors.joining(" / "));
  }

  /** A row of the Targets table: what a gateway adds to a percentile (the median over the rounds), under a bound. */
  private void addedTarget(StringBuilder r, String router, OpenLoop w, String percentile, ToDoubleFunction<Latencies> p,
      double boundMs) {
    if (w == null || w.added() == null) return;
    TargetCheck t = TargetCheck.below(p.applyAsDouble(w.added()), boundMs);
    r.append(String.format(Locale.ROOT, "| %s, %s, %d/s: added %s < %.0f ms | %s ms%s | %s |\n", router, w.mode().label,
        w.rate(), percentile, boundMs, ms(t.measured()), roundsBehind(w.rate(), w.mode()),
        w.errors() > 0 ? "**no**: " + w.errors() + " errors" + (t.met() ? "" : ", " + t.verdict(" ms").substring("**no**: ".length()))
            : t.verdict(" ms")));
  }

  /**
   * Which rounds a Targets row's "added" is the median of, in brackets; empty for one round without a steal bound. With
   * a bound, the rounds that are not within it (kept over it, or steal unknown) are named.
   */
  private String roundsBehind(int rate, Mode mode) {
    String rounds = o.openRounds > 1 ? "median of " + o.openRounds + " rounds" : "one round";
    StealGate g = stealGate(rate, mode);
    if (!g.bounded()) return o.openRounds > 1 ? " (" + rounds + ")" : "";
    String bound = "steal ≤ " + percent(g.maxStealPercent()) + "%";
    int within = o.openRounds - g.keptOverBound() - g.acceptedWithStealUnknown();
    if (within == o.openRounds) return " (" + rounds + " with " + bound + ")";
    return " (" + rounds + ": " + bound + " in " + within
        + (g.keptOverBound() > 0 ? ", over it in " + g.keptOverBound() + " after every retry" : "")
        + (g.acceptedWithStealUnknown() > 0 ? ", unknown in " + g.acceptedWithStealUnknown() : "") + ")";
  }

  // ---------------------------------------------------------------- helpers

  private List<String> java() {
    List<String> c = new ArrayList<>();
    c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    c.addAll(o.jvmOpts);
    return c;
  }

  private String nginxVersion() {
    try {
      Process p = new ProcessBuilder(o.nginx, "-v").redirectErrorStream(true).start();
      String v = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return v.replace("nginx version: ", "");
    } catch (IOException | InterruptedException e) {
      return "nginx";
    }
  }

  private static String field(String line, String key) {
    for (String part : line.trim().split("\\s+")) {
      if (part.startsWith(key + "=")) return part.substring(key.length() + 1);
    }
    throw new IllegalArgumentException("no " + key + "= in '" + line + "'");
  }

  private static Cell find(List<Cell> from, Predicate<Cell> p) {
    return from.stream().filter(p).findFirst().orElse(null);
  }

  private static String ms(double v) {
    if (Double.isNaN(v)) return "-";
    return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 10 ? "%.1f" : "%.2f", v);
  }

  /** A median of counts: whole, or with a decimal when an even number of rounds puts it between two. */
  private static String countMedian(double v) {
    return String.format(Locale.ROOT, v == Math.rint(v) ? "%.0f" : "%.1f", v);
  }

  /** A percentile of what a way adds to direct; blank for direct itself. */
  private static String added(OpenLoop w, ToDoubleFunction<Latencies> percentile) {
    return w == null || w.added() == null ? "" : ms(percentile.applyAsDouble(w.added()));
  }

  /** A percentage as given, without trailing zeros: 10, 2.5. */
  private static String percent(double v) {
    return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }

  private static String ratio(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  /** The rounds' values, in the order the rounds ran, separated by spaces. */
  private static String eachRound(double[] values, DoubleFunction<String> format) {
    return Arrays.stream(values).mapToObj(format).collect(Collectors.joining(" "));
  }

  /** CPU microseconds as milliseconds, blank when unknown (no proxy). */
  private static String cpuMs(double us) {
    return Double.isNaN(us) ? "" : String.format(Locale.ROOT, "%.2f", us / 1000);
  }

  private static String us(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.0f", v);
  }

  static void progress(String line) {
    System.err.println("[bench-gateway] " + line);
  }

  /** Command-line options. */
  @Command(name = "bin/bench-gateway", sortOptions = false, showDefaultValues = true,
      description = "What the gateway adds to a request against a zero-latency backend, beside direct, nginx and Portkey.")
  static final class Options implements Cli.Checked {
    @Mixin Cli.Help help;
    @Option(names = "--rates", converter = RatesConverter.class, description = "open-loop rates per second, comma-separated, or none")
    List<Integer> rates = List.of(250, 500, 1000, 2000);
    @Option(names = "--modes", split = ",", converter = ModeConverter.class, description = "plain (or non-streamed), stream (or streamed)")
    List<Mode> modes = List.of(Mode.PLAIN, Mode.STREAM);
    @Option(names = "--duration", description = "measured seconds per open-loop cell") int durationSeconds = 10;
    @Option(names = "--warmup", description = "warm-up seconds per open-loop cell") int warmupSeconds = 2;
    @Option(names = "--initial-warmup", description = "seconds at 1000/s per way and mode before anything counts") int initialWarmupSeconds = 30;
    @Option(names = "--open-rounds", description = "open-loop rounds, every way once per round") int openRounds = 1;
    @Option(names = "--tokens", description = "tokens per answer") int tokens = 8;
    @Option(names = "--connections", description = "closed-loop connections") int connections = 16;
    @Option(names = "--closed-duration", description = "measured seconds per closed-loop cell") int closedSeconds = 10;
    @Option(names = "--closed-rounds", description = "closed-loop rounds, every way once per round") int closedRounds = 1;
    @Option(names = "--churn", description = "new connections per way, mode and round, one after another, two requests each; 0: none")
    int churn = 200;
    @Option(names = "--churn-rounds", description = "rounds of new connections") int churnRounds = 3;
    @Option(names = "--interleave-ms", description = "an open-loop round is one run, time cut into N ms slices given to the ways in turn; 0: off")
    int interleaveMs = 0;
    @Option(names = "--max-steal", description = "an open-loop round with more than PCT %% CPU steal in any of its cells runs again (default: off)",
        paramLabel = "PCT")
    double maxStealPercent = Double.NaN;
    @Option(names = "--steal-retries", description = "how many times at most a round runs again under --max-steal") int stealRetries = 4;
    @Option(names = "--max-connections", description = "connections of the load generator at most") int maxConnections = 256;
    @Option(names = "--p99-bound-ms", description = "p99 bound of a sustained open-loop rate") double p99BoundMs = 25;
    @Option(names = "--label", description = "names the run in the results file") String label = "latest";
    @Option(names = "--out", description = "results file") String out = "bench/results/gateway-overhead.md";
    @Option(names = "--nginx", description = "nginx binary (bin/bench-gateway passes the one it found)")
    String nginx = System.getProperty("pickspin.bench.nginx", "/usr/sbin/nginx");
    @Option(names = "--nginx-workers", description = "nginx worker_processes") String nginxWorkers = "auto";
    @Option(names = "--jvm-opts", converter = WordsConverter.class, description = "JVM options of every JVM started")
    List<String> jvmOpts = List.of("-Xms256m", "-Xmx1g", "-XX:+UseG1GC");
    @Option(names = "--gateway-opts", converter = WordsConverter.class, description = "extra JVM options of the gateways only")
    List<String> gatewayOpts = List.of();
    @Option(names = "--ways", split = ",", description = "of direct, nginx, portkey, keyword, classifier (they run in this order)")
    List<String> ways = WAYS;
    @Option(names = "--alone", converter = WaysOrNoneConverter.class,
        description = "ways that may not keep up with the open-loop rate, or none: with --interleave-ms their open-loop cells run on "
            + "their own after the others' interleaved run of the same round, so that a backlog does not reach the others' "
            + "slices; their initial warm-up is a closed loop")
    List<String> alone = List.of(PORTKEY);
    @Option(names = "--node", description = "node for the portkey way (default: node on PATH)")
    String node = System.getProperty("pickspin.bench.node", "node");
    @Option(names = "--npm", description = "npm that installs Portkey's gateway when it is missing (default: npm on PATH)")
    String npm = System.getProperty("pickspin.bench.npm", "npm");
    @Option(names = "--portkey-dir", description = "where Portkey's gateway is installed (npm install, once)")
    String portkeyDir = Portkey.defaultDir().toString();
    @Option(names = "--baseline-classpath", description = "another build of the gateway, measured beside this one with the keyword router")
    String baselineClasspath;
    @Option(names = "--baseline-opts", converter = WordsConverter.class,
        description = "JVM options of the baseline gateway instead of --gateway-opts")
    List<String> baselineOpts;
    @Option(names = "--variant", paramLabel = "NAME=JVM-OPTIONS",
        description = "this build again with other JVM options instead of --gateway-opts, keyword router (repeatable)")
    Map<String, String> variantOptions = new LinkedHashMap<>();
    @Option(names = "--classpath", description = "classpath of the sim and the gateways (default: this JVM's)")
    String classpath = System.getProperty("java.class.path");

    /** The baseline build and the variants, each a gateway JVM with the keyword router; {@code cp} is this build's. */
    List<GatewayJvm> extraGateways(String cp) {
      List<GatewayJvm> extra = new ArrayList<>();
      if (baselineClasspath != null) {
        extra.add(new GatewayJvm(BASELINE, baselineClasspath, baselineOpts != null ? baselineOpts : gatewayOpts));
      }
      variantOptions.forEach((name, opts) -> extra.add(new GatewayJvm(VARIANT + name.trim(), cp, WordsConverter.words(opts))));
      return extra;
    }

    @Override
    public void check() {
      for (String w : ways) {
        if (!WAYS.contains(w)) throw new IllegalArgumentException("--ways takes " + String.join(", ", WAYS) + ", not '" + w + "'");
      }
      for (String w : alone) {
        if (!WAYS.contains(w)) {
          throw new IllegalArgumentException("--alone takes none or some of " + String.join(", ", WAYS) + ", not '" + w + "'");
        }
      }
      atLeast("--open-rounds", openRounds, 1, "1 or more");
      atLeast("--churn", churn, 0, "0 (none) or more connections");
      atLeast("--churn-rounds", churnRounds, 1, "1 or more");
      atLeast("--interleave-ms", interleaveMs, 0, "0 (off) or more");
      new StealGate(maxStealPercent, stealRetries); // checks --max-steal and --steal-retries before anything starts
      if (interleaveMs > 0) {
        // checks --interleave-ms against the warm-up, the duration and each rate (the number of ways is no matter there)
        for (int rate : rates) {
          TimeSlices.interleaved(Duration.ofMillis(interleaveMs), 2, rate, Duration.ofSeconds(warmupSeconds),
              Duration.ofSeconds(durationSeconds));
        }
      }
    }

    /** An integer option's value must be at least {@code min} ({@code allowed} says so in the error). */
    private static void atLeast(String flag, int value, int min, String allowed) {
      if (value < min) throw new IllegalArgumentException(flag + " takes " + allowed + ", not " + value);
    }

    /** Whether --max-steal was given. */
    boolean stealBounded() {
      return !Double.isNaN(maxStealPercent);
    }
  }

  /** {@code --rates 250,500} or {@code --rates none}. */
  static final class RatesConverter implements CommandLine.ITypeConverter<List<Integer>> {
    @Override
    public List<Integer> convert(String v) {
      return v.equals("none") ? List.of() : Arrays.stream(v.split(",")).map(String::trim).map(Integer::parseInt).toList();
    }
  }

  /** {@code --alone portkey,classifier} or {@code --alone none}. */
  static final class WaysOrNoneConverter implements CommandLine.ITypeConverter<List<String>> {
    @Override
    public List<String> convert(String v) {
      return v.trim().equals("none") ? List.of() : Arrays.stream(v.split(",")).map(String::trim).toList();
    }
  }

  static final class ModeConverter implements CommandLine.ITypeConverter<Mode> {
    @Override
    public Mode convert(String v) {
      return Mode.parse(v);
    }
  }

  /** JVM options given as one argument, split at white space. */
  static final class WordsConverter implements CommandLine.ITypeConverter<List<String>> {
    @Override
    public List<String> convert(String v) {
      return words(v);
    }

    static List<String> words(String v) {
      return Arrays.stream(v.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
    }
  }
}
