package io.pickspin.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Tier;
import io.pickspin.pool.PoolSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ScalingSettingsTest {

  @Test
  void shippedDefaultsParse() {
    Config c = ConfigFactory.defaultReference().resolve();
    ScalingSettings s = ScalingSettings.fromConfig(c.getConfig("pickspin.scaling"));
    assertEquals(Duration.ofSeconds(1), s.tickInterval());
    assertEquals(Duration.ofSeconds(300), s.idleTimeout());
    assertEquals(1, s.warm(Tier.LOW));
    assertEquals(0, s.warm(Tier.HIGH));
    PoolSettings p = PoolSettings.fromConfig(c.getConfig("pickspin.pool"));
    assertEquals(4, p.slotsPerReplica(4));
    assertEquals(3, p.healthFailuresToFail());
  }

  @Test
  void everySettingCanBeOverridden() {
    Config c =
        ConfigFactory.parseString("pickspin.scaling { cooldown = 7s, warm-pool.high = 2 }, pickspin.pool.oversubscription = 1.5")
            .withFallback(ConfigFactory.defaultReference())
            .resolve();
    ScalingSettings s = ScalingSettings.fromConfig(c.getConfig("pickspin.scaling"));
    assertEquals(Duration.ofSeconds(7), s.cooldown());
    assertEquals(2, s.warm(Tier.HIGH));
    assertEquals(6, PoolSettings.fromConfig(c.getConfig("pickspin.pool")).slotsPerReplica(4));
  }

  @Test
  void nonsenseIsRejectedWithTheSettingsName() {
    Config c =
        ConfigFactory.parseString("pickspin.scaling.warm-pool.low = -1").withFallback(ConfigFactory.defaultReference()).resolve();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ScalingSettings.fromConfig(c.getConfig("pickspin.scaling")));
    assertEquals("warm-pool.low must be >= 0", e.getMessage());
  }
}
