package io.pickspin.actors;

import io.pickspin.model.Catalog;
import io.pickspin.pool.HealthProbe;
import io.pickspin.pool.HttpHealthProbe;
import io.pickspin.pool.Lease;
import io.pickspin.pool.LeaseProvider;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.pool.Outcome;
import io.pickspin.scaling.driver.ReplicaDriver;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The gateway's {@link LeaseProvider} over the sharded {@link ModelPool} entities: acquire asks the model's pool and
 * waits the request's maxWait plus a margin (the pool answers first, with TIMED_OUT, when its hold deadline passes);
 * release tells it. {@link #start} wires the whole "spin" side of a node: the pools and the scaling supervisor.
 */
public final class PoolLeases implements LeaseProvider {
  private static final AtomicInteger DESKS = new AtomicInteger();

  private final Function<String, RecipientRef<ModelPool.Command>> pools;
  private final ActorRef<ScalingSupervisor.Command> supervisor;
  private final ActorRef<LeaseDesk.Command> desk;

  /**
   * @param pools the pool of a model id
   * @param margin an acquire waits the request's maxWait plus this
   * @param resendInterval see {@link SpinSettings#acquireResendInterval()}
   * @param supervisor the scaling supervisor (a singleton proxy in the cluster), for the admin API; may be null
   */
  public PoolLeases(
      ActorSystem<?> system,
      Function<String, RecipientRef<ModelPool.Command>> pools,
      Duration margin,
      Duration resendInterval,
      ActorRef<ScalingSupervisor.Command> supervisor) {
    this.pools = pools;
    this.supervisor = supervisor;
    this.desk =
        system.systemActorOf(
            LeaseDesk.create(pools, margin, resendInterval, Clock.systemUTC()),
            "lease-desk-" + DESKS.incrementAndGet(),
            Props.empty());
  }

  /**
   * Starts Cluster Sharding of {@link ModelPool} and the {@link ScalingSupervisor} singleton on this node and returns
   * the lease provider over them; replicas are health-checked over HTTP. Every node calls it with its own driver
   * instance; only the node hosting the singleton uses its driver to scale.
   */
  public static PoolLeases start(
      ActorSystem<?> system, SpinSettings settings, Catalog catalog, ReplicaDriver driver, Clock clock) {
    return start(system, settings, catalog, driver, new HttpHealthProbe(settings.pool().healthTimeout()), clock);
  }

  /** As {@link #start(ActorSystem, SpinSettings, Catalog, ReplicaDriver, Clock)}, with the given health probe. */
  public static PoolLeases start(
      ActorSystem<?> system, SpinSettings settings, Catalog catalog, ReplicaDriver driver, HealthProbe probe, Clock clock) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Function<String, RecipientRef<ModelPool.Command>> pools = id -> sharding.entityRefFor(ModelPool.TYPE_KEY, id);
    ActorRef<ScalingSupervisor.Command> supervisor =
        ClusterSingleton.get(system)
            .init(
                singletonOn(
                    system,
                    SingletonActor.of(
                            ScalingSupervisor.create(catalog, settings.scaling(), driver, pools, clock), "scaling-supervisor")
                        .withStopMessage(ScalingSupervisor.Stop.INSTANCE),
                    settings.singletonRole()));
    ModelPool.Deps deps = new ModelPool.Deps(settings.pool(), settings.scaling(), probe, clock, supervisor);
    sharding.init(
        Entity.of(
            ModelPool.TYPE_KEY,
            entity -> ModelPool.create(entity.getEntityId(), catalog.find(entity.getEntityId()), deps)));
    return new PoolLeases(
        system, pools, settings.pool().acquireMargin(), settings.acquireResendInterval(), supervisor);
  }

  /** Runs the singleton only on members with the role, when one is configured ("" = any member). */
  private static <T> SingletonActor<T> singletonOn(ActorSystem<?> system, SingletonActor<T> singleton, String role) {
    if (role.isEmpty()) return singleton;
    return singleton.withSettings(ClusterSingletonSettings.create(system).withRole(role));
  }

  @Override
  public CompletionStage<Lease> acquire(LeaseRequest request) {
    // completes with the PoolException itself (not wrapped), as StaticLeaseProvider does
    CompletableFuture<Lease> lease = new CompletableFuture<>();
    desk.tell(new LeaseDesk.Request(request, lease));
    return lease;
  }

  @Override
  public void release(Lease lease, Outcome outcome) {
    pools.apply(lease.model()).tell(new ModelPool.Release(lease, outcome));
  }

  /** The sharded pool of a model, for status queries. */
  public RecipientRef<ModelPool.Command> pool(String model) {
    return pools.apply(model);
  }

  /** The scaling supervisor, for the admin API; null if this provider was built without one. */
  public ActorRef<ScalingSupervisor.Command> supervisor() {
    return supervisor;
  }
}
