package io.pickspin.cluster;

import io.pickspin.http.Gateway;
import io.pickspin.http.GatewayObserver;
import io.pickspin.http.metrics.KamonGatewayObserver;
import io.pickspin.http.status.StatusPage;
import io.pickspin.model.Catalog;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/** Serving: the OpenAI gateway with the status page beside it, on members with the gateway role. */
final class Serve {
  private Serve() {}

  /**
   * Starts the gateway and returns once it is bound; empty on a member without the gateway role.
   *
   * @param metrics Kamon is running
   */
  static Optional<Gateway> init(
      ActorSystem<?> system, NodeSettings settings, Catalog catalog, Spin spin, Pick pick, Operate operate, boolean metrics)
      throws Exception {
    if (!settings.servesGateway()) return Optional.empty();
    return Optional.of(
        Gateway.start(
                system,
                settings.gateway(),
                catalog,
                pick.routing(),
                spin.leases(),
                metrics ? new KamonGatewayObserver() : GatewayObserver.NONE,
                operate.routingDefaults(),
                StatusPage.pages(
                    system, catalog, spin.pools(), spin.leases().supervisor(), operate.routingDefaults(),
                    settings.spin().singletonRole(), settings.status()),
                new Gateway.Services(
                    operate.keys(),
                    settings.backendCredentials(),
                    new Readiness(system, catalog, spin.pools(), operate.keyStore(), settings.admin().askTimeout())::problems,
                    spin.load()))
            .toCompletableFuture()
            .get(Node.START_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
  }
}
