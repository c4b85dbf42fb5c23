package io.pickspin.http.status;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.actors.AdminAudit;
import io.pickspin.actors.ApiKeyStore;
import io.pickspin.actors.PoolLeases;
import io.pickspin.actors.PoolMonitor;
import io.pickspin.actors.SpinSettings;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.scaling.ScalingSettings;
import io.pickspin.testing.Eventually;
import io.pickspin.drivers.StaticDriver;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/**
 * A real one-node cluster for the ops tests: in-memory journal, the sharded pools and the scaling supervisor singleton
 * over a static driver, the pool monitor, and the admin audit singleton. Two models: "small" (2 replicas) and
 * "large" (1 replica); backends are never called (health checks always pass).
 */
public final class TestNode implements AutoCloseable {
  public static final String CONFIG =
      """
      pekko {
        loglevel = WARNING
        actor.provider = cluster
        remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
        cluster { seed-nodes = [], jmx.multi-mbeans-in-same-jvm = on }
        coordinated-shutdown.exit-jvm = off
        log-dead-letters = off
      }
      pickspin.scaling {
        tick-interval = 200ms
        telemetry-window = 1s
        cooldown = 1s
        idle-timeout = 2s
        warm-pool { low = 0, medium = 0, high = 0 }
      }
      pickspin.pool { monitor-interval = 100ms, health.interval = 0s }
      pickspin.admin.ask-timeout = 3s
      """;

  public final ActorSystem<Void> system;
  public final Catalog catalog = catalog();
  public final PoolLeases leases;
  public final PoolMonitor.Board board = new PoolMonitor.Board();
  public final ActorRef<AdminAudit.Command> audit;
  public final ActorRef<ApiKeyStore.Command> keyStore;
  public final ScalingSettings scaling;

  private TestNode(ActorSystem<Void> system) {
    this.system = system;
    this.scaling = ScalingSettings.fromConfig(system.settings().config().getConfig("pickspin.scaling"));
    this.leases =
        PoolLeases.start(
            system, SpinSettings.fromConfig(system.settings().config().getConfig("pickspin")), catalog, new StaticDriver(catalog),
            (e, t) -> CompletableFuture.completedFuture(true), Clock.systemUTC());
    system.systemActorOf(
        PoolMonitor.create(
            catalog.models().stream().map(ModelSpec::id).toList(), leases::pool, Duration.ofMillis(100), board, (m, s) -> {}),
        "pool-monitor",
        Props.empty());
    this.audit = AdminAudit.initSingleton(system, "", 100);
    this.keyStore = ApiKeyStore.initSingleton(system, "");
  }

  /** The test settings over pickspin-ops.conf and the module defaults. */
  public static Config config(String overrides) {
    return ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.parseString(CONFIG))
        .withFallback(ConfigFactory.parseResources("pickspin-ops.conf"))
        .withFallback(PersistenceTestKitPlugin.config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  /** Starts a node that forms a cluster of its own and waits until it is Up and the board knows both pools. */
  public static TestNode start(String name, String overrides) throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, config(overrides));
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    Eventually.await("member up", Duration.ofSeconds(20), () -> cluster.selfMember().status() == MemberStatus.up());
    TestNode node = new TestNode(system);
    Eventually.await(
        "pool statuses with replicas",
        Duration.ofSeconds(20),
        () ->
            node.catalog.models().stream()
                .allMatch(m -> node.board.get(m.id()) != null && !node.board.get(m.id()).replicas().isEmpty()));
    return node;
  }

  public static Catalog catalog() {
    return new Catalog(
        List.of(
            model("small", Tier.LOW, 1, "small-0", "small-1"),
            model("large", Tier.HIGH, 4, "large-0")));
  }

  private static ModelSpec model(String id, Tier tier, int gpus, String... replicas) {
    List<BackendEndpoint> backends =
        Arrays.stream(replicas)
            .map(r -> new BackendEndpoint(r, "sim", URI.create("http://127.0.0.1:9/" + r)))
            .toList();
    return new ModelSpec(id, tier, id, 0.5, gpus, 2.5, new LatencyProfile(50, 5, 4, 1000), 0, 4, backends);
  }

  @Override
  public void close() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
