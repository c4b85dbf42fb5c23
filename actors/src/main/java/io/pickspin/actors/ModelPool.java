package io.pickspin.actors;

import io.pickspin.CborSerializable;
import io.pickspin.model.ModelSpec;
import io.pickspin.pool.HealthProbe;
import io.pickspin.pool.Lease;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.pool.Outcome;
import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolException;
import io.pickspin.pool.PoolSettings;
import io.pickspin.pool.PoolStatus;
import io.pickspin.scaling.ArrivalStats;
import io.pickspin.scaling.ScalingSettings;
import io.pickspin.scaling.Telemetry;
import io.pickspin.scaling.driver.ReplicaStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;

/**
 * The replicas of one model, as a Cluster Sharding entity (entity id = model id) around {@link PoolCore}: leases
 * (least outstanding requests), the bounded hold queue, health checks. The scaling supervisor feeds it the driver's
 * replica list and its target, and reads its telemetry every tick; a request held while nothing serves nudges the
 * supervisor so that a model at zero starts at once instead of at the next tick.
 *
 * <p>Its state is soft: after a rebalance the new incarnation learns the replicas at the supervisor's next tick, and
 * releases of leases granted by the old one are ignored.
 */
public final class ModelPool extends AbstractBehavior<ModelPool.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "ModelPool");

  public sealed interface Command {}

  /**
   * Lease a replica; the answer comes at once, or when the request leaves the hold queue. A non-zero ticket makes a
   * re-sent Acquire harmless: while the ticket is held the copy is ignored, the pool confirms the hold with
   * {@link Held}, and every answer carries the ticket (see {@link LeaseDesk}).
   */
  public record Acquire(LeaseRequest request, long ticket, ActorRef<AcquireReply> replyTo) implements Command, CborSerializable {
    public Acquire(LeaseRequest request, ActorRef<AcquireReply> replyTo) {
      this(request, 0, replyTo);
    }
  }

  public record Release(Lease lease, Outcome outcome) implements Command, CborSerializable {}

  /** The driver's full list of this model's replicas. */
  public record ReplicasChanged(List<ReplicaStatus> replicas) implements Command, CborSerializable {}

  /** The supervisor's desired count and the model's maximum (an operator may have changed it). */
  public record ScalingTarget(int desired, int maxReplicas) implements Command, CborSerializable {}

  public record GetTelemetry(ActorRef<Telemetry> replyTo) implements Command, CborSerializable {}

  public record GetStatus(ActorRef<PoolStatus> replyTo) implements Command, CborSerializable {}

  /** An operator drains, pins or restores one replica (admin API); answered with the pool's status after the change. */
  public record SetReplicaMode(String replicaId, PoolCore.Mode mode, ActorRef<StatusReply<PoolStatus>> replyTo)
      implements Command, CborSerializable {}

  /**
   * The operator modes the scaling supervisor persisted for this model (replicas not named are NORMAL), sent every
   * tick while any is set: a new incarnation of the pool starts with every replica NORMAL.
   */
  public record OperatorModes(Map<String, PoolCore.Mode> modes) implements Command, CborSerializable {}

  enum HealthTick implements Command {
    INSTANCE
  }

  enum ExpireHeld implements Command {
    INSTANCE
  }

  record HealthChecked(String replicaId, boolean ok) implements Command {}

  public sealed interface AcquireReply extends CborSerializable {}

  public record Granted(Lease lease, long ticket) implements AcquireReply {
    public Granted(Lease lease) {
      this(lease, 0);
    }
  }

  /** The request is in the hold queue (sent only for a non-zero ticket). */
  public record Held(long ticket) implements AcquireReply {}

  public record Refused(PoolException.Reason reason, String message, int retryAfterSeconds, long ticket)
      implements AcquireReply {
    public Refused(PoolException.Reason reason, String message, int retryAfterSeconds) {
      this(reason, message, retryAfterSeconds, 0);
    }

    public PoolException toException() {
      return new PoolException(reason, message, retryAfterSeconds);
    }
  }

  /**
   * What every pool of a node shares.
   *
   * @param supervisor where to nudge when a request is held; null when nothing scales (tests)
   */
  public record Deps(
      PoolSettings pool,
      ScalingSettings scaling,
      HealthProbe probe,
      Clock clock,
      ActorRef<ScalingSupervisor.Command> supervisor) {}

  /** The pool of {@code spec}, or, for an id the catalogue does not know, a pool that refuses everything. */
  public static Behavior<Command> create(String modelId, Optional<ModelSpec> spec, Deps deps) {
    return spec.map(s -> create(s, deps)).orElseGet(() -> unknownModel(modelId));
  }

  public static Behavior<Command> create(ModelSpec spec, Deps deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new ModelPool(ctx, timers, spec, deps)));
  }

  private static Behavior<Command> unknownModel(String modelId) {
    String message = "unknown model " + modelId;
    return Behaviors.receive(Command.class)
        .onMessage(
            Acquire.class,
            a -> {
              a.replyTo().tell(new Refused(PoolException.Reason.UNAVAILABLE, message, 60));
              return Behaviors.same();
            })
        .onMessage(
            GetStatus.class,
            g -> {
              g.replyTo().tell(new PoolStatus(modelId, 0, 0, 0, 0, List.of()));
              return Behaviors.same();
            })
        .onMessage(
            SetReplicaMode.class,
            m -> {
              m.replyTo().tell(StatusReply.error(message));
              return Behaviors.same();
            })
        .build();
  }

  private final TimerScheduler<Command> timers;
  private final ModelSpec spec;
  private final Deps deps;
  private final PoolCore<Ticket> core;
  private final java.util.Set<Long> heldTickets = new java.util.HashSet<>();
  private final Set<String> checking = new HashSet<>();

  private ModelPool(ActorContext<Command> ctx, TimerScheduler<Command> timers, ModelSpec spec, Deps deps) {
    super(ctx);
    this.timers = timers;
    this.spec = spec;
    this.deps = deps;
    this.core =
        new PoolCore<>(
            spec,
            deps.pool(),
            new ArrivalStats(deps.scaling().telemetryWindow()),
            spec.latency().serviceMs(deps.scaling().assumedOutputTokens()),
            ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE / 2));
    if (!deps.pool().healthInterval().isZero()) {
      timers.startTimerWithFixedDelay(HealthTick.INSTANCE, deps.pool().healthInterval());
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Acquire.class, this::onAcquire)
        .onMessage(Release.class, r -> answer(core.release(r.lease(), r.outcome(), now())))
        .onMessage(ReplicasChanged.class, r -> answer(core.updateReplicas(r.replicas(), now())))
        .onMessage(ScalingTarget.class, t -> answer(core.setTarget(t.desired(), t.maxReplicas(), now())))
        .onMessage(ExpireHeld.class, e -> answer(core.expire(now())))
        .onMessage(SetReplicaMode.class, this::onSetReplicaMode)
        .onMessage(OperatorModes.class, this::onOperatorModes)
        .onMessage(HealthTick.class, t -> onHealthTick())
        .onMessage(HealthChecked.class, this::onHealthChecked)
        .onMessage(
            GetTelemetry.class,
            g -> {
              g.replyTo().tell(core.telemetry(now()));
              return this;
            })
        .onMessage(
            GetStatus.class,
            g -> {
              g.replyTo().tell(core.status());
              return this;
            })
        .onSignal(PostStop.class, s -> onStop())
        .build();
  }

  /** Stopped by a rebalance, passivation or shutdown: held requests hear it now and can retry on the new pool. */
  private Behavior<Command> onStop() {
    String why = "the pool of model " + spec.id() + " stopped (moved or shut down)";
    send(core.refuseAllHeld(PoolException.Reason.UNAVAILABLE, why, now()));
    return this;
  }

  private Behavior<Command> onAcquire(Acquire a) {
    if (a.ticket() != 0 && heldTickets.contains(a.ticket())) return this; // a re-sent copy of a held request
    Ticket ticket = new Ticket(a.ticket(), a.replyTo());
    Optional<PoolCore.Reply<Ticket>> reply = core.acquire(a.request(), ticket, now());
    if (reply.isPresent()) return answer(List.of(reply.get()));
    if (a.ticket() != 0) {
      heldTickets.add(a.ticket());
      a.replyTo().tell(new Held(a.ticket()));
    }
    // the first held request means no replica has room: let the supervisor plan now rather than at its next tick
    if (core.heldCount() == 1 && deps.supervisor() != null) {
      deps.supervisor().tell(new ScalingSupervisor.Nudge(spec.id()));
    }
    return answer(List.of());
  }

  private Behavior<Command> onSetReplicaMode(SetReplicaMode m) {
    List<PoolCore.Reply<Ticket>> served;
    try {
      served = core.setMode(m.replicaId(), m.mode(), now());
    } catch (NoSuchElementException e) {
      m.replyTo().tell(StatusReply.error(e.getMessage()));
      return this;
    }
    getContext().getLog().info("model {}: replica {} set to {} by an operator", spec.id(), m.replicaId(), m.mode());
    answer(served);
    m.replyTo().tell(StatusReply.success(core.status()));
    return this;
  }

  private Behavior<Command> onOperatorModes(OperatorModes m) {
    for (PoolStatus.ReplicaView r : core.status().replicas()) {
      PoolCore.Mode wanted = m.modes().getOrDefault(r.id(), PoolCore.Mode.NORMAL);
      if (r.mode() == wanted) continue;
      getContext().getLog().info("model {}: replica {} set to {} (restored from the supervisor)", spec.id(), r.id(), wanted);
      answer(core.setMode(r.id(), wanted, now()));
    }
    return this;
  }

  private Behavior<Command> onHealthTick() {
    for (ReplicaStatus r : core.healthCheckTargets()) {
      if (!checking.add(r.replicaId())) continue;
      getContext()
          .pipeToSelf(
              check(r),
              (ok, error) -> new HealthChecked(r.replicaId(), error == null && Boolean.TRUE.equals(ok)));
    }
    return this;
  }

  /** The probe's answer, failed rather than thrown, and bounded in time so that a stuck probe cannot stop checks. */
  private CompletableFuture<Boolean> check(ReplicaStatus r) {
    Duration timeout = deps.pool().healthTimeout();
    try {
      return deps.probe()
          .check(r.endpoint(), timeout)
          .toCompletableFuture()
          .orTimeout(2 * timeout.toMillis() + 100, TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private Behavior<Command> onHealthChecked(HealthChecked h) {
    checking.remove(h.replicaId());
    if (!h.ok()) getContext().getLog().warn("model {}: replica {} failed its health check", spec.id(), h.replicaId());
    return answer(core.healthChecked(h.replicaId(), h.ok(), now()));
  }

  /** Sends the replies a core call produced and re-arms the timer of the earliest hold deadline. */
  private Behavior<Command> answer(List<PoolCore.Reply<Ticket>> replies) {
    send(replies);
    long deadline = core.nextDeadlineMs();
    if (deadline < 0) {
      timers.cancel(ExpireHeld.INSTANCE);
    } else {
      timers.startSingleTimer(ExpireHeld.INSTANCE, Duration.ofMillis(Math.max(0, deadline - now())));
    }
    return this;
  }

  private void send(List<PoolCore.Reply<Ticket>> replies) {
    for (PoolCore.Reply<Ticket> r : replies) {
      if (r instanceof PoolCore.Granted<Ticket> g) {
        heldTickets.remove(g.handle().id());
        g.handle().replyTo().tell(new Granted(g.lease(), g.handle().id()));
      } else if (r instanceof PoolCore.Refused<Ticket> f) {
        heldTickets.remove(f.handle().id());
        PoolException e = f.error();
        f.handle().replyTo().tell(new Refused(e.reason(), e.getMessage(), e.retryAfterSeconds(), f.handle().id()));
      }
    }
  }

  /** Who waits for a lease: the requester's ticket (0 = none) and where to answer. */
  record Ticket(long id, ActorRef<AcquireReply> replyTo) {}

  private long now() {
    return deps.clock().millis();
  }
}
