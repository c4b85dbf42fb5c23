package io.pickspin.cluster;

import static io.pickspin.settings.SettingsErrors.naming;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pickspin.actors.SpinSettings;
import io.pickspin.drivers.DriverSettings;
import io.pickspin.http.BackendCredentials;
import io.pickspin.http.GatewaySettings;
import io.pickspin.http.admin.AdminSettings;
import io.pickspin.http.metrics.MetricsSettings;
import io.pickspin.http.status.StatusPage;
import io.pickspin.model.Catalog;
import io.pickspin.persistence.Journal;
import io.pickspin.routing.RoutingSettings;
import io.pickspin.sim.server.SimSettings;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Everything a node is configured with, read once at start: each area's settings record from its own block, and the
 * actor system's config (the application layer over the journal's settings over every reference.conf, with the seed
 * nodes, roles and shutdown timeout the {@code pickspin.node} block asks for). Nothing after this reads the config.
 *
 * @param config the actor system's config; Pekko and Kamon read their own keys from it
 * @param seedNodes pekko://pickspin@host:port addresses; empty = this node forms a cluster of one
 * @param roles this member's cluster roles (gateway, control)
 * @param drainTimeout on a stop, how long requests in flight may take to finish before the node leaves
 * @param catalog the models; its local sims are not started yet
 * @param sim the settings of the local sims
 */
public record NodeSettings(
    Config config,
    Journal journal,
    List<String> seedNodes,
    List<String> roles,
    Duration drainTimeout,
    DeadMemberDowning.Settings deadMemberDowning,
    Catalog catalog,
    SimSettings sim,
    DriverSettings drivers,
    SpinSettings spin,
    RoutingSettings routing,
    GatewaySettings gateway,
    BackendCredentials backendCredentials,
    AdminSettings admin,
    MetricsSettings metrics,
    StatusPage.Settings status) {

  /** The role of members that serve the OpenAI API. */
  static final String GATEWAY_ROLE = "gateway";

  /** The coordinated-shutdown phase the gateway drains in; its timeout must outlast the drain. */
  private static final String DRAIN_PHASE_TIMEOUT = "pekko.coordinated-shutdown.phases.service-requests-done.timeout";

  public NodeSettings {
    seedNodes = List.copyOf(seedNodes);
    roles = List.copyOf(roles);
    if (drainTimeout.isNegative()) throw new IllegalArgumentException("pickspin.node.drain-timeout must be >= 0");
  }

  /**
   * Reads the settings of a node.
   *
   * @param app the application layer, unresolved: see {@link Journal#applicationLayer()}
   * @throws IllegalArgumentException naming the key, when a setting is missing or out of range
   */
  public static NodeSettings fromConfig(Config app) {
    Config layered = app.withFallback(ConfigFactory.defaultReference()).resolve();
    Journal journal = naming("pickspin.journal", () -> Journal.parse(layered.getString("pickspin.journal")));
    List<String> contactPoints =
        naming("pickspin.cassandra.contact-points", () -> csv(layered.getString("pickspin.cassandra.contact-points")));
    Config node = naming("pickspin.node", () -> layered.getConfig("pickspin.node"));
    List<String> seedNodes = naming("pickspin.node.seed-nodes", () -> csv(node.getString("seed-nodes")));
    List<String> roles = naming("pickspin.node.roles", () -> csv(node.getString("roles")));
    Duration drainTimeout = naming("pickspin.node.drain-timeout", () -> node.getDuration("drain-timeout"));

    Config config =
        drainPhaseLongEnough(
            journal.configure(
                app.withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seedNodes))
                    .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles)),
                contactPoints),
            drainTimeout);
    Config pickspin = config.getConfig("pickspin");
    return new NodeSettings(
        config,
        journal,
        seedNodes,
        roles,
        drainTimeout,
        naming(
            "pickspin.cluster.dead-member-downing",
            () -> DeadMemberDowning.Settings.fromConfig(pickspin.getConfig("cluster.dead-member-downing"))),
        naming("pickspin.models", () -> Catalog.fromConfig(pickspin.getConfigList("models"))),
        naming("pickspin.sim", () -> SimSettings.fromConfig(config)),
        DriverSettings.fromConfig(pickspin),
        SpinSettings.fromConfig(pickspin),
        naming("pickspin.routing", () -> RoutingSettings.fromConfig(pickspin.getConfig("routing"))),
        naming("pickspin.gateway", () -> GatewaySettings.fromConfig(pickspin)),
        naming("pickspin.models", () -> BackendCredentials.fromConfig(pickspin.getConfigList("models"))),
        naming("pickspin.admin", () -> AdminSettings.fromConfig(pickspin)),
        naming("pickspin.metrics", () -> MetricsSettings.fromConfig(pickspin)),
        naming("pickspin.status", () -> StatusPage.Settings.fromConfig(pickspin)));
  }

  /** True when this member serves the OpenAI API. */
  boolean servesGateway() {
    return roles.contains(GATEWAY_ROLE);
  }

  /** The drain phase's timeout must outlast the drain itself, or the node would leave with requests in flight. */
  private static Config drainPhaseLongEnough(Config config, Duration drain) {
    Duration needed = drain.plusSeconds(5);
    if (config.hasPath(DRAIN_PHASE_TIMEOUT) && config.getDuration(DRAIN_PHASE_TIMEOUT).compareTo(needed) >= 0) return config;
    return ConfigFactory.parseString(DRAIN_PHASE_TIMEOUT + " = " + needed.toMillis() + "ms").withFallback(config);
  }

  private static List<String> csv(String s) {
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }
}
