package io.pickspin.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The scaling and pool blocks are read once into the settings the spin side's actors take. */
class SpinSettingsTest {
  static SpinSettings parse(String overrides) {
    Config c = ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve();
    return SpinSettings.fromConfig(c.getConfig("pickspin"));
  }

  static String error(String overrides) {
    return assertThrows(IllegalArgumentException.class, () -> parse(overrides)).getMessage();
  }

  @Test
  void theShippedBlocksParse() {
    SpinSettings s = parse("pickspin.scaling.singleton-role = \"\"");
    assertEquals("", s.singletonRole());
    assertEquals(Duration.ofSeconds(5), s.acquireResendInterval());
    assertEquals(Duration.ofMillis(500), s.monitorInterval());
    assertEquals(Duration.ofSeconds(2), s.pool().acquireMargin());
    assertEquals(Duration.ofSeconds(60), s.scaling().cooldown());
  }

  @Test
  void theActorsOwnSettingsCanBeOverridden() {
    SpinSettings s =
        parse("pickspin.scaling.singleton-role = control\npickspin.pool { acquire-resend-interval = 1s, monitor-interval = 50ms }");
    assertEquals("control", s.singletonRole());
    assertEquals(Duration.ofSeconds(1), s.acquireResendInterval());
    assertEquals(Duration.ofMillis(50), s.monitorInterval());
  }

  @Test
  void badValuesNameTheirKey() {
    assertEquals("pickspin.pool.acquire-resend-interval must be > 0", error("pickspin.pool.acquire-resend-interval = 0s"));
    assertEquals("pickspin.pool.monitor-interval must be > 0", error("pickspin.pool.monitor-interval = 0s"));
    assertEquals("pickspin.pool.oversubscription must be >= 1.0", error("pickspin.pool.oversubscription = 0.5"));
    assertEquals("pickspin.scaling.cooldown must be >= 0", error("pickspin.scaling.cooldown = -1s"));
    String mistyped = error("pickspin.pool.monitor-interval = often");
    assertTrue(mistyped.startsWith("pickspin.pool.monitor-interval: "), mistyped);
    String missing =
        assertThrows(
                IllegalArgumentException.class,
                () -> SpinSettings.fromConfig(
                    ConfigFactory.defaultReference().resolve().getConfig("pickspin").withoutPath("scaling.tick-interval")))
            .getMessage();
    assertTrue(missing.startsWith("pickspin.scaling: ") && missing.contains("tick-interval"), missing);
  }
}
