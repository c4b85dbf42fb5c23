package io.pickspin.actors;

import static io.pickspin.testing.Eventually.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.api.ApiError;
import io.pickspin.keys.ApiKey;
import io.pickspin.keys.ApiKeySecrets;
import io.pickspin.keys.KeyGuard;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two gateway nodes in one cluster, each with its own {@link KeyGuard} synced with the one {@link ApiKeyStore}: how far
 * a key's limits are overshot when both admit requests against it. Prints what it measured; asserts the bound the
 * README states: the other node's traffic of about two sync intervals (its report, then this node's next answer).
 */
class KeyLimitsAcrossNodesTest {
  static final Duration SYNC = Duration.ofMillis(200);
  static ActorSystem<Void> a;
  static ActorSystem<Void> b;
  static KeyGuard guardA;
  static KeyGuard guardB;
  static ActorRef<ApiKeyStore.Command> store;

  static Config config() {
    return ConfigFactory.parseString(
            """
            pekko.loglevel = WARNING
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.coordinated-shutdown.exit-jvm = off
            """)
        .withFallback(PersistenceTestKitPlugin.config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  @BeforeAll
  static void start() throws Exception {
    a = ActorSystem.create(Behaviors.empty(), "keys", config());
    b = ActorSystem.create(Behaviors.empty(), "keys", config());
    Cluster.get(a).manager().tell(Join.create(Cluster.get(a).selfMember().address()));
    Cluster.get(b).manager().tell(Join.create(Cluster.get(a).selfMember().address()));
    await("two members up", Duration.ofSeconds(20), () -> Cluster.get(b).selfMember().status() == MemberStatus.up()
        && Cluster.get(a).state().getMembers().spliterator().getExactSizeIfKnown() == 2);
    store = ApiKeyStore.initSingleton(a, "");
    ActorRef<ApiKeyStore.Command> storeFromB = ApiKeyStore.initSingleton(b, "");
    guardA = new KeyGuard(Clock.systemUTC());
    guardB = new KeyGuard(Clock.systemUTC());
    a.systemActorOf(KeySync.create(store, guardA, SYNC), "key-sync", Props.empty());
    b.systemActorOf(KeySync.create(storeFromB, guardB, SYNC), "key-sync", Props.empty());
  }

  @AfterAll
  static void stop() throws Exception {
    b.terminate();
    a.terminate();
    b.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    a.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static ApiKey create(String name, long rpm, long budget) throws Exception {
    ApiKey key = new ApiKey(name, ApiKeySecrets.hash(ApiKeySecrets.newSecret()), List.of("*"), rpm, 0, budget, 0);
    AskPattern.<ApiKeyStore.Command, ApiKey>askWithStatus(store, r -> new ApiKeyStore.Create(key, r), Duration.ofSeconds(10), a.scheduler())
        .toCompletableFuture().get(15, TimeUnit.SECONDS);
    await("both nodes know " + name, Duration.ofSeconds(10), () -> guardA.knows(key.name()) && guardB.knows(key.name()));
    return key;
  }

  /** One node sending requests of {@code tokens} each at {@code perSecond} until {@code untilNanos}; counts admitted ones. */
  static CompletableFuture<Long> load(KeyGuard g, ApiKey key, int perSecond, long tokens, long untilNanos) {
    return CompletableFuture.supplyAsync(() -> {
      long admitted = 0;
      long gap = perSecond <= 0 ? 0 : 1_000_000_000L / perSecond;
      for (long next = System.nanoTime(); System.nanoTime() < untilNanos; next += gap) {
        try {
          g.admit(key);
          g.record(key.name(), "m", 0, tokens);
          admitted++;
        } catch (ApiError refused) {
          // over the limit: what the test counts is what got through
        }
        long wait = next + gap - System.nanoTime();
        if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
      }
      return admitted;
    });
  }

  @Test
  void aBudgetIsOvershotByAboutTwoSyncIntervalsOfTheOtherNodesTraffic() throws Exception {
    long tokens = 10;
    int perSecond = 25; // per node
    ApiKey key = create("budget", 0, 1_000); // 100 requests' worth
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
    long admitted = load(guardA, key, perSecond, tokens, until).thenCombine(load(guardB, key, perSecond, tokens, until), Long::sum).get();
    long overshoot = admitted * tokens - key.maxTokensTotal();
    // the other node's traffic in two sync intervals, as tokens, plus one request in flight on each node
    long bound = (long) (perSecond * 2 * SYNC.toMillis() / 1000.0 * tokens) + 2 * tokens;
    System.out.printf("two nodes, %d req/s each, sync %d ms: budget %d tokens, used %d (overshoot %d, bound %d)%n",
        perSecond, SYNC.toMillis(), key.maxTokensTotal(), admitted * tokens, overshoot, bound);
    assertTrue(admitted * tokens >= key.maxTokensTotal(), "the budget must be usable in full: " + admitted);
    assertTrue(overshoot <= bound, "overshoot " + overshoot + " > bound " + bound);
  }

  @Test
  void aBurstFromBothNodesAtOnceCanOvershootByWhatOneNodeAdmitsBeforeItHears() throws Exception {
    ApiKey key = create("burst", 50, 0);
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50); // well inside one sync interval
    long admitted = load(guardA, key, 0, 0, until).thenCombine(load(guardB, key, 0, 0, until), Long::sum).get();
    System.out.printf("two nodes, burst within one sync interval: rpm %d, admitted %d%n", key.rpm(), admitted);
    assertTrue(admitted >= key.rpm() && admitted <= 2 * key.rpm(), "admitted " + admitted);
  }
}
