package io.pickspin.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Tier;
import io.pickspin.pool.PoolSettings;
import io.pickspin.routing.Profile;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ScalingSettingsTest {

  @Test
  void shippedDefaultsParse() {
    Config c = ConfigFactory.defaultReference().resolve();
    ScalingSettings s = ScalingSettings.fromConfig(c.getConfig("pickspin.scaling"));
    assertEquals(Duration.ofSeconds(1), s.tickInterval());
    assertEquals(Duration.ofSeconds(300), s.idleTimeout());
    assertEquals(0, s.warm(Tier.LOW));
    assertEquals(0, s.warm(Tier.MEDIUM));
    assertEquals(2, s.consolidation().anchorWarm());
    assertEquals(0, s.warm(Tier.HIGH));
    assertEquals(0.95, s.slo().onTime(), 1e-12);
    assertEquals(Duration.ofSeconds(120), s.scaleDown().window());
    assertEquals(0.9, s.scaleDown().percentile(), 1e-12);
    assertTrue(s.consolidation().enabled());
    PoolSettings p = PoolSettings.fromConfig(c.getConfig("pickspin.pool"));
    assertEquals(4, p.slotsPerReplica(4));
    assertEquals(3, p.healthFailuresToFail());
  }

  @Test
  void theQualityProfileNeverConsolidatesIntoAWorseModel() {
    ScalingSettings s =
        ScalingSettings.fromConfig(ConfigFactory.defaultReference().resolve().getConfig("pickspin.scaling"));
    assertEquals(0.03, s.forProfile(Profile.BALANCED).consolidation().qualityTolerance(), 1e-12);
    assertEquals(0.0, s.forProfile(Profile.QUALITY).consolidation().qualityTolerance(), 1e-12);
    assertEquals(0.03, s.forProfile(Profile.COST).consolidation().qualityTolerance(), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> ScalingSettings.fromConfig(ConfigFactory
        .parseString("consolidation.profile-quality-tolerance.cost = 1.5")
        .withFallback(ConfigFactory.defaultReference().resolve().getConfig("pickspin.scaling"))));
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
  void newBlocksAreValidatedWithTheirNames() {
    assertEquals("pickspin.scaling.slo.on-time must be in (0,1)", scalingError("slo.on-time = 1.0"));
    assertEquals("pickspin.scaling.slo.safety must be in (0,2]", scalingError("slo.safety = 0"));
    assertEquals("pickspin.scaling.scale-down.percentile must be in (0,1]", scalingError("scale-down.percentile = 0"));
    assertEquals(
        "pickspin.scaling.consolidation.quality-tolerance must be in [0,1)",
        scalingError("consolidation.quality-tolerance = 1.5"));
    assertEquals("pickspin.scaling.burst.above-long-run must be >= 0", scalingError("burst.above-long-run = -1"));
    assertEquals("pickspin.scaling.burst.long-run must be >= 0", scalingError("burst.long-run = -1s"));
  }

  private static String scalingError(String override) {
    Config c = ConfigFactory.parseString("pickspin.scaling." + override).withFallback(ConfigFactory.defaultReference()).resolve();
    return assertThrows(IllegalArgumentException.class, () -> ScalingSettings.fromConfig(c.getConfig("pickspin.scaling")))
        .getMessage();
  }

  @Test
  void nonsenseIsRejectedWithTheSettingsName() {
    Config c =
        ConfigFactory.parseString("pickspin.scaling.warm-pool.low = -1").withFallback(ConfigFactory.defaultReference()).resolve();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ScalingSettings.fromConfig(c.getConfig("pickspin.scaling")));
    assertEquals("pickspin.scaling.warm-pool.low must be >= 0", e.getMessage());
  }

  @Test
  void nonsensePoolAndScalingValuesNameTheirKey() {
    assertEquals("pickspin.pool.faults-to-fail must be >= 1", poolError("faults-to-fail = 0"));
    assertEquals("pickspin.pool.health.failures-to-fail must be >= 1", poolError("health.failures-to-fail = 0"));
    assertEquals("pickspin.pool.health.timeout must be >= 0", poolError("health.timeout = -1s"));
    assertEquals("pickspin.pool.retry-after-max must be >= 1s", poolError("retry-after-max = 500ms"));
    assertEquals("pickspin.pool.acquire-margin must be >= 0", poolError("acquire-margin = -1s"));
    Config c =
        ConfigFactory.parseString("pickspin.scaling.telemetry-timeout = 0s").withFallback(ConfigFactory.defaultReference()).resolve();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ScalingSettings.fromConfig(c.getConfig("pickspin.scaling")));
    assertEquals("pickspin.scaling.telemetry-timeout must be > 0", e.getMessage());
  }

  private static String poolError(String override) {
    Config c = ConfigFactory.parseString("pickspin.pool." + override).withFallback(ConfigFactory.defaultReference()).resolve();
    return assertThrows(IllegalArgumentException.class, () -> PoolSettings.fromConfig(c.getConfig("pickspin.pool"))).getMessage();
  }
}
