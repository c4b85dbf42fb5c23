package io.pickspin.actors;

import io.pickspin.pool.PoolStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Keeps this node's view of every model pool fresh: asks each pool for its {@link PoolStatus} on a fixed tick and
 * publishes the answers to a shared map that the status page, the metrics and the RL router read without asking an
 * actor on the request path. A pool that does not answer keeps its last status.
 */
public final class PoolMonitor {
  public sealed interface Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  /** Stops asking: the node is leaving, and asks to pools whose regions are shutting down only make dead letters. */
  public enum Stop implements Command {
    INSTANCE
  }

  private record StatusReceived(PoolStatus status) implements Command {}

  /** The latest status of each model's pool, by model id. Thread-safe. */
  public static final class Board {
    private final Map<String, PoolStatus> latest = new ConcurrentHashMap<>();

    public Map<String, PoolStatus> snapshot() {
      return Map.copyOf(latest);
    }

    public PoolStatus get(String model) {
      return latest.get(model);
    }

    void put(PoolStatus s) {
      latest.put(s.model(), s);
    }
  }

  private PoolMonitor() {}

  /**
   * @param onStatus also told of every fresh status (e.g. the RL router's load board), on the actor's thread
   */
  public static Behavior<Command> create(
      List<String> models,
      Function<String, RecipientRef<ModelPool.Command>> pools,
      Duration interval,
      Board board,
      BiConsumer<String, PoolStatus> onStatus) {
    return Behaviors.setup(
        ctx -> {
          var replyTo = ctx.messageAdapter(PoolStatus.class, StatusReceived::new);
          return Behaviors.withTimers(
              timers -> {
                timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
                return Behaviors.receive(Command.class)
                    .onMessageEquals(
                        Tick.INSTANCE,
                        () -> {
                          for (String m : models) pools.apply(m).tell(new ModelPool.GetStatus(replyTo));
                          return Behaviors.same();
                        })
                    .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
                    .onMessage(
                        StatusReceived.class,
                        r -> {
                          board.put(r.status());
                          onStatus.accept(r.status().model(), r.status());
                          return Behaviors.same();
                        })
                    .build();
              });
        });
  }
}
