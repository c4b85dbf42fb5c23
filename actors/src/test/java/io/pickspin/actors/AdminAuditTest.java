package io.pickspin.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.pickspin.scaling.ManualClock;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin audit trail: persisted before a change is made, completed after, recovered after a restart. */
class AdminAuditTest {
  static final Config CONFIG =
      EventSourcedBehaviorTestKit.config().withFallback(PersistenceTestKitSnapshotPlugin.config());
  static final ActorTestKit testKit = ActorTestKit.create(CONFIG);
  static final int KEEP = 3;

  final ManualClock clock = new ManualClock(1_700_000_000_000L);
  EventSourcedBehaviorTestKit<AdminAudit.Command, AdminAudit.Event, AdminAudit.State> kit;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    // the kit checks that every command, event and state survives serialization (Jackson CBOR)
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), AdminAudit.create(clock, KEEP));
    kit.clear();
  }

  static AdminAudit.Change change(String action, String target) {
    return new AdminAudit.Change("token:1a2b3c4d", "127.0.0.1", action, target, "{\"max\":3}");
  }

  AdminAudit.Entry record(AdminAudit.Change c) {
    EventSourcedBehaviorTestKit.CommandResultWithReply<
            AdminAudit.Command, AdminAudit.Event, AdminAudit.State, StatusReply<AdminAudit.Entry>>
        r = kit.runCommand(replyTo -> new AdminAudit.Record(c, replyTo));
    assertInstanceOf(AdminAudit.ChangeRequested.class, r.event(), "persisted before the reply");
    return r.reply().getValue();
  }

  @Test
  void aChangeIsPersistedAsPendingThenCompletedWithItsOutcome() {
    AdminAudit.Entry e = record(change("set-limits", "demo-small"));
    assertEquals(1, e.id());
    assertEquals(AdminAudit.PENDING, e.outcome());
    assertEquals(clock.millis(), e.atMs());
    assertEquals("demo-small", e.change().target());

    clock.advance(java.time.Duration.ofMillis(250));
    var done = kit.<StatusReply<Done>>runCommand(replyTo -> new AdminAudit.Complete(e.id(), "applied", replyTo));
    assertTrue(done.reply().isSuccess());
    AdminAudit.ChangeCompleted completed = done.eventOfType(AdminAudit.ChangeCompleted.class);
    assertEquals(e.id(), completed.id());

    AdminAudit.Entry after = kit.getState().recent().get(0);
    assertEquals("applied", after.outcome());
    assertEquals(e.atMs() + 250, after.completedAtMs());
  }

  @Test
  void recentEntriesComeNewestFirstAndTheStateKeepsOnlyTheLatestButIdsKeepCounting() {
    for (int i = 1; i <= 5; i++) record(change("replica-mode", "m/r" + i));
    var r = kit.<AdminAudit.Entries>runCommand(replyTo -> new AdminAudit.GetRecent(10, replyTo));
    assertTrue(r.hasNoEvents());
    List<AdminAudit.Entry> entries = r.reply().entries();
    assertEquals(List.of(5L, 4L, 3L), entries.stream().map(AdminAudit.Entry::id).toList());
    assertEquals(5, r.reply().total());
    assertEquals(
        List.of(5L), kit.<AdminAudit.Entries>runCommand(to -> new AdminAudit.GetRecent(1, to)).reply().entries().stream().map(AdminAudit.Entry::id).toList());
  }

  @Test
  void completingAnUnknownChangeIsAnErrorAndPersistsNothing() {
    record(change("leave-node", "pekko://pickspin@127.0.0.1:25521"));
    var r = kit.<StatusReply<Done>>runCommand(replyTo -> new AdminAudit.Complete(7, "applied", replyTo));
    assertTrue(r.reply().isError());
    assertTrue(r.hasNoEvents());
  }

  @Test
  void theTrailSurvivesARestart() {
    AdminAudit.Entry first = record(change("routing-defaults", "routing"));
    kit.<StatusReply<Done>>runCommand(replyTo -> new AdminAudit.Complete(first.id(), "failed: timeout", replyTo));
    record(change("set-limits", "demo-large"));

    kit.restart();
    AdminAudit.State s = kit.getState();
    assertEquals(2, s.lastId());
    assertEquals("failed: timeout", s.recent().get(0).outcome());
    assertEquals(AdminAudit.PENDING, s.recent().get(1).outcome());
    assertEquals(3, record(change("set-limits", "demo-large")).id(), "ids continue after recovery");
  }
}
