package io.pickspin.persistence;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.pickspin.actors.ScalingSupervisor;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * After a Cassandra outage the scaling supervisor decides again only once the driver has reconnected, the journal's and
 * snapshot store's circuit breakers let a call through and its own restart back-off has passed. A request held for a
 * model at zero waits for that decision within max-hold (60 s); with Pekko's defaults (60 s driver back-off, 60 s
 * snapshot breaker, 10 s restart back-off) the chaos scenario journal-down-cold-model saw every held request refused.
 */
class JournalOutageBoundTest {
  /** Cassandra back to the first decision, at worst: a quarter of max-hold, leaving room for the cold start. */
  static final Duration BOUND = Duration.ofSeconds(15);

  @Test
  void theSupervisorDecidesAgainWellWithinMaxHoldOfTheJournalsReturn() {
    Config c = Journal.CASSANDRA.configure(Journal.applicationLayer(), List.of("127.0.0.1:9042"));
    Duration reconnect = c.getDuration("datastax-java-driver.advanced.reconnection-policy.max-delay");
    Duration journalBreaker = breakerReset(c, "pekko.persistence.cassandra.journal");
    Duration snapshotBreaker = breakerReset(c, "pekko.persistence.cassandra.snapshot");
    // the breakers and the back-off wait side by side, the driver's reconnect before them
    Duration worst = reconnect.plus(max(max(journalBreaker, snapshotBreaker), ScalingSupervisor.JOURNAL_BACKOFF_MAX));
    assertTrue(worst.compareTo(BOUND) <= 0,
        "reconnect " + reconnect + ", journal breaker " + journalBreaker + ", snapshot breaker " + snapshotBreaker
            + ", restart back-off " + ScalingSupervisor.JOURNAL_BACKOFF_MAX + ": up to " + worst + " > " + BOUND);
  }

  /** The plugin's own breaker setting, else the fallback it inherits. */
  private static Duration breakerReset(Config c, String plugin) {
    String own = plugin + ".circuit-breaker.reset-timeout";
    if (c.hasPath(own)) return c.getDuration(own);
    String fallback = plugin.endsWith("snapshot") ? "snapshot-store-plugin-fallback" : "journal-plugin-fallback";
    return c.getDuration("pekko.persistence." + fallback + ".circuit-breaker.reset-timeout");
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
