package io.pickspin.chaos;

import io.pickspin.lab.common.Cli;
import io.pickspin.lab.common.ResultsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * The chaos suite as a command (bin/chaos): starts Cassandra, 3 node JVMs and 2 sim backends on 127.0.0.1, runs every
 * scenario (or those named as arguments), prints the table and writes chaos/results/chaos.md; a run of named
 * scenarios writes chaos/results/chaos-NAME+NAME.md instead, so that it does not replace the full suite's record.
 */
public final class ChaosSuite {
  /** The unmodified Pekko configuration's time to a recovered singleton after kill -9 on this machine, in seconds. */
  static final double TUNED_PEKKO_RECOVERY_S = 8.6;

  @Command(name = "bin/chaos", showDefaultValues = true,
      description = "Runs the chaos scenarios against a local 3-node cluster and writes chaos/results.")
  static final class Options implements Cli.Checked {
    @Mixin Cli.Help help;
    @Parameters(arity = "0..*", paramLabel = "SCENARIO", completionCandidates = ScenarioNames.class,
        description = "scenarios to run, of: ${COMPLETION-CANDIDATES} (default: all)")
    List<String> scenarios = new ArrayList<>();

    @Override
    public void check() {
      for (String s : scenarios) {
        if (!ChaosScenarios.NAMES.contains(s)) {
          throw new IllegalArgumentException("unknown scenario " + s + "; known: " + ChaosScenarios.NAMES);
        }
      }
    }
  }

  /** The scenario names, for the help text. */
  static final class ScenarioNames extends ArrayList<String> {
    ScenarioNames() {
      super(ChaosScenarios.NAMES);
    }
  }

  /** What replica-kill-mid-stream's own table means. */
  static final String STREAM_KILL_DEFINITIONS =
      "replica-kill-mid-stream: 20 streamed requests a second (model auto, keyword routing, " + ChaosScenarios.STREAM_TOKENS
          + " tokens each), kill -9 of the sim process with the most answers generating (its /metrics-lite), restarted "
          + "5 s later. *Completed intact* = the whole answer's text, once (compared with the sim's uninterrupted answer), "
          + "one [DONE], no error event; *resumed* = streams with a resume note (an SSE comment); *tokens recomputed* = "
          + "tokens the continuations' prompts read again; *added gap* = per resumed stream, the time from its last token "
          + "before the resume to its first token after.\n\n";

  private static List<ChaosScenarios.StreamKill> streamKills = List.of();

  public static void main(String[] args) throws Exception {
    Options options = Cli.parseOrExit(new Options(), args);
    ResultsFile.Run started = ResultsFile.Run.start(ChaosSuite.class, args);
    Path dir = Files.createTempDirectory("pickspin-chaos");
    String file = options.scenarios.isEmpty() ? "chaos.md" : "chaos-" + String.join("+", options.scenarios) + ".md";
    Path out = Path.of(System.getProperty("pickspin.project.dir", ".")).resolve("chaos/results").resolve(file);
    List<ScenarioResult> results = new ArrayList<>();
    try (ChaosCluster cluster = ChaosCluster.start(dir, 3)) {
      // Ctrl-C must not leave Cassandra and node JVMs behind
      Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "chaos-cleanup"));
      ChaosScenarios scenarios = new ChaosScenarios(cluster, ChaosScenarios.Settings.defaults());
      streamKills = scenarios.streamKills();
      List<String> names = options.scenarios.isEmpty() ? ChaosScenarios.NAMES : options.scenarios;
      for (String name : names) {
        results.add(scenarios.run(name));
        Progress.say("done: " + name);
        System.out.print(ChaosScenarios.table(results.subList(results.size() - 1, results.size())));
      }
    }
    String table = ChaosScenarios.table(results);
    if (!streamKills.isEmpty()) table += "\n" + STREAM_KILL_DEFINITIONS + ChaosScenarios.streamTable(streamKills);
    System.out.println();
    System.out.print(table);
    ResultsFile.write(out, "Chaos suite", started, report(table, results, loadAverage()), headline(results));
    Progress.say("wrote " + out + " (node logs in " + dir + ")");
  }

  /** The 1/5/15-minute load averages: timings on a shared 2-core machine mean little without them. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " / " + f[1] + " / " + f[2];
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  static String report(String table, List<ScenarioResult> results, String loadAtEnd) {
    StringBuilder md = new StringBuilder();
    md.append("Load average (1 / 5 / 15 min) at the end: ").append(loadAtEnd).append(".\n\n")
        .append("Set-up: Cassandra 5.0.9 (forked, JDK 17), 3 Pick and Spin nodes (separate JVMs, 384 MiB heap, Cassandra journal, "
            + "static seed nodes on 127.0.0.1, tuned failure detector and SBR, dead-member downing on), 2 sim backend processes "
            + "serving all three models. Load: 20 req/s open loop spread over the three gateways, model \"auto\" with keyword "
            + "routing over prompts of all three tiers, 8 tokens per answer, 30 s client timeout. A refused connection (a "
            + "killed gateway) goes to the next gateway, as a load balancer would: that is a client fail-over, not a failure.\n\n")
        .append("Definitions: *singleton recovered* = fault to the scaling supervisor running with its state recovered from the "
            + "journal on a surviving node (from the supervisor's own log line); *routing normal* = fault to the first answered "
            + "request after the last failed one; *failed* = an error status or a connection cut by a dying gateway (the client "
            + "knows); *lost* = accepted and never answered (must be 0); *singleton starts* = distinct nodes that started the "
            + "singleton after the fault (1 = no split brain).\n\n")
        .append(table).append('\n');
    long lost = results.stream().mapToLong(ScenarioResult::lost).sum();
    long splitBrain = results.stream().filter(r -> r.singletonsAfter() > 1).count();
    md.append(String.format(Locale.ROOT, "Over the %d scenarios: %d requests lost, %d failed; %s.%n", results.size(), lost,
        results.stream().mapToLong(ScenarioResult::failed).sum(),
        splitBrain == 0 ? "no scenario started the singleton on more than one node"
            : splitBrain + " scenarios started the singleton on more than one node"));
    ChaosScenarios.find(results, "kill-9-singleton-node").filter(r -> r.singletonRecoveredMs() >= 0).ifPresent(r -> md.append(String.format(
        Locale.ROOT, "%nAfter kill -9 of the singleton's node the singleton ran again with its state after %.2f s; the tuned "
            + "Pekko configuration alone (failure detector 1 s / 2 s, SBR stable-after 3 s, removal margin 1 s) took %.1f s on "
            + "this machine (../shared/research/proto-pekko.md section 5): %.0f%% less (the paper claims a 75%% cut of recovery "
            + "time). The difference is dead-member downing: a member whose remoting port refuses connections is quarantined "
            + "and downed at once, instead of waiting for the failure detector and stable-after.%n",
        r.singletonRecoveredMs() / 1000.0, TUNED_PEKKO_RECOVERY_S, 100 * (1 - r.singletonRecoveredMs() / 1000.0 / TUNED_PEKKO_RECOVERY_S))));
    return md.toString();
  }

  /** The history row: how many scenarios, what failed or was lost, and the slowest recoveries and p99. */
  static Map<String, String> headline(List<ScenarioResult> results) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("scenarios", Integer.toString(results.size()));
    h.put("failed", Long.toString(results.stream().mapToLong(ScenarioResult::failed).sum()));
    h.put("lost", Long.toString(results.stream().mapToLong(ScenarioResult::lost).sum()));
    h.put("slowest singleton recovery s", seconds(results, ScenarioResult::singletonRecoveredMs));
    h.put("slowest routing normal s", seconds(results, ScenarioResult::routingNormalMs));
    h.put("highest p99 ms", Long.toString(results.stream().mapToLong(ScenarioResult::p99LatencyMs).max().orElse(-1)));
    return h;
  }

  private static String seconds(List<ScenarioResult> results, ToLongFunction<ScenarioResult> ms) {
    long max = results.stream().mapToLong(ms).filter(v -> v >= 0).max().orElse(-1);
    if (max < 0) return "–";
    return max == Long.MAX_VALUE ? "never" : String.format(Locale.ROOT, "%.2f", max / 1000.0);
  }
}
