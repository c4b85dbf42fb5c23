package io.pickspin.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pickspin.http.Gateway;
import io.pickspin.http.GatewaySettings;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.persistence.Journal;
import io.pickspin.actors.AdminAudit;
import io.pickspin.actors.PoolLeases;
import io.pickspin.http.admin.AdminApi;
import io.pickspin.http.admin.AdminSettings;
import io.pickspin.http.admin.RoutingDefaultsSync;
import io.pickspin.http.metrics.KamonGatewayObserver;
import io.pickspin.http.metrics.KamonMetrics;
import io.pickspin.http.metrics.MetricsSettings;
import io.pickspin.http.metrics.PoolMetricsReporter;
import io.pickspin.http.metrics.TimedClassifier;
import io.pickspin.http.status.StatusPage;
import io.pickspin.routing.classify.Classifiers;
import io.pickspin.scaling.ScalingSettings;
import io.pickspin.drivers.ProcessDriver;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import io.pickspin.actors.PoolMonitor;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.classify.HybridClassifier;
import io.pickspin.routing.rl.PoolLoadBoard;
import io.pickspin.routing.rl.PoolStateView;
import io.pickspin.routing.rl.RlRoutingPolicy;
import io.pickspin.routing.rl.RlSelectingPolicy;
import io.pickspin.routing.rl.RlSettings;
import io.pickspin.scaling.driver.ReplicaDriver;
import io.pickspin.drivers.ReplicaDrivers;
import io.pickspin.http.RoutingDefaults;
import io.pickspin.http.GatewayObserver;
import java.time.Clock;
import io.pickspin.sim.server.SimModel;
import io.pickspin.sim.server.SimServer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Pick and Spin node: a Pekko Cluster member with its journal, the simulated demo backends when the catalogue asks
 * for them, and the OpenAI gateway. {@link Main} runs one; tests start several in one JVM.
 */
public final class Node implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Node.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  static final String GATEWAY_ROLE = "gateway";

  private final ActorSystem<Void> system;
  private final Catalog catalog;
  private final List<AutoCloseable> resources;
  private final ComplexityRoutingPolicy complexity;
  private final PoolLeases leases;
  private final PoolMonitor.Board pools;
  private final RoutingDefaults routingDefaults;
  private final Gateway gateway;
  private final Duration drainTimeout;

  private Node(
      ActorSystem<Void> system,
      Catalog catalog,
      List<AutoCloseable> resources,
      ComplexityRoutingPolicy complexity,
      PoolLeases leases,
      PoolMonitor.Board pools,
      RoutingDefaults routingDefaults,
      Gateway gateway,
      Duration drainTimeout) {
    this.system = system;
    this.catalog = catalog;
    this.resources = resources;
    this.complexity = complexity;
    this.leases = leases;
    this.pools = pools;
    this.routingDefaults = routingDefaults;
    this.gateway = gateway;
    this.drainTimeout = drainTimeout;
  }

  /**
   * Starts a node and returns once the gateway serves.
   *
   * @param app the application layer, unresolved: see {@link Journal#applicationLayer()}
   */
  public static Node start(Config app) throws Exception {
    Config settings = app.withFallback(ConfigFactory.defaultReference()).resolve();
    Journal journal = Journal.parse(settings.getString("pickspin.journal"));
    Config config =
        journal.configure(
            withSeedNodes(app, settings), csv(settings.getString("pickspin.cassandra.contact-points")));
    config = drainPhaseLongEnough(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "pickspin", config);
    joinCluster(system, config);
    DeadMemberDowning downing =
        DeadMemberDowning.start(system, DeadMemberDowning.Settings.fromConfig(config.getConfig("pickspin.cluster.dead-member-downing")));
    List<SimServer> sims = new ArrayList<>();
    List<AutoCloseable> started = new ArrayList<>(List.of(downing));
    try {
      journal.prepare(system).toCompletableFuture().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      Config pickspin = config.getConfig("pickspin");
      Catalog catalog = Catalog.fromConfig(startSimBackends(system, config.getConfigList("pickspin.models"), sims));
      Clock clock = Clock.systemUTC();
      MetricsSettings metricsSettings = MetricsSettings.fromConfig(pickspin);
      KamonMetrics metrics = metricsSettings.enabled() ? KamonMetrics.start(config, metricsSettings) : null;
      if (metrics != null) started.add(metrics);

      // spin: the pools of every model and the scaling supervisor singleton, carried out by the configured driver
      ReplicaDriver driver = ReplicaDrivers.fromConfig(pickspin, catalog);
      // closed by close() after the drain (see stopInOrder), not by its own JVM hook at the first signal
      if (driver instanceof ProcessDriver processes) processes.leaveStopToOwner();
      started.add(driver);
      PoolLeases leases = PoolLeases.start(system, catalog, driver, clock);

      // pick: complexity routing, and the RL router over the live pool load
      Config routingConfig = pickspin.getConfig("routing");
      ComplexityClassifier learned = Classifiers.fromConfig(routingConfig.getConfig("classifier")).orElse(null);
      ComplexityRoutingPolicy complexity =
          ComplexityRoutingPolicy.fromConfig(
              catalog, routingConfig, learned != null && metrics != null ? new TimedClassifier(learned) : learned);
      started.add(complexity);
      warmUp(complexity);
      PoolLoadBoard load = new PoolLoadBoard();
      GatewaySettings gatewaySettings = GatewaySettings.fromConfig(pickspin);
      RoutingPolicy routing =
          new RlSelectingPolicy(
              complexity,
              RlRoutingPolicy.fromSettings(
                  catalog, RlSettings.fromConfig(pickspin.getConfig("routing.rl")), rlClassifier(complexity), load, clock),
              gatewaySettings.defaultRouter());
      PoolMonitor.Board pools = new PoolMonitor.Board();
      ActorRef<PoolMonitor.Command> monitor = system.systemActorOf(
          PoolMonitor.create(
              catalog.models().stream().map(m -> m.id()).toList(),
              leases::pool,
              pickspin.getDuration("pool.monitor-interval"),
              pools,
              (model, status) -> load.update(model, PoolStateView.ModelLoad.of(status))),
          "pool-monitor",
          Props.empty());

      // operate: metrics, the audited admin API, the status page
      String controlRole = pickspin.getString("scaling.singleton-role");
      ScalingSettings scaling = ScalingSettings.fromConfig(pickspin.getConfig("scaling"));
      if (metrics != null) {
        system.systemActorOf(
            PoolMetricsReporter.create(
                catalog, pools, leases.supervisor(), controlRole, Math.max(1, scaling.recentDecisions()),
                metricsSettings.poolInterval(), clock),
            "pool-metrics",
            Props.empty());
      }
      AdminSettings adminSettings = AdminSettings.fromConfig(pickspin);
      ActorRef<AdminAudit.Command> audit = AdminAudit.initSingleton(system, controlRole, adminSettings.auditKeep());
      RoutingDefaults routingDefaults = RoutingDefaults.of(gatewaySettings);
      ActorRef<RoutingDefaultsSync.Command> defaultsSync =
          RoutingDefaultsSync.start(system, routingDefaults, audit, adminSettings.auditKeep(), adminSettings.askTimeout());
      if (adminSettings.enabled()) {
        AdminApi admin =
            AdminApi.start(
                    system,
                    adminSettings,
                    new AdminApi.Deps(
                        catalog, pools, leases::pool, leases.supervisor(), audit, defaultsSync, routingDefaults, scaling,
                        controlRole))
                .toCompletableFuture()
                .get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        started.add(() -> {
          // after a normal stop the actor system is gone and took the binding with it; unbinding then only fails
          if (!system.whenTerminated().isCompleted()) admin.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
        });
      }
      Gateway gateway = null;
      if (config.getStringList("pekko.cluster.roles").contains(GATEWAY_ROLE)) {
        gateway =
            Gateway.start(
                    system,
                    gatewaySettings,
                    catalog,
                    routing,
                    leases,
                    metrics != null ? new KamonGatewayObserver() : GatewayObserver.NONE,
                    routingDefaults,
                    StatusPage.pages(
                        system, catalog, pools, leases.supervisor(), routingDefaults, controlRole,
                        StatusPage.Settings.fromConfig(pickspin)))
                .toCompletableFuture()
                .get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      }
      Duration drainTimeout = pickspin.getDuration("node.drain-timeout");
      stopInOrder(system, gateway, drainTimeout, sims, monitor);
      log.info(
          "node up: journal {}, driver {}, roles {}, {} models, {}",
          journal.name().toLowerCase(),
          driver.name(),
          config.getStringList("pekko.cluster.roles"),
          catalog.models().size(),
          gateway == null ? "no gateway" : "OpenAI API on http://" + gatewaySettings.host() + ":" + gateway.port() + "/v1");
      return new Node(
          system, catalog, started, complexity, leases, pools, routingDefaults, gateway, drainTimeout);
    } catch (Exception e) {
      for (AutoCloseable c : started) closeQuietly(c);
      sims.forEach(SimServer::close);
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** The RL router's state includes the prompt's complexity class: the hybrid classifier when there is a learned one. */
  private static ComplexityClassifier rlClassifier(ComplexityRoutingPolicy complexity) {
    ComplexityClassifier learned = complexity.learnedClassifier();
    return learned == null ? complexity.keywordClassifier() : new HybridClassifier(complexity.keywordClassifier(), learned);
  }

  /** The first classifier call pays for lazy native initialisation (about 20 ms): pay it before serving. */
  private static void warmUp(RoutingPolicy routing) {
    routing.decide(new RouteRequest(RouteRequest.AUTO, "warm up the classifier", Profile.BALANCED, RouterKind.CLASSIFIER, 0));
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing {} failed: {}", c, e.toString());
    }
  }

  /**
   * Seed nodes and roles from {@code pickspin.node}; no seed nodes means a single node that joins itself (see
   * {@link #joinCluster}).
   */
  private static Config withSeedNodes(Config app, Config settings) {
    return app.withValue(
            "pekko.cluster.seed-nodes",
            ConfigValueFactory.fromIterable(csv(settings.getString("pickspin.node.seed-nodes"))))
        .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(csv(settings.getString("pickspin.node.roles"))));
  }

  /**
   * Orders a stop (SIGTERM, or {@link #close()}) as coordinated-shutdown phases, so that the gateway drains while the
   * pools and the cluster are still there: Pekko's JVM hook starts coordinated shutdown at once on SIGTERM, and a drain
   * run beside it would see the sharding regions stop and the node leave under requests still in flight.
   * <ol>
   *   <li>service-requests-done: the gateway stops accepting and requests in flight finish (up to the drain timeout);
   *   <li>service-stop: in-process sim servers stop;
   *   <li>before-cluster-shutdown: the pool monitor stops asking pools that are about to hand over;
   *   <li>then Pekko's own phases: sharding regions, singleton hand-over, cluster leave, actor system.
   * </ol>
   */
  private static void stopInOrder(
      ActorSystem<?> system, Gateway gateway, Duration drain, List<SimServer> sims, ActorRef<PoolMonitor.Command> monitor) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    if (gateway != null) {
      shutdown.addTask(
          CoordinatedShutdown.PhaseServiceRequestsDone(),
          "gateway-drain",
          () -> gateway.stop(drain).exceptionally(e -> {
            log.warn("gateway did not drain cleanly: {}", e.toString());
            return Done.getInstance();
          }));
    }
    shutdown.addTask(
        CoordinatedShutdown.PhaseServiceStop(),
        "stop-sim-servers",
        () -> {
          sims.forEach(SimServer::close);
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeClusterShutdown(),
        "stop-pool-monitor",
        () -> {
          monitor.tell(PoolMonitor.Stop.INSTANCE);
          return CompletableFuture.completedFuture(Done.getInstance());
        });
  }

  /** The drain phase's timeout must outlast the drain itself, or the node would leave with requests in flight. */
  private static Config drainPhaseLongEnough(Config config) {
    Duration drain = config.getDuration("pickspin.node.drain-timeout");
    String phase = "pekko.coordinated-shutdown.phases.service-requests-done.timeout";
    Duration needed = drain.plusSeconds(5);
    if (config.hasPath(phase) && config.getDuration(phase).compareTo(needed) >= 0) return config;
    return ConfigFactory.parseString(phase + " = " + needed.toMillis() + "ms").withFallback(config);
  }

  /** Without seed nodes the node forms a cluster of one with itself, whatever port it bound. */
  private static void joinCluster(ActorSystem<?> system, Config config) {
    if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
  }

  /**
   * Starts an in-process sim server for every backend of kind "sim" without a base URL and returns the model configs
   * with those URLs filled in. A static sim backend is already running, so it has no cold start.
   */
  private static List<Config> startSimBackends(ActorSystem<?> system, List<? extends Config> models, List<SimServer> started)
      throws Exception {
    List<Config> resolved = new ArrayList<>();
    for (Config model : models) {
      if (!model.hasPath("backends")) {
        resolved.add(model);
        continue;
      }
      List<Object> backends = new ArrayList<>();
      for (Config backend : model.getConfigList("backends")) {
        if ("sim".equals(backend.getString("kind")) && !backend.hasPath("base-url")) {
          Config l = model.getConfig("latency");
          LatencyProfile latency =
              new LatencyProfile(
                  l.getDouble("ttft-ms"), l.getDouble("tpot-ms"), l.hasPath("max-batch") ? l.getInt("max-batch") : 8, 0);
          String served = model.hasPath("served-name") ? model.getString("served-name") : model.getString("id");
          int port = backend.hasPath("port") ? backend.getInt("port") : 0;
          SimServer sim =
              SimServer.start(system, "127.0.0.1", port, List.of(new SimModel(served, latency)))
                  .toCompletableFuture()
                  .get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
          started.add(sim);
          backend = backend.withValue("base-url", ConfigValueFactory.fromAnyRef(sim.baseUrl().toString()));
        }
        backends.add(backend.root().unwrapped());
      }
      resolved.add(model.withValue("backends", ConfigValueFactory.fromIterable(backends)));
    }
    return resolved;
  }

  private static List<String> csv(String s) {
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  /** The gateway's port, or -1 on a node without the gateway role. */
  public int gatewayPort() {
    return gateway == null ? -1 : gateway.port();
  }

  public Catalog catalog() {
    return catalog;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public PoolLeases leases() {
    return leases;
  }

  public PoolMonitor.Board pools() {
    return pools;
  }

  public RoutingDefaults routingDefaults() {
    return routingDefaults;
  }

  public ComplexityRoutingPolicy routing() {
    return complexity;
  }

  /**
   * Graceful stop (SIGTERM): the gateway stops accepting and lets requests in flight finish (their leases are released
   * as they end), then the node leaves the cluster, handing its singleton and pools over, and the actor system stops.
   */
  @Override
  public void close() {
    // runs coordinated shutdown (see stopInOrder): drain, then cluster leave and singleton hand-over. On SIGTERM,
    // Pekko's own JVM hook has already started the same run; terminate() then joins it.
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(drainTimeout.toSeconds() + 60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("actor system did not terminate cleanly: {}", e.toString());
    }
    for (AutoCloseable c : resources) closeQuietly(c);
  }

}
