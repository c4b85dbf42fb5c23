package io.pickspin.actors;

import io.pickspin.keys.KeyGuard;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A gateway node's link to the {@link ApiKeyStore}: every interval it sends this node's {@link KeyGuard} report and
 * gives the guard the store's answer (the key list when it changed, lifetime usage, the other nodes' window counts).
 * An unanswered report is sent again, with what came since, the next time.
 */
public final class KeySync {
  private KeySync() {}

  public sealed interface Command {}

  /** Report now, e.g. at start or after a key changed. */
  public enum Now implements Command {
    INSTANCE
  }

  private record Answered(ApiKeyStore.Synced synced, Throwable error) implements Command {}

  /**
   * @param interval how often this node reports; a limit can be overshot by what the other nodes admit within about
   *     one interval
   */
  public static Behavior<Command> create(ActorRef<ApiKeyStore.Command> store, KeyGuard guard, Duration interval) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Now.INSTANCE, interval);
                  ctx.getSelf().tell(Now.INSTANCE);
                  return idle(ctx, store, guard, interval);
                }));
  }

  private static Behavior<Command> idle(
      ActorContext<Command> ctx, ActorRef<ApiKeyStore.Command> store, KeyGuard guard, Duration interval) {
    String node = Cluster.get(ctx.getSystem()).selfMember().address().toString();
    return Behaviors.receive(Command.class)
        .onMessage(
            Now.class,
            n -> {
              var reports = guard.report();
              ctx.ask(
                  ApiKeyStore.Synced.class,
                  store,
                  // a lost answer must not hold the next report back for long
                  interval.multipliedBy(3).plusSeconds(1),
                  r -> new ApiKeyStore.Sync(node, guard.version(), reports, r),
                  Answered::new);
              return waiting(ctx, store, guard, interval);
            })
        .onMessage(Answered.class, a -> Behaviors.same())
        .build();
  }

  /** A report is out: further ticks wait for its answer, so that the guard never has two reports in flight. */
  private static Behavior<Command> waiting(
      ActorContext<Command> ctx, ActorRef<ApiKeyStore.Command> store, KeyGuard guard, Duration interval) {
    return Behaviors.receive(Command.class)
        .onMessage(Now.class, n -> Behaviors.same())
        .onMessage(
            Answered.class,
            a -> {
              if (a.error() != null) {
                guard.reportFailed();
                ctx.getLog().debug("the key store did not take this node's report: {}", a.error().toString());
              } else {
                ApiKeyStore.Synced s = a.synced();
                guard.reported(s.version(), s.keys(), s.storedTokens(), s.others());
              }
              return idle(ctx, store, guard, interval);
            })
        .build();
  }
}
