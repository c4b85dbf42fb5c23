package io.pickspin.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolStatus;
import io.pickspin.scaling.TestModels;
import io.pickspin.scaling.driver.ReplicaPhase;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The pool entity's operator command: drain, pin or restore one replica (admin API). */
class ModelPoolReplicaModeTest {
  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  ActorRef<ModelPool.Command> pool() {
    ModelPool.Deps deps =
        new ModelPool.Deps(
            ModelPoolTest.SETTINGS, TestModels.paperLike(), (e, t) -> CompletableFuture.completedFuture(true), Clock.systemUTC(), null);
    ActorRef<ModelPool.Command> pool = testKit.spawn(ModelPool.create(ModelPoolTest.SPEC, deps));
    pool.tell(new ModelPool.ReplicasChanged(List.of(ModelPoolTest.ready("a"), ModelPoolTest.ready("b"))));
    return pool;
  }

  @Test
  void aDrainedReplicaLeavesRotationAndTheAnswerShowsIt() {
    ActorRef<ModelPool.Command> pool = pool();
    TestProbe<StatusReply<PoolStatus>> reply = testKit.createTestProbe();
    pool.tell(new ModelPool.SetReplicaMode("a", PoolCore.Mode.DRAINED, reply.getRef()));
    PoolStatus status = reply.receiveMessage().getValue();
    PoolStatus.ReplicaView a = status.replicas().stream().filter(r -> r.id().equals("a")).findFirst().orElseThrow();
    assertEquals(PoolCore.Mode.DRAINED, a.mode());
    assertEquals(1, status.readyCount());

    // every lease now goes to b
    TestProbe<ModelPool.AcquireReply> client = testKit.createTestProbe();
    for (int i = 0; i < 2; i++) {
      pool.tell(new ModelPool.Acquire(ModelPoolTest.request(Duration.ofSeconds(1)), client.getRef()));
      assertEquals("b", assertInstanceOf(ModelPool.Granted.class, client.receiveMessage()).lease().backend().id());
    }
  }

  @Test
  void theSupervisorsModesAreAppliedAndReplicasItDoesNotNameAreNormal() {
    ActorRef<ModelPool.Command> pool = pool();
    TestProbe<StatusReply<PoolStatus>> reply = testKit.createTestProbe();
    pool.tell(new ModelPool.SetReplicaMode("b", PoolCore.Mode.PINNED, reply.getRef()));
    reply.receiveMessage();
    // the persisted modes say: a drained, b normal (unknown replicas are ignored)
    pool.tell(new ModelPool.OperatorModes(java.util.Map.of("a", PoolCore.Mode.DRAINED, "gone", PoolCore.Mode.PINNED)));
    TestProbe<PoolStatus> status = testKit.createTestProbe();
    pool.tell(new ModelPool.GetStatus(status.getRef()));
    java.util.Map<String, PoolCore.Mode> modes = new java.util.TreeMap<>();
    status.receiveMessage().replicas().forEach(r -> modes.put(r.id(), r.mode()));
    assertEquals(java.util.Map.of("a", PoolCore.Mode.DRAINED, "b", PoolCore.Mode.NORMAL), modes);
  }

  @Test
  void anUnknownReplicaOrModelIsAnError() {
    TestProbe<StatusReply<PoolStatus>> reply = testKit.createTestProbe();
    pool().tell(new ModelPool.SetReplicaMode("zz", PoolCore.Mode.PINNED, reply.getRef()));
    StatusReply<PoolStatus> r = reply.receiveMessage();
    assertTrue(r.isError() && r.getError().getMessage().contains("zz"), r.toString());

    ModelPool.Deps deps = new ModelPool.Deps(ModelPoolTest.SETTINGS, TestModels.paperLike(), (e, t) -> null, Clock.systemUTC(), null);
    testKit.spawn(ModelPool.create("nope", Optional.empty(), deps)).tell(new ModelPool.SetReplicaMode("a", PoolCore.Mode.DRAINED, reply.getRef()));
    assertTrue(reply.receiveMessage().isError());
  }

  @Test
  void theCommandAndItsAnswerCrossTheCluster() {
    SerializationTestKit serialization = new SerializationTestKit(testKit.system());
    TestProbe<StatusReply<PoolStatus>> reply = testKit.createTestProbe();
    ModelPool.SetReplicaMode command = new ModelPool.SetReplicaMode("a", PoolCore.Mode.PINNED, reply.getRef());
    assertEquals(command, serialization.verifySerialization(command, true));
    PoolStatus status =
        new PoolStatus(
            "m", 2, 4, 0, 0,
            List.of(new PoolStatus.ReplicaView("a", ReplicaPhase.READY, PoolCore.Health.HEALTHY, false, 0, null, PoolCore.Mode.DRAINED)));
    assertEquals(status, serialization.verifySerialization(status, true));
  }
}
