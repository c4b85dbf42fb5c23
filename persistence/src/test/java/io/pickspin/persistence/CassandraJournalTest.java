package io.pickspin.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.actors.ModelPool;
import io.pickspin.actors.ScalingSupervisor;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.scaling.ReplicaLimits;
import io.pickspin.scaling.ScalingSettings;
import io.pickspin.scaling.Telemetry;
import io.pickspin.scaling.driver.ReplicaDriver;
import io.pickspin.scaling.driver.ReplicaStatus;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scaling supervisor on a real Cassandra 5.0.9 (forked by {@link CassandraServer}): its decisions reach the
 * Cassandra journal, and a new actor system recovers the same desired state from it, both after a clean actor system
 * restart and after Cassandra itself was killed with -9 and restarted.
 */
class CassandraJournalTest {
  static final String KEYSPACE_PREFIX = "pickspin_it";
  /** c = 4 requests per replica, 2 s each, 0..10 replicas: 10 req/s needs ceil(10 x 2 / 4) = 5 replicas. */
  static final ModelSpec MODEL =
      new ModelSpec("m", Tier.MEDIUM, "m", 0.5, 1, 2.0, new LatencyProfile(2000, 0, 4, 0), 0, 10, List.of());
  static final Catalog CATALOG = new Catalog(List.of(MODEL));
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path dir;
  static CassandraServer cassandra;

  @BeforeAll
  static void startCassandra() {
    cassandra = CassandraServer.start(dir.resolve("cassandra"), CassandraServer.Settings.defaults().withHeap("256m"));
    System.out.printf("Cassandra CQL-ready in %d ms on %s%n", cassandra.lastStartTook().toMillis(), cassandra.contactPoint());
  }

  @AfterAll
  static void killCassandra() {
    if (cassandra != null) cassandra.kill();
  }

  /** The scale calls a driver got; it runs nothing. */
  static final class RecordingDriver implements ReplicaDriver {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public void scale(ModelSpec model, int desired) {
      calls.add(model.id() + "=" + desired);
    }

    @Override
    public List<ReplicaStatus> replicas(String modelId) {
      return List.of();
    }

    @Override
    public void onChange(Consumer<String> modelChanged) {}

    @Override
    public void close() {}
  }

  static Config config() {
    Config app =
        ConfigFactory.parseMap(
                Map.of(
                    "pekko.actor.provider", "local",
                    "pickspin.cassandra.keyspace-prefix", KEYSPACE_PREFIX,
                    "pickspin.scaling.tick-interval", "0s"))
            .withFallback(Journal.applicationLayer());
    return Journal.CASSANDRA.configure(app, List.of(cassandra.contactPoint()));
  }

  /** A pool that reports {@code ratePerSecond} requests of 2 s each, or stays silent when the rate is negative. */
  static Behavior<ModelPool.Command> pool(double ratePerSecond) {
    return Behaviors.receive(ModelPool.Command.class)
        .onMessage(
            ModelPool.GetTelemetry.class,
            g -> {
              long now = System.currentTimeMillis();
              long n = Math.round(ratePerSecond * 60);
              if (ratePerSecond >= 0) {
                g.replyTo().tell(new Telemetry("m", now, 60_000, n, ratePerSecond, n, 2000, 0, 0, 0, 0, 0, now));
              }
              return Behaviors.same();
            })
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  /** Runs one incarnation of the supervisor in a fresh actor system, as after a node restart or a fail-over. */
  static <T> T incarnation(RecordingDriver driver, double poolRate, IncarnationBody<T> body) throws Exception {
    Config config = config();
    ActorTestKit kit = ActorTestKit.create("cassandra-it", config);
    try {
      ScalingSettings settings = ScalingSettings.fromConfig(config.getConfig("pickspin.scaling"));
      ActorRef<ModelPool.Command> pool = kit.spawn(pool(poolRate));
      ActorRef<ScalingSupervisor.Command> supervisor =
          kit.spawn(ScalingSupervisor.create(CATALOG, settings, driver, id -> pool, Clock.systemUTC()));
      return body.run(kit, supervisor);
    } finally {
      kit.shutdownTestKit();
    }
  }

  interface IncarnationBody<T> {
    T run(ActorTestKit kit, ActorRef<ScalingSupervisor.Command> supervisor) throws Exception;
  }

  static ScalingSupervisor.State state(ActorTestKit kit, ActorRef<ScalingSupervisor.Command> supervisor) {
    TestProbe<ScalingSupervisor.State> probe = kit.createTestProbe();
    supervisor.tell(new ScalingSupervisor.GetState(probe.getRef()));
    return probe.expectMessageClass(ScalingSupervisor.State.class, WAIT);
  }

  static void awaitCalls(TestProbe<?> probe, RecordingDriver driver, int n) {
    probe.awaitAssert(WAIT, () -> {
      assertTrue(driver.calls.size() >= n, "driver calls " + driver.calls);
      return null;
    });
  }

  /** Sequence numbers of the supervisor's events as Cassandra itself holds them. */
  static long eventsInCassandra() {
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress("127.0.0.1", cassandra.port()))
            .withLocalDatacenter("datacenter1")
            .build()) {
      return session
          .execute(
              "SELECT sequence_nr FROM " + KEYSPACE_PREFIX + "_journal.messages WHERE persistence_id = ? AND partition_nr = 0",
              ScalingSupervisor.PERSISTENCE_ID.id())
          .all()
          .size();
    }
  }

  @Test
  void decisionsArePersistedInCassandraAndRecoveredByTheNextIncarnation() throws Exception {
    RecordingDriver first = new RecordingDriver();
    ScalingSupervisor.State before =
        incarnation(
            first,
            10,
            (kit, supervisor) -> {
              TestProbe<StatusReply<Done>> ack = kit.createTestProbe();
              supervisor.tell(new ScalingSupervisor.Nudge("m"));
              awaitCalls(ack, first, 1); // the driver is called only once ScaleDecided is persisted
              supervisor.tell(new ScalingSupervisor.SetLimits("m", 1, 7, 2, ack.getRef()));
              assertTrue(ack.receiveMessage(WAIT).isSuccess());
              return state(kit, supervisor);
            });
    assertEquals(List.of("m=5"), first.calls);
    assertEquals(5, before.desired("m"));
    assertEquals(new ReplicaLimits(1, 7, 2), before.models().get("m").limits());
    assertEquals(2, eventsInCassandra(), "ScaleDecided and LimitsSet in " + KEYSPACE_PREFIX + "_journal.messages");

    // a new actor system: the pool reports nothing, so everything the supervisor knows comes from Cassandra
    RecordingDriver second = new RecordingDriver();
    ScalingSupervisor.State recovered =
        incarnation(
            second,
            -1,
            (kit, supervisor) -> {
              ScalingSupervisor.State s = state(kit, supervisor);
              awaitCalls(kit.createTestProbe(), second, 1);
              return s;
            });
    assertEquals(before, recovered);
    assertEquals(List.of("m=5"), second.calls, "the recovered desired count is re-applied once");

    // Cassandra crashes (kill -9) and comes back on the same directory and port: the commit log is replayed
    cassandra.kill();
    cassandra.restart();
    System.out.printf("Cassandra restarted after kill -9 in %d ms%n", cassandra.lastStartTook().toMillis());
    RecordingDriver third = new RecordingDriver();
    ScalingSupervisor.State afterCrash = incarnation(third, -1, CassandraJournalTest::state);
    assertEquals(before, afterCrash);
  }
}
