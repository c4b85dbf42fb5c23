package io.pickspin.cluster;

import io.pickspin.actors.PoolLeases;
import io.pickspin.actors.PoolMonitor;
import io.pickspin.http.Gateway;
import io.pickspin.http.RoutingDefaults;
import io.pickspin.http.metrics.KamonMetrics;
import io.pickspin.model.Catalog;
import io.pickspin.routing.ComplexityRoutingPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Pick and Spin node: a Pekko Cluster member with its journal, the in-process sim backends the catalogue asks for,
 * and the features, each started by its own {@code init} from the {@link NodeSettings}: {@link Spin} (driver, pools,
 * scaling supervisor), {@link Pick} (routing), {@link Operate} (metrics reporter, admin API) and {@link Serve} (the
 * OpenAI gateway). {@link Main} runs one; tests start several in one JVM.
 */
public final class Node implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Node.class);
  static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final ActorSystem<Void> system;
  private final Catalog catalog;
  private final List<AutoCloseable> resources;
  private final Spin spin;
  private final Pick pick;
  private final Operate operate;
  private final Gateway gateway;
  private final Duration drainTimeout;

  private Node(
      ActorSystem<Void> system,
      Catalog catalog,
      List<AutoCloseable> resources,
      Spin spin,
      Pick pick,
      Operate operate,
      Gateway gateway,
      Duration drainTimeout) {
    this.system = system;
    this.catalog = catalog;
    this.resources = resources;
    this.spin = spin;
    this.pick = pick;
    this.operate = operate;
    this.gateway = gateway;
    this.drainTimeout = drainTimeout;
  }

  /** Starts a node and returns once the gateway serves. */
  public static Node start(NodeSettings settings) throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "pickspin", settings.config());
    joinCluster(system, settings);
    // closed in this order by close(), after the actor system has stopped
    List<AutoCloseable> started = new ArrayList<>(List.of(DeadMemberDowning.start(system, settings.deadMemberDowning())));
    LocalSims sims = null;
    try {
      settings.journal().prepare(system).toCompletableFuture().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      sims = LocalSims.init(system, settings);
      Catalog catalog = sims.catalog();
      KamonMetrics metrics = settings.metrics().enabled() ? KamonMetrics.start(settings.config(), settings.metrics()) : null;
      if (metrics != null) started.add(metrics);
      Spin spin = Spin.init(system, settings, catalog);
      started.add(spin.driver());
      Pick pick = Pick.init(settings, catalog, spin.load(), metrics != null);
      started.add(pick.complexity());
      Operate operate = Operate.init(system, settings, catalog, spin, metrics != null);
      operate.adminApi().ifPresent(started::add);
      Gateway gateway = Serve.init(system, settings, catalog, spin, pick, operate, metrics != null).orElse(null);
      stopInOrder(system, gateway, settings.drainTimeout(), sims, spin.monitor());
      log.info(
          "node up: journal {}, driver {}, roles {}, {} models, {}",
          settings.journal().name().toLowerCase(Locale.ROOT),
          spin.driver().name(),
          settings.roles(),
          catalog.models().size(),
          gateway == null
              ? "no gateway"
              : "OpenAI API on " + settings.gateway().scheme() + "://" + settings.gateway().host() + ":" + gateway.port()
                  + "/v1 (auth " + settings.gateway().auth().name().toLowerCase(Locale.ROOT) + ")");
      return new Node(system, catalog, started, spin, pick, operate, gateway, settings.drainTimeout());
    } catch (Exception e) {
      for (AutoCloseable c : started) closeQuietly(c);
      if (sims != null) sims.close();
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      throw e;
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing {} failed: {}", c, e.toString());
    }
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
      ActorSystem<?> system, Gateway gateway, Duration drain, LocalSims sims, ActorRef<PoolMonitor.Command> monitor) {
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
          sims.close();
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

  /** Without seed nodes the node forms a cluster of one with itself, whatever port it bound. */
  private static void joinCluster(ActorSystem<?> system, NodeSettings settings) {
    if (settings.seedNodes().isEmpty()) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
  }

  /** The gateway's port, or -1 on a node without the gateway role. */
  public int gatewayPort() {
    return gateway == null ? -1 : gateway.port();
  }

  /** The admin API's port, or -1 when it is disabled. */
  public int adminPort() {
    return operate.adminPort();
  }

  public Catalog catalog() {
    return catalog;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public PoolLeases leases() {
    return spin.leases();
  }

  public PoolMonitor.Board pools() {
    return spin.pools();
  }

  public RoutingDefaults routingDefaults() {
    return operate.routingDefaults();
  }

  public ComplexityRoutingPolicy routing() {
    return pick.complexity();
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
