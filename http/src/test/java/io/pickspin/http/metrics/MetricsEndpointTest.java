package io.pickspin.http.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.actors.ModelPool;
import io.pickspin.actors.PoolMonitor;
import io.pickspin.actors.ScalingSupervisor;
import io.pickspin.http.GatewayObserver.Outcome;
import io.pickspin.http.status.TestNode;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Tier;
import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolStatus;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.scaling.ScaleReason;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.testing.Eventually;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kamon's Prometheus endpoint on 127.0.0.1 with the gateway observer (its classifier fallback counter included), the
 * classifier timer and the pool reporter (over stub pools and a stub supervisor whose answers the test controls) on a
 * real one-node cluster.
 */
class MetricsEndpointTest {
  static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final BackendEndpoint E = new BackendEndpoint("e", "sim", URI.create("http://127.0.0.1:9"));
  static TestNode node;
  static KamonMetrics metrics;
  static int port;
  static final Map<String, AtomicReference<PoolStatus>> pools = new ConcurrentHashMap<>();
  static final AtomicReference<List<ScalingSupervisor.ScaleDecided>> decisions = new AtomicReference<>(List.of());
  static ScalingSupervisor.ScaleDecided before;

  @BeforeAll
  static void start() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    node = TestNode.start("metrics-test", "");
    MetricsSettings settings = new MetricsSettings(true, "127.0.0.1", port, Duration.ofMillis(200), Duration.ofMillis(200));
    metrics = KamonMetrics.start(node.system.settings().config(), settings);

    // a decision taken before the reporter started is not a scale event of this run
    before = decision("small", 0, 1, ScaleReason.SCALE_FROM_ZERO, System.currentTimeMillis() - 60_000);
    decisions.set(List.of(before));
    pools.put("small", new AtomicReference<>(
        status("small", 2, 3, 5, replica("small-0", ReplicaPhase.READY, 2), replica("small-1", ReplicaPhase.STARTING, 0))));
    pools.put("large", new AtomicReference<>(
        status("large", 1, 0, 0, replica("large-0", ReplicaPhase.READY, 0), drained("large-1"))));
    Map<String, ActorRef<ModelPool.Command>> stubs = new HashMap<>();
    for (String m : pools.keySet()) stubs.put(m, node.system.systemActorOf(stubPool(m), "stub-pool-" + m, Props.empty()));
    PoolMonitor.Board board = new PoolMonitor.Board();
    node.system.systemActorOf(
        PoolMonitor.create(List.copyOf(pools.keySet()), m -> (RecipientRef<ModelPool.Command>) stubs.get(m), Duration.ofMillis(100), board, (m, s) -> {}),
        "stub-monitor",
        Props.empty());
    ActorRef<ScalingSupervisor.Command> supervisor = node.system.systemActorOf(stubSupervisor(), "stub-supervisor", Props.empty());
    node.system.systemActorOf(
        PoolMetricsReporter.create(node.catalog, board, supervisor, "", 50, Duration.ofMillis(200), Clock.systemUTC()),
        "pool-metrics",
        Props.empty());
  }

  @AfterAll
  static void stop() throws Exception {
    if (metrics != null) metrics.close();
    if (node != null) node.close();
  }

  static PoolStatus.ReplicaView replica(String id, ReplicaPhase phase, int inFlight) {
    return new PoolStatus.ReplicaView(id, phase, PoolCore.Health.HEALTHY, phase == ReplicaPhase.READY, inFlight, phase == ReplicaPhase.READY ? E : null);
  }

  static PoolStatus.ReplicaView drained(String id) {
    return new PoolStatus.ReplicaView(id, ReplicaPhase.READY, PoolCore.Health.HEALTHY, false, 0, E, PoolCore.Mode.DRAINED);
  }

  static PoolStatus status(String model, int desired, int inFlight, int held, PoolStatus.ReplicaView... replicas) {
    return new PoolStatus(model, desired, 4, inFlight, held, List.of(replicas));
  }

  static ScalingSupervisor.ScaleDecided decision(String model, int from, int to, ScaleReason reason, long atMs) {
    return new ScalingSupervisor.ScaleDecided(model, from, to, reason, null, atMs);
  }

  static Behavior<ModelPool.Command> stubPool(String model) {
    return Behaviors.receive(ModelPool.Command.class)
        .onMessage(ModelPool.GetStatus.class, g -> {
          g.replyTo().tell(pools.get(model).get());
          return Behaviors.same();
        })
        .build();
  }

  static Behavior<ScalingSupervisor.Command> stubSupervisor() {
    return Behaviors.receive(ScalingSupervisor.Command.class)
        .onMessage(ScalingSupervisor.RecentDecisions.class, r -> {
          r.replyTo().tell(new ScalingSupervisor.Decisions(decisions.get()));
          return Behaviors.same();
        })
        .build();
  }

  // ---- the scrape

  record Sample(String name, Map<String, String> labels, double value) {}

  static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)$");
  static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  static List<Sample> scrape() throws Exception {
    HttpResponse<String> r =
        CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    List<Sample> out = new ArrayList<>();
    for (String line : r.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      Matcher m = LINE.matcher(line.trim());
      if (!m.matches()) continue;
      Map<String, String> labels = new HashMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) labels.put(l.group(1), l.group(2));
      }
      out.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
    }
    return out;
  }

  /** The value of the one series of {@code name} whose labels include {@code labels}. */
  static Optional<Double> value(List<Sample> samples, String name, String... labels) {
    List<Sample> hits = new ArrayList<>();
    for (Sample s : samples) {
      if (!s.name().equals(name)) continue;
      boolean all = true;
      for (int i = 0; i < labels.length; i += 2) all &= labels[i + 1].equals(s.labels().get(labels[i]));
      if (all) hits.add(s);
    }
    if (hits.size() > 1) throw new AssertionError("several series match " + name + List.of(labels) + ": " + hits);
    return hits.stream().findFirst().map(Sample::value);
  }

  /** Scrapes until the series has the value (Kamon publishes at its tick), then returns the scrape. */
  static List<Sample> awaitValue(double expected, String name, String... labels) throws Exception {
    return Eventually.awaitValue(
        name + List.of(labels) + " = " + expected,
        Duration.ofSeconds(15),
        () -> {
          try {
            return scrape();
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        },
        s -> value(s, name, labels).map(v -> Math.abs(v - expected) <= 1e-9).orElse(false));
  }

  static void assertNear(double expected, Optional<Double> actual, double relative, String what) {
    assertTrue(actual.isPresent(), what + " missing");
    assertTrue(Math.abs(actual.get() - expected) <= Math.abs(expected) * relative, what + " = " + actual.get() + ", expected ~" + expected);
  }

  @Test
  void theEndpointServesOnlyOnLoopbackByDefault() {
    assertEquals("127.0.0.1", MetricsSettings.fromConfig(TestNode.config("").getConfig("pickspin")).host());
    assertEquals(9095, MetricsSettings.fromConfig(TestNode.config("").getConfig("pickspin")).port());
    assertEquals("http://127.0.0.1:" + port + "/metrics", metrics.endpoint());
  }

  @Test
  void requestMetricsCarryModelTierProfileOutcomeAndRouter() throws Exception {
    KamonGatewayObserver o = new KamonGatewayObserver();
    o.routed(new RouteDecision("small", Tier.LOW, "hybrid/keyword", List.of()), 2_000_000);
    o.routed(new RouteDecision("small", Tier.LOW, "hybrid/classifier", List.of()), 4_000_000);
    o.routed(new RouteDecision("large", Tier.HIGH, "rl", List.of()), 1_000_000);
    o.finished("small", Tier.LOW, Profile.COST, Outcome.OK, 150_000_000, 40_000_000);
    o.finished("small", Tier.LOW, Outcome.OK, 250_000_000, -1);
    o.finished("large", Tier.HIGH, Profile.QUALITY, Outcome.OVERLOADED, 5_000_000, -1);
    o.finished("none", Tier.MEDIUM, Outcome.CLIENT_ERROR, 1_000_000, -1);
    o.held("large", 1_500_000_000L);
    o.classifierFallback();
    o.classifierFallback();
    o.tokens("small", 12, 30);
    o.tokens("small", 3, 0);
    ComplexityClassifier stub = new ComplexityClassifier() {
      @Override
      public Classification classify(String prompt) {
        return null;
      }

      @Override
      public String name() {
        return "stub";
      }
    };
    TimedClassifier timed = new TimedClassifier(stub);
    timed.classify("a");
    timed.classify("b");

    List<Sample> s = awaitValue(1, "pickspin_held_requests_total", "model", "large");
    s = awaitValue(1, "pickspin_requests_total", "model", "small", "tier", "low", "profile", "cost", "outcome", "ok");
    assertEquals(Optional.of(1.0), value(s, "pickspin_requests_total", "model", "small", "profile", "unknown", "outcome", "ok"));
    assertEquals(Optional.of(1.0), value(s, "pickspin_requests_total", "model", "large", "tier", "high", "profile", "quality", "outcome", "overloaded"));
    assertEquals(Optional.of(1.0), value(s, "pickspin_requests_total", "model", "none", "outcome", "client_error"));

    assertEquals(Optional.of(2.0), value(s, "pickspin_route_latency_seconds_count", "router", "hybrid"));
    assertNear(0.006, value(s, "pickspin_route_latency_seconds_sum", "router", "hybrid"), 0.05, "hybrid route latency sum");
    assertEquals(Optional.of(1.0), value(s, "pickspin_route_latency_seconds_count", "router", "rl"));
    assertEquals(Optional.of(2.0), value(s, "pickspin_classifier_latency_seconds_count", "classifier", "stub"));
    assertEquals(Optional.of(2.0), value(s, "pickspin_classifier_fallbacks_total"));
    assertEquals(Optional.of(15.0), value(s, "pickspin_tokens_total", "model", "small", "kind", "prompt"));
    assertEquals(Optional.of(30.0), value(s, "pickspin_tokens_total", "model", "small", "kind", "completion"));

    assertEquals(Optional.of(1.0), value(s, "pickspin_ttft_seconds_count", "model", "small"));
    assertNear(0.04, value(s, "pickspin_ttft_seconds_sum", "model", "small"), 0.05, "ttft sum");
    assertEquals(Optional.of(2.0), value(s, "pickspin_request_duration_seconds_count", "model", "small"));
    assertNear(0.4, value(s, "pickspin_request_duration_seconds_sum", "model", "small"), 0.05, "duration sum");
    assertEquals(Optional.empty(), value(s, "pickspin_request_duration_seconds_count", "model", "none"));
    assertNear(1.5, value(s, "pickspin_hold_seconds_sum", "model", "large"), 0.05, "hold sum");
    // a 1.5 s hold lies in the 2.5 s bucket and not in the 1 s one
    assertEquals(Optional.of(0.0), value(s, "pickspin_hold_seconds_bucket", "model", "large", "le", "1.0"));
    assertEquals(Optional.of(1.0), value(s, "pickspin_hold_seconds_bucket", "model", "large", "le", "2.5"));
  }

  @Test
  void poolGaugesScaleEventsAndColdStartsComeFromTheBoardAndTheSupervisor() throws Exception {
    List<Sample> s = awaitValue(5, "pickspin_queue_depth", "model", "small");
    assertEquals(Optional.of(3.0), value(s, "pickspin_inflight_requests", "model", "small"));
    assertEquals(Optional.of(1.0), value(s, "pickspin_replicas", "model", "small", "state", "ready"));
    assertEquals(Optional.of(1.0), value(s, "pickspin_replicas", "model", "small", "state", "starting"));
    assertEquals(Optional.of(2.0), value(s, "pickspin_replicas", "model", "small", "state", "desired"));
    assertEquals(Optional.of(1.0), value(s, "pickspin_replicas", "model", "large", "state", "draining"));
    assertEquals(Optional.of(0.0), value(s, "pickspin_replicas", "model", "large", "state", "failed"));
    // one ready replica x 1 GPU x $2.5; large: one ready (the drained one does not count) x 4 GPUs x $2.5
    assertEquals(Optional.of(2.5), value(s, "pickspin_gpu_cost_dollars_per_hour", "model", "small"));
    assertEquals(Optional.of(10.0), value(s, "pickspin_gpu_cost_dollars_per_hour", "model", "large"));

    // small-1 finishes starting: a cold start of about the time since it was first seen starting
    long startingSince = System.nanoTime();
    Thread.sleep(600);
    pools.get("small").set(status("small", 2, 3, 0, replica("small-0", ReplicaPhase.READY, 2), replica("small-1", ReplicaPhase.READY, 1)));
    decisions.set(List.of(before, decision("small", 1, 2, ScaleReason.LOAD, System.currentTimeMillis())));
    s = awaitValue(1, "pickspin_cold_start_seconds_count", "model", "small");
    double elapsed = (System.nanoTime() - startingSince) / 1e9;
    double coldStart = value(s, "pickspin_cold_start_seconds_sum", "model", "small").orElseThrow();
    assertTrue(coldStart >= 0.5 && coldStart <= elapsed + 5, "cold start " + coldStart + " s, elapsed since starting >= " + elapsed);

    s = awaitValue(1, "pickspin_scale_events_total", "model", "small", "direction", "up", "reason", "load");
    assertEquals(Optional.empty(), value(s, "pickspin_scale_events_total", "reason", "scale-from-zero"), "decided before the reporter started");
    s = awaitValue(2, "pickspin_replicas", "model", "small", "state", "ready");
    assertEquals(Optional.of(5.0), value(s, "pickspin_gpu_cost_dollars_per_hour", "model", "small"));
    assertEquals(Optional.of(0.0), value(s, "pickspin_queue_depth", "model", "small"));

    // later reads of the same decisions do not count them again; a new one does
    Thread.sleep(800);
    decisions.set(List.of(before, decision("small", 1, 2, ScaleReason.LOAD, decisions.get().get(1).atMs()),
        decision("large", 2, 1, ScaleReason.COOLDOWN_ELAPSED, System.currentTimeMillis())));
    s = awaitValue(1, "pickspin_scale_events_total", "model", "large", "direction", "down", "reason", "cooldown-elapsed");
    assertEquals(Optional.of(1.0), value(s, "pickspin_scale_events_total", "model", "small", "direction", "up"));
    assertFalse(value(s, "pickspin_cold_start_seconds_count", "model", "large").isPresent(), "large never started here");
  }
}
