package io.pickspin.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.lab.bench.StealGate.Decision;
import io.pickspin.lab.bench.StealGate.Verdict;
import org.junit.jupiter.api.Test;

class StealGateTest {
  private static final double NAN = Double.NaN;

  @Test
  void aRoundWithEveryCellWithinTheBoundIsAccepted() {
    StealGate gate = new StealGate(10, 4);
    Decision d = gate.judge(new double[] {0.0, 4.5, 10.0}, 1); // the bound itself is within it
    assertEquals(Verdict.ACCEPTED, d.verdict());
    assertTrue(d.verdict().kept());
    assertEquals(10.0, d.highestSteal(), 1e-9);
    assertFalse(d.stealUnknown());
    assertCounts(gate, 1, 0, 0, 0);
  }

  @Test
  void oneCellOverTheBoundRejectsTheRoundWhileRetriesAreLeft() {
    StealGate gate = new StealGate(10, 4);
    Decision d = gate.judge(new double[] {2.0, 30.0, 1.0}, 2);
    assertEquals(Verdict.REJECTED, d.verdict());
    assertFalse(d.verdict().kept());
    assertEquals(30.0, d.highestSteal(), 1e-9);
    assertEquals(Verdict.ACCEPTED, gate.judge(new double[] {2.0, 3.0, 1.0}, 3).verdict());
    assertCounts(gate, 2, 1, 0, 0);
  }

  @Test
  void anUnknownStealIsAcceptedAndCountedAsUnknown() {
    StealGate gate = new StealGate(10, 4);
    Decision d = gate.judge(new double[] {NAN, 3.0}, 1);
    assertEquals(Verdict.ACCEPTED, d.verdict());
    assertTrue(d.stealUnknown());
    assertEquals(3.0, d.highestSteal(), 1e-9);
    Decision none = gate.judge(new double[] {NAN, NAN}, 1);
    assertEquals(Verdict.ACCEPTED, none.verdict());
    assertTrue(Double.isNaN(none.highestSteal()));
    assertCounts(gate, 2, 0, 0, 2);
  }

  @Test
  void anUnknownStealDoesNotHideAKnownOneOverTheBound() {
    StealGate gate = new StealGate(10, 4);
    Decision d = gate.judge(new double[] {NAN, 12.0}, 1);
    assertEquals(Verdict.REJECTED, d.verdict());
    assertTrue(d.stealUnknown());
    assertCounts(gate, 1, 1, 0, 0);
  }

  @Test
  void whenEveryAttemptIsOverTheBoundTheLastIsKeptAndCounted() {
    StealGate gate = new StealGate(10, 1);
    assertEquals(2, gate.maxAttempts());
    assertEquals(Verdict.REJECTED, gate.judge(new double[] {30.0}, 1).verdict());
    Decision last = gate.judge(new double[] {25.0}, 2);
    assertEquals(Verdict.KEPT_OVER_BOUND, last.verdict());
    assertTrue(last.verdict().kept());
    assertCounts(gate, 2, 1, 1, 0);
    assertThrows(IllegalArgumentException.class, () -> gate.judge(new double[] {1.0}, 3));
  }

  @Test
  void withoutABoundEveryRoundIsAcceptedAtTheFirstAttempt() {
    StealGate gate = new StealGate(NAN, 4);
    assertFalse(gate.bounded());
    assertEquals(1, gate.maxAttempts());
    assertEquals(Verdict.ACCEPTED, gate.judge(new double[] {99.0}, 1).verdict());
    assertCounts(gate, 1, 0, 0, 0);
  }

  @Test
  void aBoundIsAPercentageAndRetriesAreNotNegative() {
    assertThrows(IllegalArgumentException.class, () -> new StealGate(-1, 4));
    assertThrows(IllegalArgumentException.class, () -> new StealGate(101, 4));
    assertThrows(IllegalArgumentException.class, () -> new StealGate(10, -1));
  }

  private static void assertCounts(StealGate gate, int attempts, int rejected, int keptOverBound, int unknown) {
    assertEquals(attempts, gate.attempts(), "attempts");
    assertEquals(rejected, gate.rejected(), "rejected");
    assertEquals(keptOverBound, gate.keptOverBound(), "kept over the bound");
    assertEquals(unknown, gate.acceptedWithStealUnknown(), "accepted with steal unknown");
  }
}
