package io.pickspin.lab.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThinkingServersTest {
  @Test
  void aThinkingModelServesItsAnswerAsIfItWereFactorTimesLonger() {
    CalibratedServers.Model base = DesFixture.servers(8, 8);
    ThinkingServers thinking = new ThinkingServers(base, new double[] {1, 6});
    assertEquals(base.idleServiceMs(0, 1000, 200), thinking.idleServiceMs(0, 1000, 200), 1e-9, "non-thinking unchanged");
    assertEquals(base.idleServiceMs(1, 1000, 1200), thinking.idleServiceMs(1, 1000, 200), 1e-9);
    assertEquals(base.fullBatchServiceMs(1, 1000, 1200), thinking.fullBatchServiceMs(1, 1000, 200), 1e-9);
    ServingSimulator s = thinking.newSimulator(new int[] {1, 1});
    List<Double> latency = new ArrayList<>();
    s.submit(1, 1000, 200, 1e12, (ok, lat) -> latency.add(lat));
    s.runToEnd();
    assertEquals(base.idleServiceMs(1, 1000, 1200), latency.get(0), 0.01 * base.idleServiceMs(1, 1000, 1200));
    assertTrue(latency.get(0) > 3 * base.idleServiceMs(1, 1000, 200));
  }
}
