package io.pickspin.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pickspin.http.Gateway;
import io.pickspin.http.GatewaySettings;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.persistence.Journal;
import io.pickspin.pool.StaticLeaseProvider;
import io.pickspin.routing.StaticRoutingPolicy;
import io.pickspin.sim.server.SimModel;
import io.pickspin.sim.server.SimServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
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

  private final ActorSystem<Void> system;
  private final Catalog catalog;
  private final List<SimServer> simServers;
  private final Gateway gateway;

  private Node(ActorSystem<Void> system, Catalog catalog, List<SimServer> simServers, Gateway gateway) {
    this.system = system;
    this.catalog = catalog;
    this.simServers = simServers;
    this.gateway = gateway;
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
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "pickspin", config);
    joinCluster(system, config);
    List<SimServer> sims = new ArrayList<>();
    try {
      journal.prepare(system).toCompletableFuture().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      Catalog catalog = Catalog.fromConfig(startSimBackends(system, config.getConfigList("pickspin.models"), sims));
      Gateway gateway =
          Gateway.start(
                  system,
                  GatewaySettings.fromConfig(config.getConfig("pickspin")),
                  catalog,
                  new StaticRoutingPolicy(catalog),
                  new StaticLeaseProvider(catalog))
              .toCompletableFuture()
              .get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      log.info(
          "node up: journal {}, {} models, OpenAI API on http://{}:{}/v1",
          journal.name().toLowerCase(),
          catalog.models().size(),
          config.getString("pickspin.gateway.host"),
          gateway.port());
      return new Node(system, catalog, sims, gateway);
    } catch (Exception e) {
      sims.forEach(SimServer::close);
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** Seed nodes from configuration; none means a single node that joins itself (see {@link #joinCluster}). */
  private static Config withSeedNodes(Config app, Config settings) {
    return app.withValue(
        "pekko.cluster.seed-nodes",
        ConfigValueFactory.fromIterable(csv(settings.getString("pickspin.node.seed-nodes"))));
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

  public int gatewayPort() {
    return gateway.port();
  }

  public Catalog catalog() {
    return catalog;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** Stops serving, then leaves the cluster and stops the actor system. */
  @Override
  public void close() {
    try {
      gateway.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("gateway did not stop cleanly: {}", e.toString());
    }
    simServers.forEach(SimServer::close);
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("actor system did not terminate cleanly: {}", e.toString());
    }
  }

}
