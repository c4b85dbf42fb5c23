package io.pickspin.lab.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransitionAssemblerTest {
  record T(float s, int a, double r, float next, boolean done) {}

  @Test
  void pairsDelayedRewardsWithTheNextDecisionInOrder() {
    List<T> out = new ArrayList<>();
    TransitionAssembler asm = new TransitionAssembler((s, a, r, n, d) -> out.add(new T(s[0], a, r, n[0], d)));
    asm.decided(1, new float[] {10}, 0);
    asm.decided(2, new float[] {20}, 1);
    asm.rewarded(2, 0.5); // request 2 finishes first: it must wait for request 1 and for decision 3
    assertEquals(List.of(), out);
    asm.rewarded(1, 1.0);
    assertEquals(List.of(new T(10, 0, 1.0, 20, false)), out);
    asm.decided(3, new float[] {30}, 2);
    assertEquals(new T(20, 1, 0.5, 30, false), out.get(1));
    asm.rewarded(3, -0.5);
    assertEquals(2, out.size(), "the last decision waits for its successor");
    asm.rewarded(3, 7); // repeated: ignored
    asm.endEpisode();
    assertEquals(new T(30, 2, -0.5, 30, true), out.get(2));
    assertEquals(0, asm.pending());
    assertEquals(3, asm.emitted());
  }

  @Test
  void keepsTheStateArraysItWasGiven() {
    List<float[]> next = new ArrayList<>();
    TransitionAssembler asm = new TransitionAssembler((s, a, r, n, d) -> next.add(n));
    float[] second = {2, 2};
    asm.decided(1, new float[] {1, 1}, 0);
    asm.decided(2, second, 0);
    asm.rewarded(1, 0);
    assertArrayEquals(second, next.get(0));
  }
}
