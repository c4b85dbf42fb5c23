package io.pickspin.lab.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pickspin.lab.rl.ServingMetrics.Served;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServingMetricsTest {
  @Test
  void windowQualityIsCreditedUtilityOverLargeModelUtility() {
    List<Served> s = List.of(
        new Served(100, true, 0.8, 0.8, 0), // window 0: large-equivalent
        new Served(900, true, 0.6, 0.8, 0), // window 0: small model, 0.6 of 0.8
        new Served(1500, false, 0, 0.8, 0), // window 1: late, earns nothing
        new Served(1600, true, 0.8, 0.8, 0),
        new Served(2500, true, 0.9, 0.9, 0), // window 2
        new Served(3100, true, 0.9, 0.9, 0)); // beyond the end: ignored
    assertArrayEquals(new double[] {1.4 / 1.6, 0.5, 1.0}, ServingMetrics.windowQuality(s, 0, 3000, 1000), 1e-12);
    ServingMetrics.Summary sum = ServingMetrics.summarise(s, 0, 3000, 1000, 4);
    assertEquals(5.0 / 6, sum.availability(), 1e-12);
    assertEquals(3, sum.windows());
    assertEquals(1.0 / 3, sum.windowsAtLeast99(), 1e-12);
    assertEquals((1.4 / 1.6 + 0.5 + 1.0) / 3 / 4, sum.qualityPerGpu(), 1e-12);
  }

  @Test
  void emptyWindowsAreSkipped() {
    List<Served> s = List.of(new Served(10, true, 1, 1, 0), new Served(2010, true, 0.5, 1, 0));
    assertArrayEquals(new double[] {1.0, 0.5}, ServingMetrics.windowQuality(s, 0, 3000, 1000), 1e-12);
    assertEquals(0.5, ServingMetrics.shareAtLeast(new double[] {0.99, 0.98}, 0.99), 1e-12);
  }
}
