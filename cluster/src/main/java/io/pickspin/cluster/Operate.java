package io.pickspin.cluster;

import io.pickspin.actors.AdminAudit;
import io.pickspin.actors.ApiKeyStore;
import io.pickspin.actors.KeySync;
import io.pickspin.http.RoutingDefaults;
import io.pickspin.http.admin.AdminApi;
import io.pickspin.http.admin.AdminSettings;
import io.pickspin.http.admin.RoutingDefaultsSync;
import io.pickspin.http.metrics.PoolMetricsReporter;
import io.pickspin.keys.KeyGuard;
import io.pickspin.model.Catalog;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * Operations: the pool metrics reporter (when metrics are on), the admin audit trail, the API key store and this
 * node's view of it, this node's routing defaults and their cluster-wide sync, and the audited admin API (when enabled).
 *
 * @param routingDefaults the profile and router of requests that name none; the admin API may switch them
 * @param keys this node's API keys and their usage, kept in step with the key store by {@link KeySync} on a gateway
 *     node
 * @param keyStore the API key store (singleton proxy)
 * @param audit the admin audit trail (singleton proxy)
 * @param adminApi unbinds the admin API; empty when it is disabled
 * @param adminPort the admin API's port, -1 when it is disabled
 */
record Operate(
    RoutingDefaults routingDefaults,
    KeyGuard keys,
    ActorRef<ApiKeyStore.Command> keyStore,
    ActorRef<AdminAudit.Command> audit,
    Optional<AutoCloseable> adminApi,
    int adminPort) {

  /** @param metrics Kamon is running */
  static Operate init(ActorSystem<?> system, NodeSettings settings, Catalog catalog, Spin spin, boolean metrics)
      throws Exception {
    String controlRole = settings.spin().singletonRole();
    if (metrics) {
      system.systemActorOf(
          PoolMetricsReporter.create(
              catalog, spin.pools(), spin.leases().supervisor(), controlRole,
              Math.max(1, settings.spin().scaling().recentDecisions()), settings.metrics().poolInterval(),
              Clock.systemUTC()),
          "pool-metrics",
          Props.empty());
    }
    AdminSettings admin = settings.admin();
    ActorRef<AdminAudit.Command> audit = AdminAudit.initSingleton(system, controlRole, admin.auditKeep());
    ActorRef<ApiKeyStore.Command> keyStore = ApiKeyStore.initSingleton(system, controlRole);
    KeyGuard keys = new KeyGuard(Clock.systemUTC());
    if (settings.servesGateway()) {
      system.systemActorOf(KeySync.create(keyStore, keys, settings.gateway().keySyncInterval()), "key-sync", Props.empty());
    }
    RoutingDefaults routingDefaults = RoutingDefaults.of(settings.routing());
    ActorRef<RoutingDefaultsSync.Command> defaultsSync =
        RoutingDefaultsSync.start(system, routingDefaults, audit, admin.auditKeep(), admin.askTimeout());
    if (!admin.enabled()) return new Operate(routingDefaults, keys, keyStore, audit, Optional.empty(), -1);
    AdminApi api =
        AdminApi.start(
                system,
                admin,
                new AdminApi.Deps(
                    catalog, spin.pools(), spin.leases()::pool, spin.leases().supervisor(), audit, defaultsSync,
                    routingDefaults, settings.spin().scaling(), controlRole, keyStore, keys))
            .toCompletableFuture()
            .get(Node.START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    return new Operate(
        routingDefaults,
        keys,
        keyStore,
        audit,
        Optional.of(
            () -> {
              // after a normal stop the actor system is gone and took the binding with it; unbinding then only fails
              if (!system.whenTerminated().isCompleted()) api.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }),
        api.port());
  }
}
