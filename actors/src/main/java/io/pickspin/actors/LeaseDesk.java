package io.pickspin.actors;

import io.pickspin.pool.Lease;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.pool.Outcome;
import io.pickspin.pool.PoolException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * This node's counter for leases: it sends each request's Acquire to the model's pool with a ticket and asks again
 * when the cluster changes, so that no accepted request waits forever on a message that went to a node that just died.
 *
 * <p>An Acquire sent while the pool's node is dying is lost without a trace; the shard moves once the node is removed.
 * So every unanswered ticket (held or not) is re-sent when a member becomes unreachable or is removed, and, as a last
 * resort, once after the resend interval if the pool has neither answered nor confirmed the hold. Copies are harmless:
 * a pool ignores a ticket it already holds, and a grant for a ticket that was already answered is released at once.
 * Re-sends are rare on purpose: each copy that a live pool also serves costs a grant and a release.
 */
public final class LeaseDesk extends AbstractBehavior<LeaseDesk.Command> {
  public sealed interface Command {}

  /** Lease a replica for {@code request}; {@code result} completes with the lease or a {@link PoolException}. */
  public record Request(LeaseRequest request, CompletableFuture<Lease> result) implements Command {}

  private record Answered(ModelPool.AcquireReply reply) implements Command {}

  private enum Resend implements Command {
    INSTANCE
  }

  /** Sent by the cluster subscription (and by tests): a member became unreachable or was removed. */
  record MembershipChanged(Object event) implements Command {}

  private static final class Pending {
    final LeaseRequest request;
    final CompletableFuture<Lease> result;
    final long deadlineMs;
    long lastSentMs;
    boolean held;
    boolean resent;

    Pending(LeaseRequest request, CompletableFuture<Lease> result, long deadlineMs) {
      this.request = request;
      this.result = result;
      this.deadlineMs = deadlineMs;
    }
  }

  private final Function<String, RecipientRef<ModelPool.Command>> pools;
  private final Duration margin;
  private final Duration resendInterval;
  private final Clock clock;
  private final ActorRef<ModelPool.AcquireReply> replyTo;
  private final Map<Long, Pending> pending = new HashMap<>();
  // random start: tickets of different nodes' desks must not collide in a pool
  private long nextTicket = java.util.concurrent.ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE / 2);

  public static Behavior<Command> create(
      Function<String, RecipientRef<ModelPool.Command>> pools, Duration margin, Duration resendInterval, Clock clock) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  // deadlines are checked on this tick too, so it is finer than the resend interval
                  timers.startTimerWithFixedDelay(Resend.INSTANCE, Duration.ofMillis(100));
                  return new LeaseDesk(ctx, pools, margin, resendInterval, clock);
                }));
  }

  private LeaseDesk(
      ActorContext<Command> ctx,
      Function<String, RecipientRef<ModelPool.Command>> pools,
      Duration margin,
      Duration resendInterval,
      Clock clock) {
    super(ctx);
    this.pools = pools;
    this.margin = margin;
    this.resendInterval = resendInterval;
    this.clock = clock;
    this.replyTo = ctx.messageAdapter(ModelPool.AcquireReply.class, Answered::new);
    if (ctx.getSystem().settings().classicSettings().HasCluster()) {
      Cluster cluster = Cluster.get(ctx.getSystem());
      cluster.subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.MemberRemoved.class, MembershipChanged::new), ClusterEvent.MemberRemoved.class));
      cluster.subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.UnreachableMember.class, MembershipChanged::new), ClusterEvent.UnreachableMember.class));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Request.class, this::onRequest)
        .onMessage(Answered.class, a -> onAnswer(a.reply()))
        .onMessageEquals(Resend.INSTANCE, this::onResend)
        .onMessage(MembershipChanged.class, m -> onMembershipChanged())
        .build();
  }

  private Behavior<Command> onRequest(Request r) {
    long ticket = nextTicket++;
    long now = clock.millis();
    Pending p = new Pending(r.request(), r.result(), now + r.request().maxWait().plus(margin).toMillis());
    pending.put(ticket, p);
    send(ticket, p, now);
    return this;
  }

  private void send(long ticket, Pending p, long now) {
    p.lastSentMs = now;
    pools.apply(p.request.model()).tell(new ModelPool.Acquire(p.request, ticket, replyTo));
  }

  private Behavior<Command> onAnswer(ModelPool.AcquireReply reply) {
    if (reply instanceof ModelPool.Held h) {
      Pending p = pending.get(h.ticket());
      if (p != null) p.held = true;
    } else if (reply instanceof ModelPool.Granted g) {
      Pending p = pending.remove(g.ticket());
      if (p == null || !p.result.complete(g.lease())) {
        // a second grant for a re-sent ticket, or one that came after the request gave up: give the slot back
        pools.apply(g.lease().model()).tell(new ModelPool.Release(g.lease(), Outcome.failure(0, "abandoned", false)));
      }
    } else if (reply instanceof ModelPool.Refused f) {
      Pending p = pending.remove(f.ticket());
      if (p != null) p.result.completeExceptionally(f.toException());
    }
    return this;
  }

  private Behavior<Command> onResend() {
    long now = clock.millis();
    for (Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Pending> e = it.next();
      Pending p = e.getValue();
      if (p.result.isDone()) {
        it.remove();
      } else if (now >= p.deadlineMs) {
        it.remove();
        p.result.completeExceptionally(
            new PoolException(
                PoolException.Reason.TIMED_OUT,
                "the pool of model " + p.request.model() + " did not answer within " + (p.deadlineMs - p.lastSentMs) + " ms",
                1));
      } else if (!p.held && !p.resent && now - p.lastSentMs >= resendInterval.toMillis()) {
        p.resent = true;
        send(e.getKey(), p, now);
      }
    }
    return this;
  }

  /** A member left or became unreachable: the pool of any unanswered ticket may have gone with it, so ask again. */
  private Behavior<Command> onMembershipChanged() {
    long now = clock.millis();
    pending.forEach(
        (ticket, p) -> {
          if (!p.result.isDone()) send(ticket, p, now);
        });
    return this;
  }
}
