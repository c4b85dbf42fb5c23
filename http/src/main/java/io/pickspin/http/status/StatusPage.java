package io.pickspin.http.status;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import io.pickspin.actors.PoolMonitor;
import io.pickspin.actors.ScalingSupervisor;
import io.pickspin.http.RoutingDefaults;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.pool.PoolStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The status page the gateway serves beside the API: {@code GET /status} (HTML with a live chart, no external
 * scripts) polls {@code GET /status.json} every 2 s. The JSON shows models, replicas, queues, the routing defaults and
 * the recent scaling decisions; it leaves out backend addresses, since the gateway port is not authenticated.
 */
public final class StatusPage {
  public static final String HTML_PATH = "/status";
  public static final String JSON_PATH = "/status.json";
  private static final String HTML_RESOURCE = "pickspin/status/status.html";

  /**
   * @param decisions how many recent scaling decisions the page shows
   * @param decisionsCache how long one read of them serves every open page
   */
  public record Settings(int decisions, Duration decisionsCache) {
    public Settings {
      if (decisions < 0) throw new IllegalArgumentException("pickspin.status.decisions must be >= 0");
    }

    /** Reads {@code pickspin.status}. */
    public static Settings fromConfig(Config pickspin) {
      Config s = pickspin.getConfig("status");
      return new Settings(s.getInt("decisions"), s.getDuration("decisions-cache"));
    }
  }

  private record Decisions(long readAtMs, List<ScalingSupervisor.ScaleDecided> list, String error) {}

  private final ActorSystem<?> system;
  private final Catalog catalog;
  private final PoolMonitor.Board board;
  private final ActorRef<ScalingSupervisor.Command> supervisor;
  private final RoutingDefaults defaults;
  private final String singletonRole;
  private final Settings settings;
  private final byte[] html;
  private Decisions cached = new Decisions(-1, List.of(), null);
  private CompletableFuture<Decisions> reading;

  private StatusPage(
      ActorSystem<?> system,
      Catalog catalog,
      PoolMonitor.Board board,
      ActorRef<ScalingSupervisor.Command> supervisor,
      RoutingDefaults defaults,
      String singletonRole,
      Settings settings) {
    this.system = system;
    this.catalog = catalog;
    this.board = board;
    this.supervisor = supervisor;
    this.defaults = defaults;
    this.singletonRole = singletonRole;
    this.settings = settings;
    this.html = resource(HTML_RESOURCE);
  }

  /**
   * The pages to hand to {@code Gateway.start}: {@value #HTML_PATH} and {@value #JSON_PATH}.
   *
   * @param supervisor the scaling supervisor (singleton proxy), for the recent decisions
   * @param singletonRole the role the supervisor runs on ("" = any member)
   */
  public static Map<String, Function<HttpRequest, CompletionStage<HttpResponse>>> pages(
      ActorSystem<?> system,
      Catalog catalog,
      PoolMonitor.Board board,
      ActorRef<ScalingSupervisor.Command> supervisor,
      RoutingDefaults defaults,
      String singletonRole,
      Settings settings) {
    StatusPage page = new StatusPage(system, catalog, board, supervisor, defaults, singletonRole, settings);
    return Map.of(HTML_PATH, r -> page.html(), JSON_PATH, r -> page.json());
  }

  private CompletionStage<HttpResponse> html() {
    return CompletableFuture.completedFuture(
        HttpResponse.create()
            .withEntity(HttpEntities.create(ContentTypes.TEXT_HTML_UTF8, html))
            .addHeader(RawHeader.create("Cache-Control", "no-cache")));
  }

  private CompletionStage<HttpResponse> json() {
    return decisions()
        .thenApply(
            d ->
                HttpResponse.create()
                    .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, snapshot(d).toString()))
                    .addHeader(RawHeader.create("Cache-Control", "no-store")));
  }

  private ObjectNode snapshot(Decisions d) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    long now = System.currentTimeMillis();
    root.put("atMs", now);
    root.put("at", Instant.ofEpochMilli(now).toString());
    Cluster cluster = Cluster.get(system);
    root.put("node", cluster.selfMember().address().toString());
    root.put("singletonHost", ClusterView.singletonHost(system, singletonRole).map(Object::toString).orElse(null));
    int members = 0;
    for (var m : cluster.state().getMembers()) members++;
    root.put("members", members);
    RoutingDefaults.Choice c = defaults.get();
    ObjectNode routing = root.putObject("routing");
    routing.put("profile", c.profile().wireName());
    routing.put("router", c.router().wireName());

    ArrayNode models = root.putArray("models");
    int ready = 0, starting = 0, queued = 0, inFlight = 0;
    double cost = 0;
    for (ModelSpec spec : catalog.models()) {
      PoolStatus s = board.get(spec.id());
      models.add(OpsJson.model(spec, s, false));
      if (s == null) continue;
      Map<ReplicaState, Integer> byState = OpsJson.countByState(s);
      ready += byState.get(ReplicaState.READY);
      starting += byState.get(ReplicaState.STARTING);
      queued += s.held();
      inFlight += s.inFlight();
      cost += OpsJson.gpuCostPerHour(spec, s);
    }
    ObjectNode totals = root.putObject("totals");
    totals.put("ready", ready);
    totals.put("starting", starting);
    totals.put("queued", queued);
    totals.put("inFlight", inFlight);
    totals.put("gpuCostPerHour", cost);

    ArrayNode decisions = root.putArray("decisions");
    List<ScalingSupervisor.ScaleDecided> newestFirst = new ArrayList<>(d.list());
    Collections.reverse(newestFirst);
    newestFirst.forEach(x -> decisions.add(OpsJson.decision(x)));
    if (d.error() != null) root.put("decisionsError", d.error());
    return root;
  }

  /** The cached decisions, or one read of the supervisor shared by every request that needs a fresh one. */
  private synchronized CompletionStage<Decisions> decisions() {
    long now = System.currentTimeMillis();
    if (settings.decisions() == 0 || (cached.readAtMs() >= 0 && now - cached.readAtMs() < settings.decisionsCache().toMillis())) {
      return CompletableFuture.completedFuture(cached);
    }
    if (reading != null) return reading;
    CompletableFuture<Decisions> r =
        AskPattern.<ScalingSupervisor.Command, ScalingSupervisor.Decisions>ask(
                supervisor,
                replyTo -> new ScalingSupervisor.RecentDecisions(settings.decisions(), replyTo),
                Duration.ofSeconds(2),
                system.scheduler())
            .handle(
                (ok, error) ->
                    error == null
                        ? new Decisions(System.currentTimeMillis(), ok.decisions(), null)
                        // keep showing the last list, and say why it is not fresh
                        : new Decisions(
                            System.currentTimeMillis(),
                            cached.list(),
                            "the scaling supervisor " + (error.getCause() instanceof TimeoutException || error instanceof TimeoutException ? "did not answer" : "failed: " + error.getMessage())))
            .toCompletableFuture();
    reading = r;
    r.whenComplete((d, e) -> store(d));
    return r;
  }

  private synchronized void store(Decisions d) {
    cached = d;
    reading = null;
  }

  private static byte[] resource(String name) {
    try (InputStream in = StatusPage.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("missing resource " + name);
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
