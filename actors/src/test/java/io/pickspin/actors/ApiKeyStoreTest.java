package io.pickspin.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.keys.ApiKey;
import io.pickspin.keys.ApiKeySecrets;
import io.pickspin.keys.KeyBook;
import io.pickspin.keys.KeyReport;
import io.pickspin.keys.TokenUsage;
import io.pickspin.keys.WindowCounts;
import io.pickspin.scaling.ManualClock;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The key store: keys and usage persisted, recovered after a restart, window counts of the other nodes summed. */
class ApiKeyStoreTest {
  static final ActorTestKit testKit = ActorTestKit.create(AdminAuditTest.CONFIG);
  final ManualClock clock = new ManualClock(1_700_000_000_000L);
  EventSourcedBehaviorTestKit<ApiKeyStore.Command, ApiKeyStore.Event, KeyBook> kit;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    // the kit checks that every command, event and state survives serialization (Jackson CBOR)
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), ApiKeyStore.create(clock));
    kit.clear();
  }

  static ApiKey key(String name) {
    return new ApiKey(name, ApiKeySecrets.hash(ApiKeySecrets.newSecret()), List.of("small"), 10, 1000, 5000, 1);
  }

  ApiKeyStore.Synced sync(String node, long version, Map<String, KeyReport> reports) {
    return kit.<ApiKeyStore.Synced>runCommand(r -> new ApiKeyStore.Sync(node, version, reports, r)).reply();
  }

  @Test
  void keysAndUsageSurviveARestartAndARevokedKeyIsGone() {
    var created = kit.<StatusReply<ApiKey>>runCommand(r -> new ApiKeyStore.Create(key("a"), r));
    assertInstanceOf(ApiKeyStore.KeyCreated.class, created.event());
    assertTrue(created.reply().isSuccess());
    assertTrue(kit.<StatusReply<ApiKey>>runCommand(r -> new ApiKeyStore.Create(key("a"), r)).reply().isError(), "names are unique");
    kit.<StatusReply<ApiKey>>runCommand(r -> new ApiKeyStore.Create(key("b"), r));

    long minute = WindowCounts.minuteOf(clock.millis());
    KeyReport report =
        new KeyReport(new WindowCounts(minute, new WindowCounts.Pair(2, 0), new WindowCounts.Pair(30, 0)), Map.of("small", new TokenUsage(2, 10, 20)));
    ApiKeyStore.Synced s = sync("node-1", -1, Map.of("a", report));
    assertEquals(2, s.keys().size(), "a node that has an old version gets the list");
    assertEquals(30L, s.storedTokens().get("a"));
    assertTrue(s.others().isEmpty(), "its own counts are not among the others'");
    assertNull(sync("node-1", s.version(), Map.of("a", new KeyReport(report.window(), Map.of()))).keys(), "an up-to-date node does not");

    ApiKeyStore.Synced fromOther = sync("node-2", s.version(), Map.of());
    assertEquals(2, fromOther.others().get("a").requests().current());
    assertEquals(30L, fromOther.storedTokens().get("a"), "a report without usage adds none");

    kit.restart();
    assertEquals(new TokenUsage(2, 10, 20), kit.getState().usageOf("a").get("small"));
    var revoked = kit.<StatusReply<Done>>runCommand(r -> new ApiKeyStore.Revoke("a", r));
    assertInstanceOf(ApiKeyStore.KeyRevoked.class, revoked.event());
    assertTrue(kit.<StatusReply<Done>>runCommand(r -> new ApiKeyStore.Revoke("a", r)).reply().isError());
    kit.restart();
    assertTrue(!kit.getState().has("a") && kit.getState().has("b"));
    assertNotNull(sync("node-3", 0, Map.of()).keys());
  }
}
