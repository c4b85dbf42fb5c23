package io.pickspin.lab.bench;

import io.pickspin.lab.common.Cli;
import io.pickspin.lab.common.ResultsFile;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What bad clients do to the gateway's other clients: the latency of well-behaved requests (open loop, non-streamed
 * chat at a constant rate to a named model on a zero-latency sim) in phases without and with an abuse mix
 * ({@link AbuseMix}: idle connections, heads and bodies trickled a byte a second, deeply nested JSON), the phases
 * alternating so that the machine's noise falls on both alike. The gateway runs in a JVM of its own with its
 * production settings ({@link GatewayBenchServer}). Prints the tables and writes them, with the command, date and
 * commit, to {@code bench/results/gateway-abuse.md}.
 *
 * <pre>
 * bin/bench-gateway-abuse [--rate 200] [--duration 35] [--rounds 2] [--idle 2000] [--slow-heads 50] ...
 * </pre>
 */
public final class GatewayAbuseBench {
  static final String TITLE = "Gateway under abuse: other clients' latency";

  @Command(name = "GatewayAbuseBench", sortOptions = false, showDefaultValues = true,
      description = "Other clients' latency through the gateway without and with an abuse mix.")
  static final class Options {
    @Mixin Cli.Help help;
    @Option(names = "--rate", description = "well-behaved requests per second (open loop)") double rate = 200;
    @Option(names = "--warmup", description = "seconds of each phase not measured") int warmup = 3;
    @Option(names = "--duration", description = "measured seconds of each phase (the slow bodies meet the 30 s body-timeout within 35)")
    int duration = 35;
    @Option(names = "--rounds", description = "rounds of (without, with) phases") int rounds = 2;
    @Option(names = "--idle", description = "idle connections the mix opens") int idle = 2000;
    @Option(names = "--slow-heads", description = "connections sending their head a byte a second") int slowHeads = 50;
    @Option(names = "--slow-bodies", description = "connections sending their body a byte a second") int slowBodies = 50;
    @Option(names = "--deep-json-rate", description = "deeply nested JSON requests per second") int deepJsonRate = 50;
    @Option(names = "--depth", description = "nesting depth of the deep JSON") int depth = 100_000;
    @Option(names = "--jvm-opts", split = " ", description = "options of the sim's and the gateway's JVMs")
    List<String> jvmOpts = new ArrayList<>(List.of("-Xms256m", "-Xmx1g", "-XX:+UseG1GC"));
    @Option(names = "--out", description = "the results file") String out = "bench/results/gateway-abuse.md";
  }

  /** One measured phase. */
  record Phase(int round, boolean abused, LoadGenerator.Run run, Latencies latencies, double stealPercent, AbuseMix.Outcome abuse) {}

  private GatewayAbuseBench() {}

  public static void main(String[] argv) throws Exception {
    Options o = Cli.parseOrExit(new Options(), argv);
    ResultsFile.Run started = ResultsFile.Run.start(GatewayAbuseBench.class, argv);
    Path work = Files.createTempDirectory("pickspin-abuse-");
    String cp = System.getProperty("java.class.path");
    List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    java.addAll(o.jvmOpts);
    List<String> simCommand = new ArrayList<>(java);
    simCommand.addAll(List.of("-cp", cp, "io.pickspin.sim.server.SimServerMain", "--host", "127.0.0.1", "--port", "0",
        "--log-level", "WARN"));
    for (String served : GatewayBenchServer.SERVED) {
      simCommand.addAll(List.of("--model", "name=" + served + ",ttft-ms=0,tpot-ms=0,max-batch=4096"));
    }
    List<Phase> phases = new ArrayList<>();
    try (ChildProcess sim = ChildProcess.start("sim", simCommand, work)) {
      int simPort = Integer.parseInt(sim.awaitLine("SIM_READY port=", Duration.ofSeconds(60)));
      List<String> gatewayCommand = new ArrayList<>(java);
      gatewayCommand.addAll(List.of("-Dai.djl.offline=true", "-cp", cp, GatewayBenchServer.class.getName(),
          "--backend", "http://127.0.0.1:" + simPort));
      try (ChildProcess gateway = ChildProcess.start("gateway", gatewayCommand, work)) {
        String ready = gateway.awaitLine(GatewayBenchServer.READY, Duration.ofSeconds(180));
        int port = Integer.parseInt(ready.replaceAll(".*port=(\\d+).*", "$1"));
        progress("sim on port " + simPort + ", gateway on port " + port + " (logs in " + work + ")");
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        LoadGenerator load = new LoadGenerator(256);
        byte[] chat = HttpConnection.post("127.0.0.1", port, "/v1/chat/completions",
            "{\"model\":\"bench-small\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}");
        LoadGenerator.Target target = new LoadGenerator.Target("chat", "127.0.0.1", port, chat, false);
        progress("warming up for 10 s at " + o.rate + "/s");
        load.openLoop(target, o.rate, Duration.ofSeconds(5), Duration.ofSeconds(5), LoadGenerator.Window.NONE);
        for (int round = 1; round <= o.rounds; round++) {
          for (boolean abused : new boolean[] {false, true}) {
            progress("round " + round + (abused ? ", with the abuse mix" : ", without abuse"));
            AbuseMix mix = abused ? AbuseMix.start(address, o.idle, o.slowHeads, o.slowBodies, o.deepJsonRate, o.depth) : null;
            ProcessStats.MachineCpu before = ProcessStats.machineCpu();
            LoadGenerator.Run run =
                load.openLoop(target, o.rate, Duration.ofSeconds(o.warmup), Duration.ofSeconds(o.duration), LoadGenerator.Window.NONE);
            double steal = ProcessStats.machineCpu() == null || before == null ? Double.NaN
                : ProcessStats.machineCpu().stealPercentSince(before);
            AbuseMix.Outcome outcome = mix == null ? null : mix.stop();
            gateway.requireAlive();
            phases.add(new Phase(round, abused, run, Latencies.of(run.latenciesNanos()), steal, outcome));
          }
        }
      }
    }
    String report = report(o, phases);
    System.out.println(ResultsFile.write(Path.of(o.out), TITLE, started, report, headline(phases)));
  }

  private static String report(Options o, List<Phase> phases) {
    StringBuilder md = new StringBuilder();
    md.append("Other clients: non-streamed chat to a named model (`bench-small`, 8 tokens) at ").append(fmt(o.rate))
        .append("/s, open loop (latency from the scheduled send time), over at most 256 kept connections; a zero-latency ")
        .append("sim backend; the gateway in a JVM of its own with its production settings (`GatewayBenchServer`: ")
        .append("reference.conf, static leases). Each phase: ").append(o.warmup).append(" s warm-up + ").append(o.duration)
        .append(" s measured; phases without and with the abuse mix alternate, ").append(o.rounds).append(" rounds. ")
        .append("The abuse mix, started with its phase and stopped after it: ").append(o.idle)
        .append(" idle connections (opened, never a byte); ").append(o.slowHeads)
        .append(" connections sending a request head a byte a second (one header line that never ends); ")
        .append(o.slowBodies).append(" connections sending a head, then a 100,000-byte body a byte a second; ")
        .append(o.deepJsonRate).append(" requests a second whose `messages` is ").append(o.depth)
        .append(" nested arrays, each on a new connection. A trickling client whose connection ends opens another. ")
        .append("All processes share the machine (2 cores here): the mix's own CPU counts against everyone.\n\n");
    md.append("## Other clients' latency (ms)\n\n");
    md.append("| round | abuse | achieved/s | errors | p50 | p95 | p99 | max | steal % |\n");
    md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Phase p : phases) {
      Latencies l = p.latencies();
      md.append("| ").append(p.round()).append(" | ").append(p.abused() ? "with" : "without").append(" | ")
          .append(fmt(p.run().throughput())).append(" | ").append(p.run().errors()).append(" | ").append(fmt(l.p50()))
          .append(" | ").append(fmt(l.p95())).append(" | ").append(fmt(l.p99())).append(" | ").append(fmt(l.max()))
          .append(" | ").append(fmt(p.stealPercent())).append(" |\n");
    }
    Latencies without = Latencies.median(phases.stream().filter(p -> !p.abused()).map(Phase::latencies).toList());
    Latencies with = Latencies.median(phases.stream().filter(Phase::abused).map(Phase::latencies).toList());
    md.append("\nMedians over the rounds: p50 ").append(fmt(without.p50())).append(" ms without, ").append(fmt(with.p50()))
        .append(" ms with; p99 ").append(fmt(without.p99())).append(" ms without, ").append(fmt(with.p99()))
        .append(" ms with. Errors: ").append(phases.stream().filter(p -> !p.abused()).mapToLong(p -> p.run().errors()).sum())
        .append(" without, ").append(phases.stream().filter(Phase::abused).mapToLong(p -> p.run().errors()).sum())
        .append(" with.\n\n");
    md.append("## What the gateway did to the abuse\n\n");
    md.append("| round | idle connections still open at the end | slow heads: ended (how) | slow heads: held s, p50 / max | ")
        .append("slow bodies: ended (how) | slow bodies: held s, p50 / max | deep JSON: answers | deep JSON ms, p50 / p99 |\n");
    md.append("|---:|---:|---|---:|---|---:|---|---:|\n");
    for (Phase p : phases) {
      if (!p.abused()) continue;
      AbuseMix.Outcome a = p.abuse();
      md.append("| ").append(p.round()).append(" | ").append(a.idleStillOpen()).append(" of ").append(a.idleOpened())
          .append(" | ").append(AbuseMix.counts(a.slowHeads().byKind())).append(" | ").append(held(a.slowHeads()))
          .append(" | ").append(AbuseMix.counts(a.slowBodies().byKind())).append(" | ").append(held(a.slowBodies()))
          .append(" | ").append(AbuseMix.counts(a.deepJsonStatuses())).append(" | ").append(fmt(a.deepJson().p50()))
          .append(" / ").append(fmt(a.deepJson().p99())).append(" |\n");
    }
    md.append("\n\"closed\": the gateway closed the connection without an answer (the request head was not complete ")
        .append("within `pickspin.gateway.header-timeout`, 10 s); \"400\": it answered 400 (a body not complete within ")
        .append("`body-timeout`, 30 s; JSON nested deeper than the parser allows). Held: from the connection's opening to ")
        .append("its end. Idle connections are closed by `pekko.http.server.idle-timeout` (200 s), beyond a phase; at ")
        .append("most `max-connections` (4,096) are served at once.\n");
    return md.toString();
  }

  private static String held(AbuseMix.Endings e) {
    if (e.heldFor().count() == 0) return "none ended";
    return fmt(e.heldFor().p50() / 1000) + " / " + fmt(e.heldFor().max() / 1000);
  }

  private static Map<String, String> headline(List<Phase> phases) {
    Latencies without = Latencies.median(phases.stream().filter(p -> !p.abused()).map(Phase::latencies).toList());
    Latencies with = Latencies.median(phases.stream().filter(Phase::abused).map(Phase::latencies).toList());
    Map<String, String> h = new LinkedHashMap<>();
    h.put("p99 ms without", fmt(without.p99()));
    h.put("p99 ms with", fmt(with.p99()));
    h.put("p50 ms without", fmt(without.p50()));
    h.put("p50 ms with", fmt(with.p50()));
    h.put("errors with", Long.toString(phases.stream().filter(Phase::abused).mapToLong(p -> p.run().errors()).sum()));
    return h;
  }

  static String fmt(double x) {
    if (Double.isNaN(x)) return "?";
    if (Math.abs(x) >= 100) return String.format(Locale.ROOT, "%.0f", x);
    if (Math.abs(x) >= 10) return String.format(Locale.ROOT, "%.1f", x);
    return String.format(Locale.ROOT, "%.2f", x);
  }

  private static void progress(String message) {
    System.err.println("[bench-gateway-abuse] " + message);
  }
}
