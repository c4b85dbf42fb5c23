package io.pickspin.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pickspin.drivers.DriverSettings;
import io.pickspin.persistence.Journal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's settings are read once, before anything starts, and a bad value stops the start with its key named. */
class NodeSettingsTest {
  static final String DRAIN_PHASE = "pekko.coordinated-shutdown.phases.service-requests-done.timeout";

  @TempDir Path dataDir;

  NodeSettings parse(String overrides) {
    return NodeSettings.fromConfig(ConfigFactory.parseString(overrides).withFallback(TestNodes.singleNodeConfig(dataDir)));
  }

  String error(String overrides) {
    return assertThrows(IllegalArgumentException.class, () -> parse(overrides)).getMessage();
  }

  @Test
  void theTestNodesSettings() {
    NodeSettings s = parse("pickspin.node { seed-nodes = \"\", roles = \"gateway,control\", drain-timeout = 20s }");
    assertEquals(Journal.H2, s.journal());
    assertEquals(List.of(), s.seedNodes());
    assertEquals(List.of("gateway", "control"), s.roles());
    assertTrue(s.servesGateway());
    assertEquals(List.of("gateway", "control"), s.config().getStringList("pekko.cluster.roles"));
    assertEquals(Duration.ofSeconds(20), s.drainTimeout());
    assertEquals(Duration.ofSeconds(25), s.config().getDuration(DRAIN_PHASE), "the drain phase outlasts the drain");
    assertEquals(DriverSettings.Kind.STATIC, s.drivers().kind());
    assertEquals(3, s.catalog().localSims().size(), "every demo model on an in-process sim");
    assertEquals(0, s.gateway().port());
    assertTrue(s.deadMemberDowning().enabled());
  }

  @Test
  void theNodeBlockShapesTheActorSystemsConfig() {
    NodeSettings s =
        parse(
            "pickspin.node { seed-nodes = \"pekko://pickspin@10.0.0.1:25520, pekko://pickspin@10.0.0.2:25520\","
                + " roles = control, drain-timeout = 40s }");
    assertEquals(List.of("pekko://pickspin@10.0.0.1:25520", "pekko://pickspin@10.0.0.2:25520"), s.seedNodes());
    assertEquals(s.seedNodes(), s.config().getStringList("pekko.cluster.seed-nodes"));
    assertFalse(s.servesGateway());
    assertEquals(Duration.ofSeconds(45), s.config().getDuration(DRAIN_PHASE));
    assertEquals(
        Duration.ofSeconds(90),
        parse("pickspin.node.drain-timeout = 1s\n" + DRAIN_PHASE + " = 90s").config().getDuration(DRAIN_PHASE),
        "a longer phase timeout is kept");
  }

  @Test
  void badValuesNameTheirKey() {
    assertEquals("pickspin.node.drain-timeout must be >= 0", error("pickspin.node.drain-timeout = -1s"));
    assertEquals("pickspin.journal: unknown journal 'mongo', expected one of [h2, cassandra]", error("pickspin.journal = mongo"));
    assertEquals(
        "pickspin.cluster.dead-member-downing.refusals-to-down must be >= 1",
        error("pickspin.cluster.dead-member-downing.refusals-to-down = 0"));
    String gateway = error("pickspin.gateway.port = abc");
    assertTrue(gateway.startsWith("pickspin.gateway: ") && gateway.contains("port"), gateway);
    String model = error("pickspin.models = [{ id = x, tier = low }]");
    assertTrue(model.startsWith("pickspin.models: bad configuration for model x: "), model);
    assertEquals(
        "pickspin.scaling.driver: unknown driver 'docker', expected static, process or kubernetes",
        error("pickspin.scaling.driver = docker"));
    assertEquals("pickspin.pool.monitor-interval must be > 0", error("pickspin.pool.monitor-interval = 0s"));
    String router = error("pickspin.routing.default-router = telepathy");
    assertTrue(router.startsWith("pickspin.routing.default-router: unknown router"), router);
  }
}
