package io.pickspin.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.lab.bench.ProcessStats.MachineCpu;
import org.junit.jupiter.api.Test;

class MachineCpuTest {
  @Test
  void stealIsTheStolenShareOfAllTicksBetweenTwoReadings() {
    // +300 user, +100 system, +400 idle, +200 steal = 1000 ticks, 200 of them stolen; +50 guest is already in user
    assertEquals(20.0, stealPercent("cpu  39215 0 19506 155037 417 0 3693 21273 0 0", "cpu  39515 0 19606 155437 417 0 3693 21473 50 0"), 1e-9);
  }

  private static double stealPercent(String before, String after) {
    return MachineCpu.parse(after).stealPercentSince(MachineCpu.parse(before));
  }

  @Test
  void readsEveryStateByName() {
    MachineCpu cpu = MachineCpu.parse("cpu  1 2 3 4 5 6 7 8 9 10\n");
    assertEquals(new MachineCpu(1, 2, 3, 4, 5, 6, 7, 8), cpu);
    assertEquals(36, cpu.total());
  }

  @Test
  void aKernelWithoutTheStealFieldStealsNothing() {
    assertEquals(0.0, stealPercent("cpu 100 0 100 800 0 0 0", "cpu 150 0 150 900 0 0 0"), 1e-9);
  }

  @Test
  void noTimeBetweenTheReadingsGivesNoShare() {
    MachineCpu cpu = MachineCpu.parse("cpu  10 0 10 80 0 0 0 5 0 0");
    assertTrue(Double.isNaN(cpu.stealPercentSince(cpu)));
  }

  @Test
  void onlyTheAggregateLineIsTaken() {
    assertThrows(IllegalArgumentException.class, () -> MachineCpu.parse("cpu0 10 0 10 80 0 0 0 5 0 0"));
  }
}
