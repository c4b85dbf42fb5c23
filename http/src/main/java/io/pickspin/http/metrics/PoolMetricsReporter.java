package io.pickspin.http.metrics;

import io.pickspin.actors.PoolMonitor;
import io.pickspin.actors.ScalingSupervisor;
import io.pickspin.http.status.ClusterView;
import io.pickspin.http.status.OpsJson;
import io.pickspin.model.Catalog;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import kamon.Kamon;
import kamon.tag.TagSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Turns the pool board and the scaling supervisor's decisions into Prometheus series (see {@link PoolGauges} and
 * {@code pickspin_scale_events_total{model,direction,reason}}). Every node sees every pool, so only the node that
 * hosts the scaling supervisor reports them; a node that loses that role removes its series.
 */
public final class PoolMetricsReporter {
  public sealed interface Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  /** The answer to read number {@code seq}; decisions null when the supervisor did not answer. */
  private record DecisionsRead(long seq, List<ScalingSupervisor.ScaleDecided> decisions) implements Command {}

  private PoolMetricsReporter() {}

  /**
   * @param supervisor the scaling supervisor (singleton proxy)
   * @param singletonRole the role the supervisor singleton runs on ("" = any member)
   * @param recentDecisions how many of the supervisor's latest decisions to read each time
   */
  public static Behavior<Command> create(
      Catalog catalog,
      PoolMonitor.Board board,
      ActorRef<ScalingSupervisor.Command> supervisor,
      String singletonRole,
      int recentDecisions,
      Duration interval,
      Clock clock) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
                  State state = new State(catalog, clock.millis());
                  return Behaviors.receive(Command.class)
                      .onMessageEquals(
                          Tick.INSTANCE,
                          () -> {
                            state.tick(ctx, board, supervisor, singletonRole, recentDecisions, interval, clock.millis());
                            return Behaviors.same();
                          })
                      .onMessage(
                          DecisionsRead.class,
                          r -> {
                            state.count(r);
                            return Behaviors.same();
                          })
                      .build();
                }));
  }

  /** Mutable state, touched only on the actor's thread. */
  private static final class State {
    private final PoolGauges gauges;
    private final ScaleEvents events = new ScaleEvents();
    private final long startedAtMs;
    private boolean everReported;
    private long reads;
    private long lastCounted;

    State(Catalog catalog, long startedAtMs) {
      this.gauges = new PoolGauges(catalog);
      this.startedAtMs = startedAtMs;
    }

    void tick(
        ActorContext<Command> ctx,
        PoolMonitor.Board board,
        ActorRef<ScalingSupervisor.Command> supervisor,
        String role,
        int recent,
        Duration timeout,
        long nowMs) {
      if (!ClusterView.hostsSingleton(ctx.getSystem(), role)) {
        if (events.counting()) {
          ctx.getLog().info("metrics: the scaling supervisor moved away; this node stops reporting pool metrics");
          gauges.clear();
          events.stop();
        }
        return;
      }
      if (!events.counting()) {
        // the first host counts from its own start, a later one from the hand-over: the old host counted before
        events.start(everReported ? nowMs : startedAtMs);
        everReported = true;
      }
      gauges.update(board.snapshot(), nowMs);
      long seq = ++reads;
      ctx.ask(
          ScalingSupervisor.Decisions.class,
          supervisor,
          timeout,
          replyTo -> new ScalingSupervisor.RecentDecisions(recent, replyTo),
          (d, error) -> new DecisionsRead(seq, error == null ? d.decisions() : null));
    }

    void count(DecisionsRead r) {
      // an unanswered read says nothing; a late answer older than one already counted would count twice
      if (r.decisions() == null || r.seq() <= lastCounted) return;
      lastCounted = r.seq();
      for (ScalingSupervisor.ScaleDecided d : events.fresh(r.decisions())) {
        Kamon.counter("pickspin.scale.events")
            .withTags(
                TagSet.builder()
                    .add("model", d.model())
                    .add("direction", OpsJson.direction(d))
                    .add("reason", d.reason().label())
                    .build())
            .increment();
      }
    }
  }
}
