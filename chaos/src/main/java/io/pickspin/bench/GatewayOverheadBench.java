package io.pickspin.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the gateway adds to a request, against the same zero-latency backend reached directly and through nginx as a
 * plain reverse proxy, in one run on 127.0.0.1 (issue 9).
 *
 * <p>The processes: the sim backend ({@code SimServerMain}, TTFT = TPOT = 0); two gateways
 * ({@link GatewayBenchServer}, a JVM each, like two nodes: one takes the keyword-router requests, the other the
 * classifier-router ones, so that the classifier's CPU and memory do not disturb the keyword measurements); nginx
 * (generated configuration in a temporary directory); and this JVM, the load generator ({@link LoadGenerator}: blocking
 * keep-alive connections, open loop at a constant arrival rate, latency from the scheduled send time). For every rate,
 * the four ways run back to back so that they share the machine's state; then a closed-loop run per way gives the
 * throughput. CPU time of each server process is read from /proc over the measured part of every run. Results go to
 * stdout (markdown) and into a section of the results file; other sections of that file are kept.
 *
 * <pre>
 * java -cp CLASSPATH io.pickspin.bench.GatewayOverheadBench [--rates 250,500,1000,2000] [--duration 10] [--warmup 2]
 *   [--initial-warmup 20] [--tokens 8] [--connections 16] [--closed-duration 10] [--label latest]
 *   [--out bench/results/gateway-overhead.md] [--nginx /usr/sbin/nginx] [--nginx-workers auto]
 *   [--jvm-opts "-Xms256m -Xmx1g -XX:+UseG1GC"] [--gateway-opts "extra JVM options of the gateway only"]
 *   [--p99-bound-ms 25] [--modes plain,stream] [--ways direct,nginx,keyword,classifier]
 * </pre>
 */
public final class GatewayOverheadBench {
  enum Mode {
    PLAIN("non-streamed"),
    STREAM("streamed");

    final String label;

    Mode(String label) {
      this.label = label;
    }
  }

  /** One way to the backend. {@code proxyPid} is the process between client and sim (0 for direct). */
  record Way(String name, int port, String model, String[] headers, long proxyPid) {}

  record Cell(Way way, Mode mode, int rate, LoadGenerator.Run run, Latencies latency, double proxyCpuUs, double simCpuUs,
      double loadCpuUs) {}

  /** CPU time of the proxy (gateway or nginx), the sim and this JVM over the measured part of a run. */
  private final class CpuWindow implements LoadGenerator.Window {
    private final long proxyPid;
    private final long self = ProcessHandle.current().pid();
    private long proxy0, sim0, self0, proxyMs, simMs, selfMs;

    CpuWindow(long proxyPid) {
      this.proxyPid = proxyPid;
    }

    @Override
    public void started() {
      proxy0 = proxyPid == 0 ? 0 : ProcessStats.cpuMillis(proxyPid);
      sim0 = ProcessStats.cpuMillis(simPid);
      self0 = ProcessStats.cpuMillis(self);
    }

    @Override
    public void ended() {
      proxyMs = proxyPid == 0 ? 0 : ProcessStats.cpuMillis(proxyPid) - proxy0;
      simMs = ProcessStats.cpuMillis(simPid) - sim0;
      selfMs = ProcessStats.cpuMillis(self) - self0;
    }

    double proxyMicrosPer(long requests) {
      return proxyPid == 0 || requests == 0 ? Double.NaN : proxyMs * 1000.0 / requests;
    }

    double simMicrosPer(long requests) {
      return requests == 0 ? Double.NaN : simMs * 1000.0 / requests;
    }

    double selfMicrosPer(long requests) {
      return requests == 0 ? Double.NaN : selfMs * 1000.0 / requests;
    }
  }

  /** RSS of the processes, and heap used after a full GC of the two gateways (keyword, classifier). */
  record Memory(long keywordRssKib, long keywordHeapBytes, long classifierRssKib, long classifierHeapBytes,
      long nginxRssKib, long simRssKib) {}

  private final Options o;
  private final Path work;
  private final LoadGenerator load;
  private final List<Cell> cells = new ArrayList<>();
  private final List<Cell> capacity = new ArrayList<>();
  private final Map<String, String> routedBy = new LinkedHashMap<>();
  private Memory idleMemory;
  private Memory loadedMemory;
  private long keywordRequests; // about how many requests each gateway served
  private long classifierRequests;
  private long simPid;
  private String nginxVersion = "?";
  private String classifierKind = "?";

  private GatewayOverheadBench(Options o) throws IOException {
    this.o = o;
    this.work = Files.createTempDirectory("pickspin-bench-");
    this.load = new LoadGenerator(o.maxConnections);
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    GatewayOverheadBench bench = new GatewayOverheadBench(o);
    String report = bench.run();
    System.out.println(report);
    ResultsFile.writeSection(Path.of(o.out), ResultsFile.INTRO, "## Run: " + o.label, report);
    progress("wrote section 'Run: " + o.label + "' of " + o.out);
    System.exit(0);
  }

  private String run() throws Exception {
    String cp = o.classpath;
    ZonedDateTime started = ZonedDateTime.now();
    String loadAverage = Files.readString(Path.of("/proc/loadavg")).trim();
    progress("work directory " + work);
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
      List<String> gatewayCommand = new ArrayList<>(java());
      gatewayCommand.addAll(o.gatewayOpts);
      gatewayCommand.addAll(List.of("-Dai.djl.offline=true", "-cp", cp, GatewayBenchServer.class.getName(),
          "--backend", "http://127.0.0.1:" + simPort));
      // one gateway JVM per router, as two nodes: the classifier's CPU, garbage and memory do not touch the keyword one
      try (ChildProcess keyword = ChildProcess.start("gateway-keyword", gatewayCommand, work);
           ChildProcess classifier = ChildProcess.start("gateway-classifier", gatewayCommand, work);
           Nginx nginx = Nginx.start(o.nginx, work.resolve("nginx"), simPort, o.nginxWorkers)) {
        String readyK = keyword.awaitLine(GatewayBenchServer.READY, Duration.ofSeconds(180));
        String readyC = classifier.awaitLine(GatewayBenchServer.READY, Duration.ofSeconds(180));
        classifierKind = field(readyC, "classifier");
        nginxVersion = nginxVersion();
        progress("gateways on ports " + field(readyK, "port") + " (keyword, pid " + keyword.pid() + ") and "
            + field(readyC, "port") + " (classifier, pid " + classifier.pid() + ", learned classifier " + classifierKind
            + "), nginx on port " + nginx.port() + " (pid " + nginx.pid() + ")");
        String served = GatewayBenchServer.SERVED.get(0);
        List<Way> ways = List.of(
            new Way("direct", simPort, served, new String[0], 0),
            new Way("nginx", nginx.port(), served, new String[0], nginx.pid()),
            new Way("gateway keyword", Integer.parseInt(field(readyK, "port")), "auto",
                new String[] {"x-pickspin-router: keyword"}, keyword.pid()),
            new Way("gateway classifier", Integer.parseInt(field(readyC, "port")), "auto",
                new String[] {"x-pickspin-router: classifier"}, classifier.pid()));
        ways = ways.stream().filter(w -> o.ways.contains(w.name().replace("gateway ", ""))).toList();
        for (Way w : ways) checkRoute(w);
        idleMemory = memory(keyword, classifier, nginx);
        measure(ways, () -> {
          sim.requireAlive();
          keyword.requireAlive();
          classifier.requireAlive();
          nginx.requireAlive();
        });
        loadedMemory = memory(keyword, classifier, nginx);
      }
    }
    return report(started, loadAverage);
  }

  private void measure(List<Way> ways, Runnable requireAlive) throws InterruptedException {
    Duration warmup = Duration.ofSeconds(o.warmupSeconds);
    Duration duration = Duration.ofSeconds(o.durationSeconds);
    // JIT warm-up of every path before anything counts
    for (Mode mode : o.modes) {
      for (Way w : ways) {
        progress("warm-up " + w.name() + " " + mode.label + ": " + o.initialWarmupSeconds + " s at 1000/s");
        LoadGenerator.Run run = load.openLoop(
            target(w, mode), 1000, Duration.ZERO, Duration.ofSeconds(o.initialWarmupSeconds), LoadGenerator.Window.NONE);
        count(w, run.sent());
        requireAlive.run();
      }
    }
    for (int rate : o.rates) {
      for (Mode mode : o.modes) {
        for (Way w : ways) {
          CpuWindow cpu = new CpuWindow(w.proxyPid());
          LoadGenerator.Run run = load.openLoop(target(w, mode), rate, warmup, duration, cpu);
          count(w, run.sent() + (long) rate * o.warmupSeconds);
          Cell c = new Cell(w, mode, rate, run, Latencies.of(run.latenciesNanos()),
              cpu.proxyMicrosPer(run.sent()), cpu.simMicrosPer(run.sent()), cpu.selfMicrosPer(run.sent()));
          cells.add(c);
          requireAlive.run();
          progress(String.format(Locale.ROOT, "%5d/s %-12s %-18s achieved %7.1f/s errors %d p50 %.3f p95 %.3f p99 %.3f max %.1f ms%s",
              rate, mode.label, w.name(), run.throughput(), run.errors(), c.latency().p50(), c.latency().p95(),
              c.latency().p99(), c.latency().max(), run.firstError() == null ? "" : " first error: " + run.firstError()));
        }
      }
    }
    for (Mode mode : o.modes) {
      for (Way w : ways) {
        CpuWindow cpu = new CpuWindow(w.proxyPid());
        LoadGenerator.Run run = load.closedLoop(
            target(w, mode), o.connections, Duration.ofSeconds(2), Duration.ofSeconds(o.closedSeconds), cpu);
        long requests = run.ok() + run.errors();
        count(w, Math.round(requests * (1 + 2.0 / o.closedSeconds)));
        Cell c = new Cell(w, mode, 0, run, Latencies.of(run.latenciesNanos()),
            cpu.proxyMicrosPer(requests), cpu.simMicrosPer(requests), cpu.selfMicrosPer(requests));
        capacity.add(c);
        requireAlive.run();
        progress(String.format(Locale.ROOT, "closed loop %d connections %-12s %-18s %8.1f req/s errors %d p50 %.3f p99 %.3f ms%s",
            o.connections, mode.label, w.name(), run.throughput(), run.errors(), c.latency().p50(), c.latency().p99(),
            run.firstError() == null ? "" : " first error: " + run.firstError()));
      }
    }
  }

  private static boolean isClassifier(Way w) {
    return w.name().equals("gateway classifier");
  }

  private void count(Way w, long requests) {
    if (isClassifier(w)) classifierRequests += requests;
    else if (w.name().equals("gateway keyword")) keywordRequests += requests;
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

  private Memory memory(ChildProcess keyword, ChildProcess classifier, Nginx nginx)
      throws IOException, InterruptedException {
    String k = keyword.ask("mem", "MEM", Duration.ofSeconds(60));
    String c = classifier.ask("mem", "MEM", Duration.ofSeconds(60));
    return new Memory(
        ProcessStats.rssKib(keyword.pid()), Long.parseLong(field(k, "heap_used")),
        ProcessStats.rssKib(classifier.pid()), Long.parseLong(field(c, "heap_used")),
        ProcessStats.rssKib(nginx.pid()), ProcessStats.rssKib(simPid));
  }

  // ---------------------------------------------------------------- report

  private String report(ZonedDateTime started, String loadAverage) {
    StringBuilder r = new StringBuilder();
    r.append("Date: ").append(started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append("  \n");
    r.append("Machine: ").append(machine()).append(", load average at start ").append(loadAverage).append("  \n");
    r.append("Command: `").append(o.command).append("`  \n");
    r.append("Setup: sim backend (one JVM, TTFT = TPOT = 0, ").append(o.tokens).append(" tokens per answer), two gateway JVMs ")
        .append("(one receives the keyword-router requests, the other the classifier-router ones; `").append(String.join(" ", o.jvmOpts))
        .append("`, StaticLeaseProvider, ComplexityRoutingPolicy, learned classifier: ").append(classifierKind).append("), ").append(nginxVersion).append(" (worker_processes ").append(o.nginxWorkers)
        .append(", upstream keep-alive, proxy_buffering off), load generator in the bench JVM (blocking keep-alive HTTP/1.1, ")
        .append("at most ").append(o.maxConnections).append(" connections). Open loop: constant arrival rate, ")
        .append(o.warmupSeconds).append(" s warm-up + ").append(o.durationSeconds)
        .append(" s measured per cell, latency from the scheduled send time (no coordinated omission); the four ways run ")
        .append("back to back for each rate. Each way was warmed up for ").append(o.initialWarmupSeconds)
        .append(" s at 1000/s first.  \n");
    if (!routedBy.isEmpty()) {
      r.append("Routing check: ").append(routedBy.entrySet().stream()
          .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("; "))).append(".\n");
    }
    r.append('\n');
    for (Mode mode : o.modes) latencyTable(r, mode);
    capacityTable(r);
    sustainedTable(r);
    memoryTable(r);
    targets(r);
    return r.toString();
  }

  private void latencyTable(StringBuilder r, Mode mode) {
    r.append("### Latency, ").append(mode.label).append(" (ms; added = this way's percentile minus direct's at the same rate)\n\n");
    r.append("| rate/s | way | achieved/s | errors | p50 | p95 | p99 | max | added p50 | added p95 | added p99 | proxy CPU µs/req | sim CPU µs/req | load-gen CPU µs/req |\n");
    r.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int rate : o.rates) {
      Cell direct = find(cells, c -> c.rate() == rate && c.mode() == mode && c.way().name().equals("direct"));
      for (Cell c : cells) {
        if (c.rate() != rate || c.mode() != mode) continue;
        Latencies l = c.latency();
        boolean isDirect = c == direct;
        r.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
            rate, c.way().name(), c.run().throughput(), c.run().errors(), ms(l.p50()), ms(l.p95()), ms(l.p99()), ms(l.max()),
            isDirect || direct == null ? "" : ms(l.p50() - direct.latency().p50()),
            isDirect || direct == null ? "" : ms(l.p95() - direct.latency().p95()),
            isDirect || direct == null ? "" : ms(l.p99() - direct.latency().p99()),
            us(c.proxyCpuUs()), us(c.simCpuUs()), us(c.loadCpuUs())));
      }
    }
    r.append('\n');
  }

  private void capacityTable(StringBuilder r) {
    r.append("### Throughput, closed loop (").append(o.connections).append(" connections, 2 s warm-up + ")
        .append(o.closedSeconds).append(" s)\n\n");
    r.append("| way | mode | req/s | vs nginx | vs direct | errors | p50 ms | p99 ms | proxy CPU µs/req | sim CPU µs/req | load-gen CPU µs/req |\n");
    r.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Cell c : capacity) {
      Cell nginx = find(capacity, x -> x.mode() == c.mode() && x.way().name().equals("nginx"));
      Cell direct = find(capacity, x -> x.mode() == c.mode() && x.way().name().equals("direct"));
      r.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %s | %s | %d | %s | %s | %s | %s | %s |\n",
          c.way().name(), c.mode().label, c.run().throughput(),
          nginx == null ? "" : String.format(Locale.ROOT, "%.2f", c.run().throughput() / nginx.run().throughput()),
          direct == null ? "" : String.format(Locale.ROOT, "%.2f", c.run().throughput() / direct.run().throughput()),
          c.run().errors(), ms(c.latency().p50()), ms(c.latency().p99()),
          us(c.proxyCpuUs()), us(c.simCpuUs()), us(c.loadCpuUs())));
    }
    r.append('\n');
  }

  private void sustainedTable(StringBuilder r) {
    r.append("### Highest open-loop rate sustained (of the rates tried: achieved >= 98% of offered, 0 errors, p99 < ")
        .append(o.p99BoundMs).append(" ms)\n\n");
    r.append("| way |").append(o.modes.stream().map(m -> " " + m.label + " |").collect(Collectors.joining())).append('\n');
    r.append("|---|").append("---:|".repeat(o.modes.size())).append('\n');
    for (String way : cells.stream().map(c -> c.way().name()).distinct().toList()) {
      r.append("| ").append(way).append(" |");
      for (Mode mode : o.modes) {
        int best = 0;
        for (Cell c : cells) {
          if (!c.way().name().equals(way) || c.mode() != mode) continue;
          if (sustained(c)) best = Math.max(best, c.rate());
        }
        r.append(' ').append(best == 0 ? "none" : best + "/s").append(" |");
      }
      r.append('\n');
    }
    r.append('\n');
  }

  private boolean sustained(Cell c) {
    return c.run().errors() == 0 && c.run().throughput() >= 0.98 * c.rate() && c.latency().p99() < o.p99BoundMs;
  }

  private void memoryTable(StringBuilder r) {
    Memory a = idleMemory;
    Memory b = loadedMemory;
    r.append("### Memory per node (RSS; heap used after a full GC)\n\n");
    r.append("| process | after start | after the run |\n|---|---:|---:|\n");
    r.append(String.format(Locale.ROOT, "| gateway JVM, keyword router (about %d requests served) | RSS %.0f MiB, heap %.1f MiB | RSS %.0f MiB, heap %.1f MiB |\n",
        keywordRequests, a.keywordRssKib() / 1024.0, a.keywordHeapBytes() / 1048576.0, b.keywordRssKib() / 1024.0, b.keywordHeapBytes() / 1048576.0));
    r.append(String.format(Locale.ROOT, "| gateway JVM, classifier router (about %d requests served) | RSS %.0f MiB, heap %.1f MiB | RSS %.0f MiB, heap %.1f MiB |\n",
        classifierRequests, a.classifierRssKib() / 1024.0, a.classifierHeapBytes() / 1048576.0, b.classifierRssKib() / 1024.0, b.classifierHeapBytes() / 1048576.0));
    r.append(String.format(Locale.ROOT, "| nginx (master + workers) | RSS %.1f MiB | RSS %.1f MiB |\n", a.nginxRssKib() / 1024.0, b.nginxRssKib() / 1024.0));
    r.append(String.format(Locale.ROOT, "| sim backend JVM | RSS %.0f MiB | RSS %.0f MiB |\n", a.simRssKib() / 1024.0, b.simRssKib() / 1024.0));
    if (classifierRequests > 0 && keywordRequests > 0) {
      r.append(String.format(Locale.ROOT,
          "\nGrowth over the run per request served: keyword gateway RSS %+.2f KiB, heap %+.3f KiB; classifier gateway RSS %+.2f KiB, heap %+.3f KiB.\n",
          (double) (b.keywordRssKib() - a.keywordRssKib()) / keywordRequests,
          (b.keywordHeapBytes() - a.keywordHeapBytes()) / 1024.0 / keywordRequests,
          (double) (b.classifierRssKib() - a.classifierRssKib()) / classifierRequests,
          (b.classifierHeapBytes() - a.classifierHeapBytes()) / 1024.0 / classifierRequests));
    }
    r.append('\n');
  }

  private void targets(StringBuilder r) {
    r.append("### Targets\n\n| target | measured | met |\n|---|---|---|\n");
    int rate = o.rates.contains(1000) ? 1000 : o.rates.get(o.rates.size() - 1);
    for (Mode mode : o.modes) {
      Cell direct = find(cells, c -> c.rate() == rate && c.mode() == mode && c.way().name().equals("direct"));
      Cell keyword = find(cells, c -> c.rate() == rate && c.mode() == mode && c.way().name().equals("gateway keyword"));
      Cell classifier = find(cells, c -> c.rate() == rate && c.mode() == mode && c.way().name().equals("gateway classifier"));
      if (direct == null) continue;
      if (keyword != null) {
        double p50 = keyword.latency().p50() - direct.latency().p50();
        double p99 = keyword.latency().p99() - direct.latency().p99();
        r.append(String.format(Locale.ROOT, "| keyword, %s, %d/s: added p50 < 1 ms | %s ms | %s |\n", mode.label, rate, ms(p50), yes(p50 < 1 && keyword.run().errors() == 0)));
        r.append(String.format(Locale.ROOT, "| keyword, %s, %d/s: added p99 < 5 ms | %s ms | %s |\n", mode.label, rate, ms(p99), yes(p99 < 5 && keyword.run().errors() == 0)));
      }
      if (classifier != null) {
        double p99 = classifier.latency().p99() - direct.latency().p99();
        r.append(String.format(Locale.ROOT, "| classifier, %s, %d/s: added p99 < 10 ms | %s ms | %s |\n", mode.label, rate, ms(p99), yes(p99 < 10 && classifier.run().errors() == 0)));
      }
      Cell nginx = find(capacity, x -> x.mode() == mode && x.way().name().equals("nginx"));
      Cell gw = find(capacity, x -> x.mode() == mode && x.way().name().equals("gateway keyword"));
      if (nginx != null && gw != null) {
        double ratio = gw.run().throughput() / nginx.run().throughput();
        r.append(String.format(Locale.ROOT, "| keyword, %s: closed-loop throughput >= 0.5 x nginx | %.0f vs %.0f req/s = %.2f | %s |\n",
            mode.label, gw.run().throughput(), nginx.run().throughput(), ratio, yes(ratio >= 0.5)));
      }
    }
    r.append('\n');
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

  private static String machine() {
    String cpu = "?";
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      cpu = lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
    } catch (IOException ignored) {
      // not Linux
    }
    return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), " + System.getProperty("os.name") + " "
        + System.getProperty("os.version") + ", Java " + System.getProperty("java.version");
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

  private static String us(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.0f", v);
  }

  private static String yes(boolean met) {
    return met ? "yes" : "**no**";
  }

  static void progress(String line) {
    System.err.println("[bench-gateway] " + line);
  }

  /** Command-line options. */
  static final class Options {
    List<Integer> rates = List.of(250, 500, 1000, 2000);
    List<Mode> modes = List.of(Mode.PLAIN, Mode.STREAM);
    int durationSeconds = 10;
    int warmupSeconds = 2;
    int initialWarmupSeconds = 20;
    int tokens = 8;
    int connections = 16;
    int closedSeconds = 10;
    int maxConnections = 256;
    double p99BoundMs = 25;
    String label = "latest";
    String out = "bench/results/gateway-overhead.md";
    String nginx = "/usr/sbin/nginx";
    String nginxWorkers = "auto";
    List<String> jvmOpts = List.of("-Xms256m", "-Xmx1g", "-XX:+UseG1GC");
    List<String> gatewayOpts = List.of();
    List<String> ways = List.of("direct", "nginx", "keyword", "classifier");
    String classpath = System.getProperty("java.class.path");
    String command;

    static Options parse(String[] args) {
      Options o = new Options();
      List<String> shown = new ArrayList<>(List.of(args));
      int cp = shown.indexOf("--classpath");
      if (cp >= 0 && cp + 1 < shown.size()) shown.set(cp + 1, "...");
      o.command = System.getProperty("bench.command", "GatewayOverheadBench " + String.join(" ", shown));
      for (int i = 0; i < args.length; i++) {
        String flag = args[i];
        if (i + 1 >= args.length) throw new IllegalArgumentException(flag + " needs a value");
        String v = args[++i];
        switch (flag) {
          case "--rates" -> o.rates = Arrays.stream(v.split(",")).map(String::trim).map(Integer::parseInt).toList();
          case "--modes" -> o.modes = Arrays.stream(v.split(",")).map(s -> Mode.valueOf(s.trim().toUpperCase(Locale.ROOT))).toList();
          case "--duration" -> o.durationSeconds = Integer.parseInt(v);
          case "--warmup" -> o.warmupSeconds = Integer.parseInt(v);
          case "--initial-warmup" -> o.initialWarmupSeconds = Integer.parseInt(v);
          case "--tokens" -> o.tokens = Integer.parseInt(v);
          case "--connections" -> o.connections = Integer.parseInt(v);
          case "--closed-duration" -> o.closedSeconds = Integer.parseInt(v);
          case "--max-connections" -> o.maxConnections = Integer.parseInt(v);
          case "--p99-bound-ms" -> o.p99BoundMs = Double.parseDouble(v);
          case "--label" -> o.label = v;
          case "--out" -> o.out = v;
          case "--nginx" -> o.nginx = v;
          case "--nginx-workers" -> o.nginxWorkers = v;
          case "--jvm-opts" -> o.jvmOpts = Arrays.stream(v.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
          case "--classpath" -> o.classpath = v;
          case "--gateway-opts" -> o.gatewayOpts = Arrays.stream(v.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
          case "--ways" -> o.ways = Arrays.stream(v.split(",")).map(String::trim).toList();
          default -> throw new IllegalArgumentException("unknown option " + flag);
        }
      }
      return o;
    }
  }
}
