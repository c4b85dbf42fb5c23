package io.pickspin.chaos;

import io.pickspin.lab.common.Percentiles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chaos scenarios that check state and holds rather than a single fault under plain load: the journal down while a
 * request waits for a model at zero, fail-over of a supervisor with non-trivial state (replica counts, operator modes),
 * and a rolling restart of every node under streamed load.
 */
final class ReliabilityScenarios {
  static final List<String> NAMES = List.of("journal-down-cold-model", "failover-state", "rolling-restart-streams");

  /** Tokens per streamed answer in the rolling restart: each stream (1-4 s) ends well within a node's drain (20 s). */
  static final int ROLLING_STREAM_TOKENS = 100;

  private final ChaosCluster cluster;
  private final ChaosScenarios.Settings settings;

  ReliabilityScenarios(ChaosCluster cluster, ChaosScenarios.Settings settings) {
    this.cluster = cluster;
    this.settings = settings;
  }

  ScenarioResult run(String name) throws Exception {
    return switch (name) {
      case "journal-down-cold-model" -> journalDownColdModel(name, 6, Duration.ofSeconds(5));
      case "failover-state" -> failoverState(name);
      case "rolling-restart-streams" -> rollingRestart(name);
      default -> throw new IllegalArgumentException("unknown scenario " + name);
    };
  }

  /**
   * Cassandra stopped; while it is down, {@code requests} streamed requests (one a second) ask for the model that sits
   * at zero; Cassandra is started again after {@code down}. Each request must be served (after the journal returns:
   * the supervisor can only scale once its decision is persisted) or refused with a clear error at its deadline
   * (max-hold); none may hang.
   */
  private ScenarioResult journalDownColdModel(String name, int requests, Duration down) throws Exception {
    String fault = "Cassandra stopped; " + requests + " streamed requests for " + ChaosCluster.COLD_MODEL
        + " (at zero replicas) while it is down; Cassandra restarted after " + down.toSeconds() + " s";
    Progress.say("scenario " + name + ": " + fault);
    AdminClient admin = new AdminClient(cluster.adminApis().get(0));
    int before = admin.replicas(ChaosCluster.COLD_MODEL);
    String reference = ChaosScenarios.uninterruptedAnswer(cluster.sims().get(0), 8);
    Map<String, Integer> desiredBefore = cluster.desiredNow();

    long t0 = System.currentTimeMillis();
    cluster.cassandra().stop();
    long journalDownAt = System.currentTimeMillis();
    Progress.say("Cassandra stopped (" + (journalDownAt - t0) + " ms)");
    // longer than max-hold (60 s) + the first-byte timeout: a request that is neither served nor refused shows as lost
    Duration clientTimeout = Duration.ofSeconds(200);
    StreamLoad load = new StreamLoad(cluster.gateways(), clientTimeout, 8, ChaosCluster.COLD_MODEL);
    List<List<StreamLoad.Stream>> out = new ArrayList<>();
    Thread loader = new Thread(() -> {
      try {
        out.add(load.run(1, Duration.ofMillis(requests * 1000L - 500)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "chaos-cold-load");
    loader.start();
    Thread.sleep(down.toMillis());
    cluster.cassandra().restart();
    long journalBackAt = System.currentTimeMillis();
    Progress.say("Cassandra back after " + cluster.cassandra().lastStartTook().toMillis() + " ms of start-up");
    loader.join(clientTimeout.toMillis() + 30_000);
    List<StreamLoad.Stream> streams = out.isEmpty() ? List.of() : out.get(0);

    long served = 0, refused = 0, broken = 0, timedOut = 0;
    List<Long> ttftAfterBack = new ArrayList<>();
    List<String> refusals = new ArrayList<>();
    for (StreamLoad.Stream s : streams) {
      boolean whole = s.status() == 200 && s.failure() == null && !s.error() && s.dones() == 1 && s.text().equals(reference);
      if (whole) {
        served++;
        ttftAfterBack.add(s.firstTokenAtMs() - journalBackAt);
      } else if (s.timedOut()) {
        timedOut++;
      } else if (s.failure() == null && (s.error() || s.status() != 200)) {
        refused++;
        refusals.add(s.status() + " " + abbreviate(s.errorText()) + " after " + (s.endAtMs() - s.sentAtMs()) + " ms");
      } else {
        broken++;
      }
    }
    long lost = timedOut + (load.sent() - streams.size());
    long[] ttft = ttftAfterBack.stream().mapToLong(Long::longValue).sorted().toArray();
    long[] latencies = streams.stream().filter(s -> s.firstTokenAtMs() > 0).mapToLong(s -> s.endAtMs() - s.sentAtMs()).sorted().toArray();
    // the decision that scaled the model from zero, and when it was persisted (logged after the write)
    String decision = scaleUpOf(ChaosCluster.COLD_MODEL);
    List<String> notes = new ArrayList<>();
    notes.add(ChaosCluster.COLD_MODEL + " had " + before + " replicas before");
    notes.add("journal down for " + (journalBackAt - journalDownAt) + " ms (stop " + (journalDownAt - t0)
        + " ms, down " + down.toMillis() + " ms, start-up " + cluster.cassandra().lastStartTook().toMillis() + " ms)");
    notes.add(served + " of " + load.sent() + " served, " + refused + " refused, " + broken + " broken, " + lost + " lost");
    if (ttft.length > 0) {
      notes.add("first token after the journal returned: min " + ttft[0] + " / p50 " + Percentiles.nearestRank(ttft, 0.5)
          + " / max " + ttft[ttft.length - 1] + " ms");
    }
    notes.add(decision.isEmpty() ? "no scale-up of " + ChaosCluster.COLD_MODEL + " logged" : "decision: " + decision);
    if (!refusals.isEmpty()) notes.add("refusals: " + String.join(" | ", refusals));
    // the cluster must serve the usual load again
    long[] after = probeLoad(Duration.ofSeconds(8));
    notes.add("afterwards " + after[0] + " of " + after[1] + " auto requests answered");
    return new ScenarioResult(name, fault, -1, 0, load.sent(), served, refused, broken, lost, load.failovers(),
        latencies.length == 0 ? -1 : Percentiles.nearestRank(latencies, 0.99), desiredBefore, cluster.desiredNow(), 0, notes);
  }

  private static final Pattern DECISION_LINE = Pattern.compile("model (\\S+): (-?\\d+) -> (\\d+) replicas \\(([^;]*);");

  /** The first scale-up of {@code model} (it starts the run at zero) any node logged, as "from -> to (reason) on node". */
  private String scaleUpOf(String model) {
    for (NodeProcess n : cluster.nodes()) {
      for (String line : NodeLog.lines(n.log())) {
        Matcher m = DECISION_LINE.matcher(line);
        if (m.find() && m.group(1).equals(model) && Integer.parseInt(m.group(3)) > 0) {
          return m.group(2) + " -> " + m.group(3) + " (" + m.group(4) + ") on " + n.name();
        }
      }
    }
    return "";
  }

  /**
   * Load until the pools' desired counts differ (demo-large asked for 2 by long answers, the others at 1, the cold model
   * at 0), operator modes on a replica of each static model through the admin API; then kill -9 of the singleton's
   * node. The supervisor's recovered state must equal the state before: desired counts, and the operator modes the pools
   * apply again (they are persisted by the supervisor, not kept only in the pool entity, which restarts empty when its
   * node dies).
   */
  private ScenarioResult failoverState(String name) throws Exception {
    String fault = "kill -9 of the singleton's node under load (long answers to demo-large) with operator modes on 3 pools";
    Progress.say("scenario " + name + ": " + fault);
    int holder = cluster.singleton().map(Map.Entry::getKey).orElse(0);
    int other = (holder + 1) % cluster.nodes().size();
    AdminClient admin = new AdminClient(cluster.adminApis().get(other));

    // long answers to demo-large: ~6 req/s of 8 s answers needs two replicas of 32 slots
    LoadDriver heavy = new LoadDriver(cluster.gateways(), Duration.ofSeconds(60), "demo-large", 200);
    LoadDriver load = new LoadDriver(cluster.gateways(), settings.clientTimeout(), "auto", 8);
    List<List<LoadDriver.Result>> out = new ArrayList<>();
    Thread heavyThread = new Thread(() -> {
      try {
        heavy.run(() -> 6, Duration.ofMinutes(5), Long.MAX_VALUE);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "chaos-heavy-load");
    Thread loader = new Thread(() -> {
      try {
        out.add(load.run(() -> settings.ratePerSecond(), Duration.ofMinutes(5), Long.MAX_VALUE));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "chaos-load");
    heavyThread.start();
    loader.start();
    List<String> notes = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 90_000;
    while (admin.desired().getOrDefault("demo-large", 0) < 2 && System.currentTimeMillis() < deadline) Thread.sleep(1000);
    Map<String, Integer> desiredByLoad = admin.desired();
    notes.add("load asked for " + desiredByLoad);

    Map<String, String> modesWanted = new TreeMap<>(Map.of(
        "demo-small/sim-a", "drained", "demo-medium/sim-b", "pinned", "demo-large/sim-a", "pinned"));
    for (Map.Entry<String, String> e : modesWanted.entrySet()) {
      String[] mr = e.getKey().split("/");
      admin.put("/admin/models/" + mr[0] + "/replicas/" + mr[1], "{\"mode\":\"" + e.getValue() + "\"}");
    }
    Thread.sleep(1500); // every node's board refreshes every 500 ms
    Map<String, String> modesBefore = admin.modes();
    // which pools the victim hosted: the node that applied the operator's change logged it
    holder = cluster.singleton().map(Map.Entry::getKey).orElse(holder);
    List<String> poolsOnVictim = poolsWithModesLoggedBy(cluster.nodes().get(holder), modesWanted);
    Map<String, Integer> desiredBefore = admin.desired();

    long t0 = System.currentTimeMillis();
    cluster.nodes().get(holder).kill9();
    notes.add("killed node-" + holder + " (singleton; it hosted the pools of " + (poolsOnVictim.isEmpty() ? "none" : String.join(", ", poolsOnVictim)) + ")");
    cluster.awaitSingleton(t0, Duration.ofSeconds(60));
    var recovery = cluster.recoveriesSince(t0).get(0);
    long recoveredMs = recovery.getValue().atMs() - t0;
    Map<String, Integer> recovered = new TreeMap<>(recovery.getValue().desired());
    // ticks (1 s) give the pools their modes back; the boards refresh every 500 ms
    Thread.sleep(5000);
    AdminClient survivor = new AdminClient(cluster.adminApis().get(other == holder ? (holder + 2) % 3 : other));
    Map<String, String> modesAfter = survivor.modes();
    Map<String, Integer> desiredAfter = survivor.desired();
    boolean desiredSame = recovered.equals(desiredBefore);
    boolean modesSame = modesAfter.equals(modesBefore) && modesBefore.equals(modesWanted);
    notes.add("recovered desired " + recovered + (desiredSame ? " = before" : " ≠ before " + desiredBefore));
    notes.add("modes before " + modesBefore + ", after " + modesAfter + (modesSame ? ": equal" : ": DIFFERENT"));
    notes.add("desired 5 s after recovery " + desiredAfter);

    load.stop();
    heavy.stop();
    loader.join(120_000);
    heavyThread.join(120_000);
    for (String key : modesWanted.keySet()) {
      String[] mr = key.split("/");
      survivor.put("/admin/models/" + mr[0] + "/replicas/" + mr[1], "{\"mode\":\"normal\"}");
    }
    cluster.restartNode(holder);
    Thread.sleep(3000);
    long singletons = cluster.recoveriesSince(t0).stream().map(Map.Entry::getKey).distinct().count();
    List<LoadDriver.Result> results = out.isEmpty() ? load.snapshot() : out.get(0);
    long[] counts = LoadDriver.count(results);
    notes.add(0, desiredSame && modesSame ? "state equal after fail-over" : "STATE DIFFERS after fail-over");
    return new ScenarioResult(name, fault, recoveredMs, ChaosScenarios.routingNormalMs(results, t0), results.size(),
        counts[LoadDriver.Result.Kind.ANSWERED.ordinal()], counts[LoadDriver.Result.Kind.REJECTED.ordinal()],
        counts[LoadDriver.Result.Kind.CONNECTION_FAILED.ordinal()], counts[LoadDriver.Result.Kind.LOST.ordinal()],
        load.failovers(), ChaosScenarios.p99(results), desiredBefore, recovered, (int) singletons, notes);
  }

  private static List<String> poolsWithModesLoggedBy(NodeProcess node, Map<String, String> modes) {
    List<String> out = new ArrayList<>();
    List<String> lines = NodeLog.lines(node.log());
    for (String key : modes.keySet()) {
      String[] mr = key.split("/");
      String needle = "model " + mr[0] + ": replica " + mr[1] + " set to";
      if (lines.stream().anyMatch(l -> l.contains(needle))) out.add(mr[0]);
    }
    return out;
  }

  /**
   * Streamed load (model auto, {@link #ROLLING_STREAM_TOKENS} tokens each) while each node in turn gets SIGTERM
   * (drain, leave, hand over), is started again and rejoins (its /ready answers 200) before the next one.
   */
  private ScenarioResult rollingRestart(String name) throws Exception {
    String fault = "rolling restart: SIGTERM of each node in turn, restarted and ready before the next";
    Progress.say("scenario " + name + ": " + fault);
    String reference = ChaosScenarios.uninterruptedAnswer(cluster.sims().get(0), ROLLING_STREAM_TOKENS);
    Map<String, Integer> desiredBefore = cluster.desiredNow();
    StreamLoad load = new StreamLoad(cluster.gateways(), settings.clientTimeout(), ROLLING_STREAM_TOKENS);
    List<List<StreamLoad.Stream>> out = new ArrayList<>();
    Thread loader = new Thread(() -> {
      try {
        out.add(load.run(settings.ratePerSecond(), Duration.ofMinutes(15)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "chaos-stream-load");
    loader.start();
    Thread.sleep(settings.before().toMillis());
    long t0 = System.currentTimeMillis();
    List<String> notes = new ArrayList<>();
    Map<Integer, Long> leftAt = new LinkedHashMap<>();
    for (int i = 0; i < cluster.nodes().size(); i++) {
      long start = System.currentTimeMillis();
      leftAt.put(i, start);
      boolean exited = cluster.nodes().get(i).terminate(Duration.ofSeconds(40));
      long exitedMs = System.currentTimeMillis() - start;
      if (!exited) cluster.nodes().get(i).kill9();
      cluster.restartNode(i);
      cluster.awaitReady(i, Duration.ofSeconds(120));
      notes.add("node-" + i + (exited ? " exited " + exitedMs + " ms after SIGTERM" : " had not exited after 40 s (killed)")
          + ", ready again after " + (System.currentTimeMillis() - start) + " ms");
      Thread.sleep(5000);
    }
    Thread.sleep(settings.before().toMillis());
    load.stop();
    loader.join(settings.clientTimeout().toMillis() + 60_000);
    List<StreamLoad.Stream> streams = out.isEmpty() ? List.of() : out.get(0);

    long intact = 0, rejected = 0, cut = 0, timedOut = 0, resumed = 0;
    List<String> samples = new ArrayList<>();
    for (StreamLoad.Stream s : streams) {
      if (s.resumes() > 0) resumed++;
      boolean whole = s.status() == 200 && s.failure() == null && !s.error() && s.dones() == 1
          && s.tokens() == ROLLING_STREAM_TOKENS && s.text().equals(reference);
      if (whole) {
        intact++;
        continue;
      }
      if (s.timedOut()) timedOut++;
      else if (s.failure() == null) rejected++;
      else cut++;
      if (samples.size() < 3) {
        samples.add(s.status() + " " + (s.failure() != null ? s.failure() : abbreviate(s.errorText())) + " (" + s.tokens() + " tokens)");
      }
    }
    long lost = timedOut + (load.sent() - streams.size());
    long[] durations = streams.stream().filter(s -> s.failure() == null).mapToLong(s -> s.endAtMs() - s.sentAtMs()).sorted().toArray();
    // a rolling restart moves the singleton on purpose; two supervisors at once would be a start before its holder left
    List<Map.Entry<Integer, NodeLog.Recovery>> starts = cluster.recoveriesSince(t0);
    int overlapping = 0;
    for (int k = 1; k < starts.size(); k++) {
      Long prevLeft = leftAt.get(starts.get(k - 1).getKey());
      if (prevLeft == null || prevLeft > starts.get(k).getValue().atMs()) overlapping++;
    }
    notes.add(0, intact + " of " + load.sent() + " streams intact, " + resumed + " resumed; the singleton moved " + starts.size()
        + " times, " + (overlapping == 0 ? "each after its holder left" : overlapping + " times while its holder still ran"));
    if (!samples.isEmpty()) notes.add("failures: " + String.join(" | ", samples));
    return new ScenarioResult(name, fault, -1, 0, load.sent(), intact, rejected, cut, lost, load.failovers(),
        durations.length == 0 ? -1 : Percentiles.nearestRank(durations, 0.99), desiredBefore, cluster.desiredNow(),
        1 + overlapping, notes);
  }

  /** Auto requests for a short while: how many of how many were answered. */
  private long[] probeLoad(Duration length) throws InterruptedException {
    LoadDriver probe = new LoadDriver(cluster.gateways(), settings.clientTimeout(), "auto", 8);
    List<LoadDriver.Result> r = probe.run(() -> 5, length, Long.MAX_VALUE);
    return new long[] {LoadDriver.count(r)[LoadDriver.Result.Kind.ANSWERED.ordinal()], r.size()};
  }

  private static String abbreviate(String s) {
    if (s == null) return "";
    String one = s.replaceAll("\\s+", " ").replace("|", "/");
    return one.length() > 160 ? one.substring(0, 160) + "…" : one;
  }
}
