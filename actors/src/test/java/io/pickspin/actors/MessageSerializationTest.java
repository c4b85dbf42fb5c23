package io.pickspin.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.pool.Lease;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.pool.Outcome;
import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolException;
import io.pickspin.pool.PoolStatus;
import io.pickspin.scaling.ModelMemory;
import io.pickspin.scaling.ReplicaLimits;
import io.pickspin.scaling.ScaleReason;
import io.pickspin.scaling.ScalingInputs;
import io.pickspin.scaling.Telemetry;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every message that crosses the cluster or reaches the journal round-trips through Jackson CBOR. */
class MessageSerializationTest {
  static final ActorTestKit testKit = ActorTestKit.create();
  static final SerializationTestKit serialization = new SerializationTestKit(testKit.system());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static final BackendEndpoint ENDPOINT = new BackendEndpoint("m-0", "vllm", URI.create("http://10.0.0.7:8000"));
  static final Telemetry TELEMETRY = new Telemetry("m", 1000, 60_000, 600, 10, 590, 1980.5, 7, 2, 350, 4, 1, 999);

  static void roundTrip(Object message) {
    assertEquals(message, serialization.verifySerialization(message, true));
  }

  @Test
  void poolMessages() {
    TestProbe<ModelPool.AcquireReply> reply = testKit.createTestProbe();
    Lease lease = new Lease(42, "m", ENDPOINT);
    roundTrip(new ModelPool.Acquire(new LeaseRequest("m", Set.of("a", "b"), Duration.ofMillis(1500)), reply.getRef()));
    roundTrip(new ModelPool.Acquire(
        new LeaseRequest("m", Set.of(), Duration.ofMillis(1500), new long[] {-3, Long.MAX_VALUE, 7}), reply.getRef()));
    roundTrip(new ModelPool.Acquire(
        new LeaseRequest("m", Set.of(), Duration.ofMillis(1500), new long[0], true), reply.getRef()));
    roundTrip(new ModelPool.Granted(lease));
    roundTrip(new ModelPool.Refused(PoolException.Reason.OVERLOADED, "full", 3));
    roundTrip(new ModelPool.Release(lease, Outcome.failure(12, "connect", true)));
    roundTrip(
        new ModelPool.ReplicasChanged(
            List.of(new ReplicaStatus("m-0", ReplicaPhase.READY, ENDPOINT), new ReplicaStatus("m-1", ReplicaPhase.STARTING, null))));
    roundTrip(new ModelPool.ScalingTarget(3, 6));
    roundTrip(new ModelPool.GetTelemetry(testKit.<Telemetry>createTestProbe().getRef()));
    roundTrip(new ModelPool.GetStatus(testKit.<PoolStatus>createTestProbe().getRef()));
    roundTrip(TELEMETRY);
    roundTrip(
        new PoolStatus(
            "m", 2, 6, 1, 0, List.of(new PoolStatus.ReplicaView("m-0", ReplicaPhase.READY, PoolCore.Health.SUSPECT, true, 1, ENDPOINT))));
  }

  @Test
  void supervisorCommandsEventsAndState() {
    ScalingSupervisor.ScaleDecided decided =
        new ScalingSupervisor.ScaleDecided(
            "m", 0, 3, ScaleReason.SCALE_FROM_ZERO, new ScalingInputs(TELEMETRY, 1980.5, 4, 19.8, 5, 6, 0, 10), 1000);
    roundTrip(decided);
    roundTrip(new ScalingSupervisor.LimitsSet("m", new ReplicaLimits(0, 4, 1), 5));
    roundTrip(
        new ScalingSupervisor.State(
            Map.of("m", new ModelMemory(3, 1000, -1, 999, new ReplicaLimits(1, 5, 1)), "n", ModelMemory.initial(0)),
            List.of(decided),
            Map.of("m", Map.of("m-0", PoolCore.Mode.DRAINED, "m-1", PoolCore.Mode.PINNED))));
    roundTrip(new ScalingSupervisor.ReplicaModeSet("m", "m-0", PoolCore.Mode.DRAINED, 7));
    roundTrip(new ScalingSupervisor.SetReplicaMode("m", "m-0", PoolCore.Mode.PINNED, testKit.<StatusReply<PoolStatus>>createTestProbe().getRef()));
    roundTrip(new ModelPool.OperatorModes(Map.of("m-0", PoolCore.Mode.DRAINED)));
    roundTrip(new ScalingSupervisor.Nudge("m"));
    roundTrip(new ScalingSupervisor.SetLimits("m", 0, 4, 1, testKit.<StatusReply<Done>>createTestProbe().getRef()));
    roundTrip(new ScalingSupervisor.GetState(testKit.<ScalingSupervisor.State>createTestProbe().getRef()));
    roundTrip(new ScalingSupervisor.RecentDecisions(5, testKit.<ScalingSupervisor.Decisions>createTestProbe().getRef()));
    roundTrip(new ScalingSupervisor.Decisions(List.of(decided)));
    roundTrip(ScalingSupervisor.Stop.INSTANCE);
  }
}
