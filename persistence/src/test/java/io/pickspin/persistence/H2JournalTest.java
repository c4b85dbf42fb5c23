package io.pickspin.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default journal keeps events across an actor system restart on the same file. */
class H2JournalTest {
  @TempDir Path dir;

  /** A counter persisted event by event: the smallest thing that proves the journal round-trips. */
  static final class Counter extends EventSourcedBehavior<Counter.Command, Integer, Integer> {
    sealed interface Command {}

    record Add(int n, ActorRef<Integer> replyTo) implements Command {}

    record Get(ActorRef<Integer> replyTo) implements Command {}

    Counter(String id) {
      super(PersistenceId.ofUniqueId(id));
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public CommandHandler<Command, Integer, Integer> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(Add.class, (s, c) -> Effect().persist(c.n()).thenReply(c.replyTo(), ns -> ns))
          .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s))
          .build();
    }

    @Override
    public EventHandler<Integer, Integer> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((s, e) -> s + e);
    }
  }

  private Config config() {
    Config app =
        ConfigFactory.parseMap(
                Map.of(
                    "pickspin.h2.file", dir.resolve("journal").toString(),
                    "pekko.actor.provider", "local",
                    "pekko.actor.allow-java-serialization", "on",
                    "pekko.actor.warn-about-java-serializer-usage", "off"))
            .withFallback(Journal.applicationLayer());
    return Journal.H2.configure(app, List.of());
  }

  private int run(java.util.function.BiFunction<ActorTestKit, ActorRef<Counter.Command>, Integer> body) throws Exception {
    ActorTestKit kit = ActorTestKit.create("h2", config());
    try {
      Journal.H2.prepare(kit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
      ActorRef<Counter.Command> counter = kit.spawn(new Counter("counter-1"));
      return body.apply(kit, counter);
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void eventsSurviveARestart() throws Exception {
    int afterFirstRun =
        run(
            (kit, counter) -> {
              TestProbe<Integer> probe = kit.createTestProbe();
              counter.tell(new Counter.Add(3, probe.getRef()));
              probe.expectMessage(Duration.ofSeconds(20), 3);
              counter.tell(new Counter.Add(4, probe.getRef()));
              return probe.expectMessageClass(Integer.class, Duration.ofSeconds(20));
            });
    assertEquals(7, afterFirstRun);
    int recovered =
        run(
            (kit, counter) -> {
              TestProbe<Integer> probe = kit.createTestProbe();
              counter.tell(new Counter.Get(probe.getRef()));
              return probe.expectMessageClass(Integer.class, Duration.ofSeconds(20));
            });
    assertEquals(7, recovered, "the second actor system must recover both events from the H2 file");
  }

  @Test
  void unknownJournalIsAClearError() {
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Journal.parse("mongo"));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("h2"), e.getMessage());
  }
}
