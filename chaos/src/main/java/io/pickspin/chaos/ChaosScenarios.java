package io.pickspin.chaos;

import io.pickspin.lab.common.Percentiles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The faults of the chaos suite. Each runs open-loop load through every gateway, injects one fault part-way, lets the
 * cluster recover, measures, and heals the cluster (restarts what it killed) so that the next scenario starts whole.
 */
public final class ChaosScenarios {
  /** Load and timing shared by every scenario. */
  public record Settings(int ratePerSecond, Duration before, Duration after, Duration clientTimeout) {
    public static Settings defaults() {
      return new Settings(20, Duration.ofSeconds(8), Duration.ofSeconds(20), Duration.ofSeconds(30));
    }
  }

  /** A fault: does its damage, returns notes, and remembers how to heal. */
  interface Fault {
    String describe();

    List<String> inject(ChaosCluster c) throws Exception;

    default void heal(ChaosCluster c) throws Exception {}

    /** Whether the singleton is expected to start again somewhere because of this fault. */
    default boolean movesSingleton() {
      return false;
    }
  }

  private final ChaosCluster cluster;
  private final Settings settings;

  public ChaosScenarios(ChaosCluster cluster, Settings settings) {
    this.cluster = cluster;
    this.settings = settings;
  }

  /** Every scenario, in the order the full suite runs them. */
  public static final List<String> NAMES = List.of("kill-9-singleton-node", "kill-9-other-node", "sigterm-singleton-node",
      "sigstop-singleton-node", "cassandra-restart", "backend-crash", "burst-10x", "replica-kill-mid-stream",
      "journal-down-cold-model", "failover-state", "rolling-restart-streams");

  /** Tokens per streamed answer in replica-kill-mid-stream: long enough that many streams are in flight at the kill. */
  static final int STREAM_TOKENS = 400;

  /**
   * What killing the replica that serves the most streams did to them.
   *
   * @param inFlight streams sent before the kill that ended after it
   * @param onVictim streams that started on the killed replica and were still running when it was killed
   * @param intact streams whose text is the whole answer, once, ending in one [DONE] and no error
   * @param resumed streams that resumed on another replica
   * @param resentTokens tokens resent to be continued (the continuation's prompt read them again)
   * @param gapsMs for each resumed stream, the time from its last token before the resume to its first after
   */
  public record StreamKill(
      String victim, long sent, long inFlight, long onVictim, long intact, long resumed, long failed, long lost,
      long resentTokens, long[] gapsMs) {}

  private final List<StreamKill> streamKills = new ArrayList<>();

  /** The replica-kill-mid-stream runs so far. */
  public List<StreamKill> streamKills() {
    return streamKills;
  }

  public List<String> names() {
    return NAMES;
  }

  public ScenarioResult run(String name) throws Exception {
    if (ReliabilityScenarios.NAMES.contains(name)) return new ReliabilityScenarios(cluster, settings).run(name);
    AtomicInteger rate = new AtomicInteger(settings.ratePerSecond());
    Fault fault =
        switch (name) {
          case "kill-9-singleton-node" -> killNode(true);
          case "kill-9-other-node" -> killNode(false);
          case "sigterm-singleton-node" -> terminateSingleton(Duration.ofSeconds(30));
          case "sigstop-singleton-node" -> freezeSingleton(Duration.ofSeconds(8));
          case "cassandra-restart" -> cassandraRestart(Duration.ofSeconds(5));
          case "backend-crash" -> backendCrash(Duration.ofSeconds(5));
          case "burst-10x" -> burst(rate, 10, Duration.ofSeconds(5));
          case "replica-kill-mid-stream" -> null;
          default -> throw new IllegalArgumentException("unknown scenario " + name + "; known: " + names());
        };
    return fault == null ? replicaKillMidStream(name, Duration.ofSeconds(5)) : run(name, fault, rate);
  }

  /**
   * Streamed load (model auto, {@link #STREAM_TOKENS} tokens each); part-way, kill -9 of the sim process with the most
   * answers generating, restarted after {@code down}. Every stream must end whole.
   */
  private ScenarioResult replicaKillMidStream(String name, Duration down) throws Exception {
    String fault = "kill -9 of the sim process serving the most streams, restarted after " + down.toSeconds() + " s";
    Progress.say("scenario " + name + ": " + fault);
    String reference = uninterruptedAnswer(cluster.sims().get(0), STREAM_TOKENS);
    StreamLoad load = new StreamLoad(cluster.gateways(), settings.clientTimeout(), STREAM_TOKENS);
    List<List<StreamLoad.Stream>> out = new ArrayList<>();
    Duration total = settings.before().plus(settings.after());
    Thread loader = new Thread(() -> {
      try {
        out.add(load.run(settings.ratePerSecond(), total));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "chaos-stream-load");
    loader.start();
    Thread.sleep(settings.before().toMillis());
    SimProcess victim = cluster.sims().stream().max(Comparator.comparingLong(SimProcess::generating)).orElseThrow();
    long generating = victim.generating();
    long killedAt = System.currentTimeMillis();
    victim.kill9();
    Thread.sleep(down.toMillis());
    victim.restart();
    loader.join(total.toMillis() + settings.clientTimeout().toMillis() + 30_000);
    List<StreamLoad.Stream> streams = out.isEmpty() ? List.of() : out.get(0);

    long inFlight = 0, onVictim = 0, intact = 0, resumed = 0, failed = 0, timedOut = 0, resent = 0;
    List<Long> gaps = new ArrayList<>();
    for (StreamLoad.Stream s : streams) {
      boolean during = s.sentAtMs() <= killedAt && s.endAtMs() >= killedAt;
      if (during) inFlight++;
      // started on the killed replica and still running when it died (some started in the moment before the kill)
      if (s.backend().equals(victim.name()) && s.endAtMs() >= killedAt) onVictim++;
      boolean whole = s.status() == 200 && s.failure() == null && !s.error() && s.dones() == 1
          && s.tokens() == STREAM_TOKENS && s.text().equals(reference);
      if (whole) intact++;
      else if (s.timedOut()) timedOut++;
      else failed++;
      if (s.resumes() > 0) {
        resumed++;
        resent += s.resentTokens();
        gaps.add(s.gapMs());
      }
    }
    long lost = timedOut + (load.sent() - streams.size());
    long[] gapsMs = gaps.stream().mapToLong(Long::longValue).sorted().toArray();
    streamKills.add(new StreamKill(victim.name(), load.sent(), inFlight, onVictim, intact, resumed, failed, lost, resent, gapsMs));
    List<String> notes = List.of(
        "killed " + victim.name() + " with " + generating + " answers generating; " + resumed + " streams resumed, "
            + intact + " of " + load.sent() + " intact");
    Map<String, Integer> desired = cluster.desiredNow();
    return new ScenarioResult(name, fault, -1, 0, load.sent(), intact, failed, 0, lost, 0, -1, desired, desired, 0, notes);
  }

  /** The sim's answer of {@code tokens} tokens when nothing breaks (it does not depend on the prompt). */
  static String uninterruptedAnswer(SimProcess sim, int tokens) throws Exception {
    String body = "{\"model\":\"" + ChaosCluster.MODELS.get(0).name() + "\",\"max_tokens\":" + tokens
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(sim.baseUrl().resolve("/v1/chat/completions"))
            .header("content-type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("choices").path(0).path("message")
        .path("content").asText();
  }

  /** The replica-kill-mid-stream runs as a Markdown table. */
  public static String streamTable(List<StreamKill> kills) {
    StringBuilder sb = new StringBuilder();
    sb.append("| scenario | killed | streams sent | in flight at the kill | on the killed replica | completed intact | resumed | failed | lost | tokens recomputed | added gap p50 / p99 / max (ms) |\n");
    sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (StreamKill k : kills) {
      long[] g = k.gapsMs();
      String gaps = g.length == 0 ? "–"
          : Percentiles.nearestRank(g, 0.5) + " / " + Percentiles.nearestRank(g, 0.99) + " / " + g[g.length - 1];
      sb.append("| replica-kill-mid-stream | ").append(k.victim()).append(" | ").append(k.sent()).append(" | ")
          .append(k.inFlight()).append(" | ").append(k.onVictim()).append(" | ").append(k.intact())
          .append(String.format(java.util.Locale.ROOT, " (%.1f%%)", 100.0 * k.intact() / Math.max(1, k.sent())))
          .append(" | ").append(k.resumed()).append(" | ").append(k.failed()).append(" | ").append(k.lost())
          .append(" | ").append(k.resentTokens()).append(" | ").append(gaps).append(" |\n");
    }
    return sb.toString();
  }

  private ScenarioResult run(String name, Fault fault, AtomicInteger rate) throws Exception {
    Progress.say("scenario " + name + ": " + fault.describe());
    LoadDriver load = new LoadDriver(cluster.gateways(), settings.clientTimeout(), "auto", 8);
    List<List<LoadDriver.Result>> out = new ArrayList<>();
    Duration total = settings.before().plus(settings.after());
    Thread loader =
        new Thread(
            () -> {
              try {
                out.add(load.run(rate::get, total, Long.MAX_VALUE));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "chaos-load");
    loader.start();
    Thread.sleep(settings.before().toMillis());
    Map<String, Integer> desiredBefore = cluster.desiredNow();
    long t0 = System.currentTimeMillis();
    List<String> notes = new ArrayList<>(fault.inject(cluster));
    loader.join(total.toMillis() + settings.clientTimeout().toMillis() + 30_000);
    List<LoadDriver.Result> results = out.isEmpty() ? load.snapshot() : out.get(0);

    var recoveries = cluster.recoveriesSince(t0);
    long recoveredMs = -1;
    Map<String, Integer> desiredAfter = cluster.desiredNow();
    if (!recoveries.isEmpty()) {
      recoveredMs = recoveries.get(0).getValue().atMs() - t0;
      desiredAfter = new TreeMap<>(recoveries.get(0).getValue().desired());
    } else if (fault.movesSingleton()) {
      notes.add("the singleton did not recover within the scenario");
    }
    fault.heal(cluster);
    // counted after healing too: a restarted node that formed a second cluster would start a second singleton
    Thread.sleep(3000);
    long singletons = cluster.recoveriesSince(t0).stream().map(Map.Entry::getKey).distinct().count();
    long[] counts = LoadDriver.count(results);
    return new ScenarioResult(
        name,
        fault.describe(),
        recoveredMs,
        routingNormalMs(results, t0),
        results.size(),
        counts[LoadDriver.Result.Kind.ANSWERED.ordinal()],
        counts[LoadDriver.Result.Kind.REJECTED.ordinal()],
        counts[LoadDriver.Result.Kind.CONNECTION_FAILED.ordinal()],
        counts[LoadDriver.Result.Kind.LOST.ordinal()],
        load.failovers(),
        p99(results),
        desiredBefore,
        desiredAfter,
        (int) singletons,
        notes);
  }

  /** Fault to the first answered request sent after the last failed one; 0 when nothing failed after the fault. */
  static long routingNormalMs(List<LoadDriver.Result> results, long t0) {
    List<LoadDriver.Result> after =
        results.stream().filter(r -> r.sentAtMs() >= t0).sorted(Comparator.comparingLong(LoadDriver.Result::sentAtMs)).toList();
    int lastBad = -1;
    for (int i = 0; i < after.size(); i++) if (after.get(i).kind() != LoadDriver.Result.Kind.ANSWERED) lastBad = i;
    if (lastBad < 0) return 0;
    if (lastBad + 1 >= after.size()) return Long.MAX_VALUE;
    return after.get(lastBad + 1).sentAtMs() - t0;
  }

  static long p99(List<LoadDriver.Result> results) {
    long[] l = results.stream().filter(r -> r.kind() == LoadDriver.Result.Kind.ANSWERED).mapToLong(LoadDriver.Result::latencyMs).sorted().toArray();
    return l.length == 0 ? -1 : Percentiles.nearestRank(l, 0.99);
  }

  private Fault killNode(boolean singleton) {
    return new Fault() {
      int victim = -1;

      public String describe() {
        return singleton ? "kill -9 of the node hosting the scaling supervisor singleton" : "kill -9 of a node without the singleton";
      }

      public List<String> inject(ChaosCluster c) throws Exception {
        int holder = c.singleton().map(Map.Entry::getKey).orElse(0);
        victim = singleton ? holder : (holder + 1) % c.nodes().size();
        c.nodes().get(victim).kill9();
        return List.of("killed node-" + victim + (singleton ? " (singleton)" : " (singleton stays on node-" + holder + ")"));
      }

      public void heal(ChaosCluster c) throws Exception {
        c.restartNode(victim);
      }

      public boolean movesSingleton() {
        return singleton;
      }
    };
  }

  /** A rolling restart's step: the node drains its gateway, leaves the cluster and hands its singleton over. */
  private Fault terminateSingleton(Duration grace) {
    return new Fault() {
      int victim = -1;

      public String describe() {
        return "SIGTERM of the singleton's node (graceful: drain, leave, hand over), restarted afterwards";
      }

      public List<String> inject(ChaosCluster c) throws Exception {
        victim = c.singleton().map(Map.Entry::getKey).orElse(0);
        long start = System.nanoTime();
        boolean exited = c.nodes().get(victim).terminate(grace);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        return List.of(exited
            ? "node-" + victim + " drained and exited " + tookMs + " ms after SIGTERM"
            : "node-" + victim + " had not exited " + tookMs + " ms after SIGTERM");
      }

      public void heal(ChaosCluster c) throws Exception {
        c.restartNode(victim);
      }

      public boolean movesSingleton() {
        return true;
      }
    };
  }

  private Fault freezeSingleton(Duration frozen) {
    return new Fault() {
      int victim = -1;

      public String describe() {
        return "SIGSTOP of the singleton's node for " + frozen.toSeconds() + " s, then SIGCONT";
      }

      public List<String> inject(ChaosCluster c) throws Exception {
        victim = c.singleton().map(Map.Entry::getKey).orElse(0);
        NodeProcess n = c.nodes().get(victim);
        n.pause();
        Thread.sleep(frozen.toMillis());
        n.resume();
        // a node the others downed while it was frozen learns it on waking, shuts down and exits (code 3)
        boolean exited = n.exitsWithin(Duration.ofSeconds(15));
        return List.of(
            "froze node-" + victim + "; after SIGCONT it "
                + (exited ? "found itself downed and exited" : "is still running 15 s later (it was not downed)"));
      }

      public void heal(ChaosCluster c) throws Exception {
        if (!c.nodes().get(victim).isAlive()) c.restartNode(victim);
      }

      public boolean movesSingleton() {
        return true;
      }
    };
  }

  private Fault cassandraRestart(Duration down) {
    return new Fault() {
      public String describe() {
        return "Cassandra stopped for " + down.toSeconds() + " s, then restarted";
      }

      public List<String> inject(ChaosCluster c) throws Exception {
        c.cassandra().stop();
        Thread.sleep(down.toMillis());
        c.cassandra().restart();
        return List.of("Cassandra back after " + c.cassandra().lastStartTook().toMillis() + " ms of start-up");
      }
    };
  }

  private Fault backendCrash(Duration down) {
    return new Fault() {
      public String describe() {
        return "kill -9 of one of the two sim backend processes, restarted after " + down.toSeconds() + " s";
      }

      public List<String> inject(ChaosCluster c) throws Exception {
        SimProcess victim = c.sims().get(0);
        victim.kill9();
        Thread.sleep(down.toMillis());
        victim.restart();
        return List.of("killed and restarted " + victim.name());
      }
    };
  }

  private Fault burst(AtomicInteger rate, int factor, Duration length) {
    return new Fault() {
      public String describe() {
        return factor + "x the normal rate for " + length.toSeconds() + " s";
      }

      public List<String> inject(ChaosCluster c) throws Exception {
        int normal = rate.get();
        rate.set(normal * factor);
        Thread.sleep(length.toMillis());
        rate.set(normal);
        return List.of("burst at " + normal * factor + " req/s");
      }
    };
  }

  /** Renders results as a Markdown table. */
  public static String table(List<ScenarioResult> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| scenario | singleton recovered (s) | routing normal (s) | sent | answered | failed | client fail-overs | lost | p99 (ms) | desired before → after | singleton starts | notes |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|\n");
    for (ScenarioResult r : results) {
      sb.append("| ").append(r.name())
          .append(" | ").append(r.singletonRecoveredMs() < 0 ? "–" : String.format("%.2f", r.singletonRecoveredMs() / 1000.0))
          .append(" | ").append(r.routingNormalMs() == Long.MAX_VALUE ? "never" : String.format("%.2f", r.routingNormalMs() / 1000.0))
          .append(" | ").append(r.sent()).append(" | ").append(r.answered())
          .append(" | ").append(r.failed()).append(r.failed() > 0 ? " (" + r.rejected() + " status, " + r.connectionFailed() + " conn)" : "")
          .append(" | ").append(r.clientFailovers()).append(" | ").append(r.lost()).append(" | ").append(r.p99LatencyMs())
          .append(" | ").append(r.desiredBefore()).append(" → ").append(r.desiredAfter())
          .append(" | ").append(r.singletonsAfter())
          .append(" | ").append(String.join("; ", r.notes())).append(" |\n");
    }
    return sb.toString();
  }

  static Optional<ScenarioResult> find(List<ScenarioResult> results, String name) {
    return results.stream().filter(r -> r.name().equals(name)).findFirst();
  }
}
