package io.pickspin.pool;

import static io.pickspin.pool.PoolCoreTest.SPEC;
import static io.pickspin.pool.PoolCoreTest.granted;
import static io.pickspin.pool.PoolCoreTest.ready;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.prefix.PromptBlocks;
import io.pickspin.scaling.ArrivalStats;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PrefixAwareChoiceTest {
  static final long[] CONVERSATION = PromptBlocks.chain(new long[] {1, 2, 3, 4});
  static final long[] NEXT_TURN = PromptBlocks.chain(new long[] {1, 2, 3, 4, 5, 6});
  static final long[] OTHER = PromptBlocks.chain(new long[] {9, 10});

  static PoolCore<String> core(ReplicaChoice choice, double weight, Duration ttl) {
    PoolSettings s = PoolCoreTest.SETTINGS.withReplicaChoice(choice, weight).withPrefixIndex(500, 1000, ttl);
    // 8 slots per replica: room to see load against prefix
    var spec = new io.pickspin.model.ModelSpec("m", SPEC.tier(), "m", 0.5, 1, 2,
        new io.pickspin.model.LatencyProfile(1000, 0, 8, 5000), 0, 3, List.of());
    PoolCore<String> p = new PoolCore<>(spec, s, new ArrivalStats(Duration.ofSeconds(60)), 1000, 100);
    p.updateReplicas(List.of(ready("a"), ready("b"), ready("c")), 0);
    return p;
  }

  static String lease(PoolCore<String> p, long[] blocks, long now) {
    return granted(p.acquire(new LeaseRequest("m", Set.of(), Duration.ofSeconds(1), blocks), "h", now)).backend().id();
  }

  @Test
  void aPromptGoesWhereItsPrefixWentUnlessThatReplicaIsBusierThanThePrefixIsWorth() {
    // 1.25 requests per 1,000 tokens: the conversation's 4 blocks of 500 tokens are worth 2.5 requests in flight
    PoolCore<String> p = core(ReplicaChoice.PREFIX_AWARE, 1.25, Duration.ofMinutes(10));
    String home = lease(p, CONVERSATION, 0);
    assertEquals(home, lease(p, NEXT_TURN, 1), "one in flight there against 4 cached blocks worth 2.5: the prefix wins");
    assertEquals(home, lease(p, CONVERSATION, 2), "two in flight there against 2.5");
    assertNotEquals(home, lease(p, CONVERSATION, 3), "three in flight there: load wins");
    assertNotEquals(home, lease(p, OTHER, 4), "an unknown prompt goes by load");
  }

  @Test
  void aShortCachedPrefixIsWorthLessThanALongOne() {
    PoolCore<String> p = core(ReplicaChoice.PREFIX_AWARE, 1.25, Duration.ofMinutes(10));
    String home = lease(p, PromptBlocks.chain(new long[] {1}), 0);
    assertNotEquals(home, lease(p, CONVERSATION, 1), "one block (worth 0.625) does not outweigh one request in flight");
  }

  static final Outcome OK = Outcome.success(100, 10, 5);

  /** Replicas a and b, one slot each: what frees is where a held request goes. */
  static PoolCore<String> oneSlotEach() {
    PoolSettings s = PoolCoreTest.SETTINGS.withReplicaChoice(ReplicaChoice.PREFIX_AWARE, 1.25).withPrefixIndex(500, 1000,
        Duration.ofMinutes(10));
    var spec = new io.pickspin.model.ModelSpec("m", SPEC.tier(), "m", 0.5, 1, 2,
        new io.pickspin.model.LatencyProfile(1000, 0, 1, 5000), 0, 2, List.of());
    PoolCore<String> p = new PoolCore<>(spec, s, new ArrivalStats(Duration.ofSeconds(60)), 1000, 100);
    p.updateReplicas(List.of(ready("a"), ready("b")), 0);
    return p;
  }

  static java.util.Optional<PoolCore.Reply<String>> ask(PoolCore<String> p, long[] blocks, String handle) {
    return p.acquire(new LeaseRequest("m", Set.of(), Duration.ofSeconds(10), blocks), handle, 0);
  }

  @Test
  void aFreedReplicaGoesToAHeldRequestWhosePrefixItHoldsAndEachHeldRequestIsPassedAtMostSlotsTimes() {
    PoolCore<String> p = oneSlotEach();
    Lease onA = granted(ask(p, CONVERSATION, "first"));
    assertEquals("a", onA.backend().id());
    Lease onB = granted(ask(p, OTHER, "other"));
    assertEquals("b", onB.backend().id());
    assertTrue(ask(p, PromptBlocks.chain(new long[] {20, 21}), "cold").isEmpty());
    assertTrue(ask(p, NEXT_TURN, "warm").isEmpty());
    List<PoolCore.Reply<String>> served = p.release(onA, OK, 1);
    assertEquals(1, served.size());
    assertEquals("warm", served.get(0).handle(), "a holds the next turn's prefix: it goes before the cold request");
    Lease warmOnA = ((PoolCore.Granted<String>) served.get(0)).lease();
    assertTrue(ask(p, NEXT_TURN, "warm again").isEmpty());
    served = p.release(warmOnA, OK, 2);
    assertEquals("cold", served.get(0).handle(), "the cold request was passed once, as many times as a replica has slots");
  }

  @Test
  void leastOutstandingServesHeldRequestsInArrivalOrder() {
    PoolSettings s = PoolCoreTest.SETTINGS.withPrefixIndex(500, 1000, Duration.ofMinutes(10));
    var spec = new io.pickspin.model.ModelSpec("m", SPEC.tier(), "m", 0.5, 1, 2,
        new io.pickspin.model.LatencyProfile(1000, 0, 1, 5000), 0, 1, List.of());
    PoolCore<String> p = new PoolCore<>(spec, s, new ArrivalStats(Duration.ofSeconds(60)), 1000, 100);
    p.updateReplicas(List.of(ready("a")), 0);
    Lease onA = granted(ask(p, CONVERSATION, "first"));
    assertTrue(ask(p, OTHER, "cold").isEmpty());
    assertTrue(ask(p, NEXT_TURN, "warm").isEmpty());
    assertEquals("cold", p.release(onA, OK, 1).get(0).handle());
  }

  @Test
  void leastOutstandingIgnoresPrefixes() {
    PoolCore<String> p = core(ReplicaChoice.LEAST_OUTSTANDING, 2.5, Duration.ofMinutes(10));
    String home = lease(p, CONVERSATION, 0);
    assertNotEquals(home, lease(p, CONVERSATION, 1));
  }

  @Test
  void prefixOnlyFollowsThePrefixWhateverTheLoad() {
    PoolCore<String> p = core(ReplicaChoice.PREFIX_ONLY, 0, Duration.ofMinutes(10));
    String home = lease(p, CONVERSATION, 0);
    for (int i = 1; i < 8; i++) assertEquals(home, lease(p, NEXT_TURN, i));
    assertNotEquals(home, lease(p, NEXT_TURN, 9), "a full replica is not picked");
  }

  @Test
  void blocksAgeOutAndLeaveWithTheirReplica() {
    PoolCore<String> p = core(ReplicaChoice.PREFIX_ONLY, 0, Duration.ofSeconds(10));
    String home = lease(p, CONVERSATION, 0);
    String later = lease(p, CONVERSATION, 20_000);
    assertNotEquals(home, later, "after the time to live the prefix counts for nothing: least outstanding");
  }

  @Test
  void aReplicaThatLeftIsForgotten() {
    PrefixIndex index = new PrefixIndex(10, 60_000);
    index.sent("a", CONVERSATION, 0);
    index.sent("b", CONVERSATION, 0);
    assertEquals(4, index.matched("a", NEXT_TURN, 1));
    index.retain(Set.of("b"));
    assertEquals(0, index.matched("a", NEXT_TURN, 2));
    assertEquals(4, index.matched("b", NEXT_TURN, 2));
    assertEquals(0, index.matched("b", NEXT_TURN, 60_001), "aged out");
  }

  @Test
  void theIndexIsBoundedPerReplica() {
    PrefixIndex index = new PrefixIndex(3, 60_000);
    index.sent("a", CONVERSATION, 0);
    assertEquals(3, index.matched("a", CONVERSATION, 1), "the chain's tail was dropped first");
  }

  @Test
  void randomSpreadsOverEveryReplica() {
    PoolCore<String> p = core(ReplicaChoice.RANDOM, 0, Duration.ofMinutes(10));
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 12; i++) seen.add(lease(p, CONVERSATION, i));
    assertEquals(Set.of("a", "b", "c"), seen);
  }

  @Test
  void replicaChoiceParsesItsConfigNames() {
    for (ReplicaChoice c : ReplicaChoice.values()) assertEquals(c, ReplicaChoice.parse(c.configName()));
  }
}
