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
 * This node's counter for leases: it sends each request's Acquire to the model's pool with a ticket and keeps asking
 * until an answer comes, so that no accepted request waits forever on a message that went to a node that just died.
 *
 * <p>An Acquire sent while the pool's node is dying is lost without a trace; the shard moves once the node is removed.
 * So an unanswered ticket is re-sent every resend interval, and a ticket the pool confirmed as held is re-sent when a
 * member leaves or becomes unreachable (its pool may have gone with it). Copies are harmless: a pool ignores a ticket it
 * already holds, and a grant for a ticket that was already answered is released at once.
 */
public final class LeaseDesk extends AbstractBehavior<LeaseDesk.Command> {
  public sealed interface Command {}

  /** Lease a replica for {@code request}; {@code result} completes with the lease or a {@link PoolException}. */
  public record Request(LeaseRequest request, CompletableFuture<Lease> result) implements Command {}

  private record Answered(ModelPool.AcquireReply reply) implements Command {}

  private enum Resend implements Command {
    INSTANCE
  }

  private record MembershipChanged(ClusterEvent.ClusterDomainEvent event) implements Command {}

  private static final class Pending {
    final LeaseRequest request;
    final CompletableFuture<Lease> result;
    final long deadlineMs;
    long lastSentMs;
    boolean held;

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
  private long nextTicket = 1;

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
    if (ctx.getSystem().settings().config().getString("pekko.actor.provider").equals("cluster")) {
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
      } else if (!p.held && now - p.lastSentMs >= resendInterval.toMillis()) {
        send(e.getKey(), p, now);
      }
    }
    return this;
  }

  /** A member left or became unreachable: a held ticket's pool may have gone with it, so ask again. */
  private Behavior<Command> onMembershipChanged() {
    long now = clock.millis();
    pending.forEach(
        (ticket, p) -> {
          if (p.held && !p.result.isDone()) {
            p.held = false;
            send(ticket, p, now);
          }
        });
    return this;
  }
}
