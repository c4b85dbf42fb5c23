package io.pickspin.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolStatus;
import io.pickspin.scaling.FakeReplicaDriver;
import io.pickspin.scaling.ManualClock;
import io.pickspin.scaling.ReplicaLimits;
import io.pickspin.scaling.ScaleReason;
import io.pickspin.scaling.ScalingSettings;
import io.pickspin.scaling.Telemetry;
import io.pickspin.scaling.TestModels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ScalingSupervisorTest {
  static final Config CONFIG =
      EventSourcedBehaviorTestKit.config().withFallback(PersistenceTestKitSnapshotPlugin.config());
  static final ActorTestKit testKit = ActorTestKit.create(CONFIG);
  static final String PID = ScalingSupervisor.PERSISTENCE_ID.id();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** c = 4, 2 s per request, up to 10 replicas. */
  static final ModelSpec MODEL = TestModels.model("m", Tier.MEDIUM, 2000, 4, 0, 10);
  static final Catalog CATALOG = new Catalog(List.of(MODEL));
  /** Snapshot every 2 events, window 60 s, cooldown 120 s, tau 300 s. */
  static final ScalingSettings SETTINGS = TestModels.paperLike();

  final ManualClock clock = new ManualClock(1_000_000);
  final FakeReplicaDriver.World world = new FakeReplicaDriver.World(Duration.ofMillis(50), Duration.ofMillis(20));
  final FakeReplicaDriver driver = new FakeReplicaDriver(world);
  final TestProbe<ModelPool.Command> poolInbox = testKit.createTestProbe();
  final AtomicReference<Telemetry> poolReading = new AtomicReference<>();
  PersistenceTestKit journal;
  EventSourcedBehaviorTestKit<ScalingSupervisor.Command, ScalingSupervisor.Event, ScalingSupervisor.State> kit;

  /** A pool that answers telemetry with {@link #poolReading} and forwards everything to {@link #poolInbox}. */
  Behavior<ModelPool.Command> stubPool() {
    return Behaviors.receive(ModelPool.Command.class)
        .onAnyMessage(
            m -> {
              poolInbox.getRef().tell(m);
              if (m instanceof ModelPool.GetTelemetry g && poolReading.get() != null) g.replyTo().tell(poolReading.get());
              if (m instanceof ModelPool.SetReplicaMode s) {
                s.replyTo().tell(StatusReply.success(new PoolStatus("m", 0, 0, 0, 0, List.of())));
              }
              return Behaviors.same();
            })
        .build();
  }

  Behavior<ScalingSupervisor.Command> supervisor() {
    ActorRef<ModelPool.Command> pool = testKit.spawn(stubPool());
    return ScalingSupervisor.create(CATALOG, SETTINGS, driver, id -> pool, clock);
  }

  @BeforeEach
  void setUp() {
    journal = PersistenceTestKit.create(testKit.system());
    journal.clearAll();
    SnapshotTestKit.create(testKit.system()).clearByPersistenceId(PID);
    driver.checkJournalWith(
        (model, n) ->
            journal.persistedInStorage(PID).stream()
                .anyMatch(e -> e instanceof ScalingSupervisor.ScaleDecided d && d.model().equals(model) && d.to() == n));
  }

  /** The supervisor under the event-sourced test kit, which also checks that events and state serialize. */
  void startKit() {
    kit =
        EventSourcedBehaviorTestKit.create(
            testKit.system(),
            supervisor(),
            EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyCommands(false));
  }

  @AfterEach
  void tearDown() {
    driver.close();
    world.close();
    if (kit != null) kit.clear();
  }

  /** The reading of a pool serving {@code ratePerSecond} requests of 2 s each, window full. */
  Telemetry load(double ratePerSecond, int ready) {
    long n = Math.round(ratePerSecond * 60);
    return new Telemetry("m", clock.millis(), 60_000, n, ratePerSecond, n, 2000, 0, 0, 0, ready, 0, clock.millis());
  }

  ScalingSupervisor.TelemetryReceived received(Telemetry t) {
    return new ScalingSupervisor.TelemetryReceived("m", t, null);
  }

  @Test
  void everyDecisionIsInTheJournalBeforeTheDriverIsAskedToCarryItOut() {
    startKit();
    var result = kit.runCommand(received(load(10, 0)));
    ScalingSupervisor.ScaleDecided d = result.eventOfType(ScalingSupervisor.ScaleDecided.class);
    // lambda 10/s x W 2 s / c 4 = 5
    assertEquals(0, d.from());
    assertEquals(5, d.to());
    assertEquals(ScaleReason.SCALE_FROM_ZERO, d.reason());
    assertEquals(20.0, d.inputs().demand(), 1e-9);
    assertEquals(10.0, d.inputs().telemetry().ratePerSecond(), 1e-9);
    assertEquals(5, result.state().desired("m"));
    awaitCalls(1);
    assertEquals(List.of(new FakeReplicaDriver.ScaleCall("m", 5, true)), driver.calls());

    clock.advance(Duration.ofSeconds(1));
    kit.runCommand(received(load(16, 5))); // 16 x 2 / 4 = 8
    awaitCalls(2);
    assertEquals(new FakeReplicaDriver.ScaleCall("m", 8, true), driver.calls().get(1));
  }

  @Test
  void aDecisionThatCannotBePersistedIsNotCarriedOut() {
    TestProbe<ScalingSupervisor.State> state = testKit.createTestProbe();
    ActorRef<ScalingSupervisor.Command> sup = testKit.spawn(supervisor());
    journal.failNextPersisted(PID);
    sup.tell(received(load(10, 0)));
    state.expectNoMessage(Duration.ofMillis(300));
    assertTrue(driver.calls().isEmpty(), "driver called although the journal refused: " + driver.calls());
    // the supervisor restarts after its back-off, recovers (nothing), and the next reading is decided and carried out
    state.awaitAssert(
        Duration.ofSeconds(5),
        () -> {
          sup.tell(received(load(10, 0)));
          sup.tell(new ScalingSupervisor.GetState(state.getRef()));
          assertEquals(5, state.receiveMessage().desired("m"));
          return null;
        });
    awaitCalls(1);
    assertTrue(driver.calls().stream().allMatch(FakeReplicaDriver.ScaleCall::journalHadIt));
    testKit.stop(sup);
  }

  @Test
  void recoveryRestoresDesiredStateFromSnapshotAndEventsAndReappliesItOnce() {
    startKit();
    kit.runCommand(received(load(10, 0))); // 0 -> 5
    clock.advance(Duration.ofSeconds(1));
    StatusReply<Done> ack =
        kit.<StatusReply<Done>>runCommand(r -> new ScalingSupervisor.SetLimits("m", 1, 7, 2, r)).reply();
    assertTrue(ack.isSuccess());
    clock.advance(Duration.ofSeconds(1));
    kit.runCommand(received(load(14, 5))); // 14 x 2 / 4 = 7
    ScalingSupervisor.State before = kit.getState();
    assertEquals(7, before.desired("m"));
    assertEquals(3, journal.persistedInStorage(PID).size());
    assertFalse(SnapshotTestKit.create(testKit.system()).persistedInStorage(PID).isEmpty(), "a snapshot was taken");
    awaitCalls(2);
    driver.clearCalls();

    ScalingSupervisor.State after = kit.restart().state();
    assertEquals(before, after);
    assertEquals(new ReplicaLimits(1, 7, 2), after.models().get("m").limits());
    awaitCalls(1);
    assertEquals(List.of(new FakeReplicaDriver.ScaleCall("m", 7, true)), driver.calls(), "re-applied once");

    // the same load after the restart: nothing to decide, nothing more asked of the driver
    clock.advance(Duration.ofSeconds(1));
    assertTrue(kit.runCommand(received(load(14, 7))).hasNoEvents());
    clock.advance(Duration.ofSeconds(1));
    assertTrue(kit.runCommand(received(load(13.5, 7))).hasNoEvents());
    testKit.createTestProbe().expectNoMessage(Duration.ofMillis(200));
    assertEquals(1, driver.calls().size(), driver.calls().toString());
  }

  @Test
  void limitsAreValidatedPersistedAndEnforced() {
    startKit();
    kit.runCommand(received(load(16, 0))); // 0 -> 8
    StatusReply<Done> unknown =
        kit.<StatusReply<Done>>runCommand(r -> new ScalingSupervisor.SetLimits("nope", 0, 1, 0, r)).reply();
    assertTrue(unknown.isError());
    var bad = kit.<StatusReply<Done>>runCommand(r -> new ScalingSupervisor.SetLimits("m", 3, 2, 0, r));
    assertTrue(bad.reply().isError());
    assertTrue(bad.reply().getError().getMessage().contains("min"), bad.reply().getError().getMessage());
    assertTrue(bad.hasNoEvents());

    var ok = kit.<StatusReply<Done>>runCommand(r -> new ScalingSupervisor.SetLimits("m", 0, 3, 0, r));
    assertTrue(ok.reply().isSuccess());
    assertInstanceOf(ScalingSupervisor.LimitsSet.class, ok.event());
    // within the cooldown of the last scale-up, yet the lowered maximum applies at once
    clock.advance(Duration.ofSeconds(1));
    ScalingSupervisor.ScaleDecided d =
        kit.runCommand(received(load(16, 8))).eventOfType(ScalingSupervisor.ScaleDecided.class);
    assertEquals(8, d.from());
    assertEquals(3, d.to());
    assertEquals(ScaleReason.LIMITS, d.reason());

    var recent = kit.<ScalingSupervisor.Decisions>runCommand(r -> new ScalingSupervisor.RecentDecisions(5, r)).reply();
    assertEquals(List.of(8, 3), recent.decisions().stream().map(ScalingSupervisor.ScaleDecided::to).toList());
    var last = kit.<ScalingSupervisor.Decisions>runCommand(r -> new ScalingSupervisor.RecentDecisions(1, r)).reply();
    assertEquals(3, last.decisions().get(0).to());
  }

  @Test
  void operatorModesArePersistedSurviveARestartAndAreGivenBackToAPoolThatLostThem() {
    startKit();
    kit.runCommand(received(load(4, 0))); // 0 -> 2: replicas m-0 and m-1
    awaitCalls(1);
    var unknown = kit.<StatusReply<PoolStatus>>runCommand(r -> new ScalingSupervisor.SetReplicaMode("m", "m-9", PoolCore.Mode.DRAINED, r));
    assertTrue(unknown.reply().isError() && unknown.reply().getError().getMessage().contains("m-9"), unknown.reply().toString());
    assertTrue(unknown.hasNoEvents());
    var drained = kit.<StatusReply<PoolStatus>>runCommand(r -> new ScalingSupervisor.SetReplicaMode("m", "m-0", PoolCore.Mode.DRAINED, r));
    assertTrue(drained.reply().isSuccess(), drained.reply().toString());
    assertInstanceOf(ScalingSupervisor.ReplicaModeSet.class, drained.event());
    kit.<StatusReply<PoolStatus>>runCommand(r -> new ScalingSupervisor.SetReplicaMode("m", "m-1", PoolCore.Mode.PINNED, r));
    // the pool heard each change (after it was persisted)
    List<String> told = new java.util.ArrayList<>();
    poolInbox.fishForMessage(Duration.ofSeconds(3), m -> {
      if (m instanceof ModelPool.SetReplicaMode c) told.add(c.replicaId() + "=" + c.mode());
      return told.size() == 2
          ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
          : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore();
    });
    assertEquals(List.of("m-0=DRAINED", "m-1=PINNED"), told);
    Map<String, PoolCore.Mode> expected = Map.of("m-0", PoolCore.Mode.DRAINED, "m-1", PoolCore.Mode.PINNED);

    // a new incarnation (fail-over) recovers the modes, and its tick gives them to the pool, which may have restarted empty
    ScalingSupervisor.State after = kit.restart().state();
    assertEquals(expected, after.modes("m"));
    kit.runCommand(ScalingSupervisor.Tick.INSTANCE);
    assertEquals(
        new ModelPool.OperatorModes(expected),
        poolInbox.fishForMessage(Duration.ofSeconds(3), m -> m instanceof ModelPool.OperatorModes
                ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
                : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore())
            .stream().reduce((a, b) -> b).orElseThrow());

    // back to normal: the entry goes, and so does the restoring message
    kit.<StatusReply<PoolStatus>>runCommand(r -> new ScalingSupervisor.SetReplicaMode("m", "m-0", PoolCore.Mode.NORMAL, r));
    kit.<StatusReply<PoolStatus>>runCommand(r -> new ScalingSupervisor.SetReplicaMode("m", "m-1", PoolCore.Mode.NORMAL, r));
    assertEquals(Map.of(), kit.restart().state().modes("m"));
  }

  @Test
  void keepsTickingAfterItsRecoveryFailedOnceAndWasRestarted() {
    // a journal that times out during recovery (Cassandra busy) restarts the supervisor; a restart cancels the actor's
    // timers, so a timer armed only at spawn would leave a recovered supervisor that never plans again
    ScalingSettings ticking =
        ScalingSettings.fromConfig(
            com.typesafe.config.ConfigFactory.parseString("tick-interval = 100ms")
                .withFallback(testKit.system().settings().config().getConfig("pickspin.scaling")));
    journal.failNextRead();
    ActorRef<ModelPool.Command> pool = testKit.spawn(stubPool());
    ActorRef<ScalingSupervisor.Command> sup =
        testKit.spawn(ScalingSupervisor.create(CATALOG, ticking, driver, id -> pool, clock));
    poolInbox.fishForMessage(
        Duration.ofSeconds(5),
        m -> m instanceof ModelPool.GetTelemetry
            ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
            : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    testKit.stop(sup);
  }

  @Test
  void aTickFeedsThePoolAndPlansFromItsTelemetryAndDriverChangesReachThePool() {
    ActorRef<ScalingSupervisor.Command> sup = testKit.spawn(supervisor());
    poolReading.set(new Telemetry("m", clock.millis(), 60_000, 1, 1 / 60.0, 0, -1, 0, 1, 5, 0, 0, clock.millis()));
    sup.tell(ScalingSupervisor.Tick.INSTANCE);
    assertInstanceOf(ModelPool.ReplicasChanged.class, poolInbox.receiveMessage());
    assertEquals(new ModelPool.ScalingTarget(0, 10), poolInbox.receiveMessage());
    assertInstanceOf(ModelPool.GetTelemetry.class, poolInbox.receiveMessage());
    // a request held at zero: one replica at once; the pool hears the new target
    assertEquals(new ModelPool.ScalingTarget(1, 10), poolInbox.expectMessageClass(ModelPool.ScalingTarget.class));
    assertEquals(List.of(new FakeReplicaDriver.ScaleCall("m", 1, true)), driver.calls());
    // the replica starts, then is ready: both changes are forwarded to the pool
    ModelPool.ReplicasChanged ready =
        poolInbox.fishForMessage(
            Duration.ofSeconds(3),
            m ->
                m instanceof ModelPool.ReplicasChanged rc
                        && rc.replicas().size() == 1
                        && rc.replicas().get(0).phase() == io.pickspin.scaling.driver.ReplicaPhase.READY
                    ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
                    : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore())
            .stream()
            .map(ModelPool.ReplicasChanged.class::cast)
            .reduce((a, b) -> b)
            .orElseThrow();
    assertEquals(1, ready.replicas().size());

    // a nudge plans that model right away
    sup.tell(new ScalingSupervisor.Nudge("m"));
    assertInstanceOf(ModelPool.ReplicasChanged.class, poolInbox.receiveMessage());
    testKit.stop(sup);
  }

  private void awaitCalls(int n) {
    testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(3),
            () -> {
              assertTrue(driver.calls().size() >= n, driver.calls().toString());
              return null;
            });
  }
}
