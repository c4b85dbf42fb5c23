package io.pickspin.cluster;

import io.pickspin.actors.AdminAudit;
import io.pickspin.http.RoutingDefaults;
import io.pickspin.http.admin.AdminApi;
import io.pickspin.http.admin.AdminSettings;
import io.pickspin.http.admin.RoutingDefaultsSync;
import io.pickspin.http.metrics.PoolMetricsReporter;
import io.pickspin.model.Catalog;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * Operations: the pool metrics reporter (when metrics are on), the admin audit trail, this node's routing defaults and
 * their cluster-wide sync, and the audited admin API (when enabled).
 *
 * @param routingDefaults the profile and router of requests that name none; the admin API may switch them
 * @param adminApi unbinds the admin API; empty when it is disabled
 */
record Operate(RoutingDefaults routingDefaults, Optional<AutoCloseable> adminApi) {

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
    RoutingDefaults routingDefaults = RoutingDefaults.of(settings.routing());
    ActorRef<RoutingDefaultsSync.Command> defaultsSync =
        RoutingDefaultsSync.start(system, routingDefaults, audit, admin.auditKeep(), admin.askTimeout());
    if (!admin.enabled()) return new Operate(routingDefaults, Optional.empty());
    AdminApi api =
        AdminApi.start(
                system,
                admin,
                new AdminApi.Deps(
                    catalog, spin.pools(), spin.leases()::pool, spin.leases().supervisor(), audit, defaultsSync,
                    routingDefaults, settings.spin().scaling(), controlRole))
            .toCompletableFuture()
            .get(Node.START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    return new Operate(
        routingDefaults,
        Optional.of(
            () -> {
              // after a normal stop the actor system is gone and took the binding with it; unbinding then only fails
              if (!system.whenTerminated().isCompleted()) api.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }));
  }
}
