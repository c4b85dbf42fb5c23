package io.pickspin.cluster;

import static io.pickspin.cluster.RefusalTracker.Probe.ACCEPTED;
import static io.pickspin.cluster.RefusalTracker.Probe.INCONCLUSIVE;
import static io.pickspin.cluster.RefusalTracker.Probe.REFUSED;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RefusalTrackerTest {
  @Test
  void downsOnceAfterConsecutiveRefusals() {
    RefusalTracker t = new RefusalTracker(2);
    assertFalse(t.record("a", REFUSED));
    assertTrue(t.record("a", REFUSED));
    assertFalse(t.record("a", REFUSED), "the verdict is given once");
  }

  @Test
  void aFrozenOrUnreachableMemberIsNeverDownedByProbes() {
    RefusalTracker t = new RefusalTracker(2);
    for (int i = 0; i < 10; i++) {
      assertFalse(t.record("frozen", ACCEPTED));
      assertFalse(t.record("partitioned", INCONCLUSIVE));
    }
  }

  @Test
  void anythingButARefusalResetsTheCount() {
    RefusalTracker t = new RefusalTracker(3);
    t.record("a", REFUSED);
    t.record("a", REFUSED);
    t.record("a", INCONCLUSIVE);
    assertFalse(t.record("a", REFUSED));
    assertFalse(t.record("a", REFUSED));
    assertTrue(t.record("a", REFUSED));
  }

  @Test
  void forgetsMembersThatLeft() {
    RefusalTracker t = new RefusalTracker(2);
    t.record("gone", REFUSED);
    t.retain(Set.of("other"));
    assertFalse(t.record("gone", REFUSED), "a member that rejoined starts from zero");
  }

  @Test
  void aDeadVerdictLastsWhileTheRefusalsGoOn() {
    RefusalTracker t = new RefusalTracker(2);
    t.record("a", REFUSED);
    assertFalse(t.dead("a"));
    t.record("a", REFUSED);
    t.record("a", REFUSED);
    assertTrue(t.dead("a"));
    t.record("a", ACCEPTED);
    assertFalse(t.dead("a"));
  }

  @Test
  void onlyTheSideKeepMajorityWouldKeepMayDown() {
    Comparator<String> order = Comparator.naturalOrder();
    // three nodes, c's process gone: a and b are the majority and may down it; c alone may not
    assertTrue(KeptSide.kept("a", Map.of("b", ACCEPTED, "c", REFUSED), order));
    assertFalse(KeptSide.kept("c", Map.of("a", REFUSED, "b", REFUSED), order));
    // two nodes behind a firewall that rejects both ways: each sees the other refuse; only the lowest address acts
    assertTrue(KeptSide.kept("a", Map.of("b", REFUSED), order));
    assertFalse(KeptSide.kept("b", Map.of("a", REFUSED), order));
    // a member that does not answer at all counts against this side: no majority, no downing
    assertFalse(KeptSide.kept("b", Map.of("a", INCONCLUSIVE, "c", REFUSED), order));
    // four nodes split two and two: the half with the lowest address is kept
    assertTrue(KeptSide.kept("a", Map.of("b", ACCEPTED, "c", REFUSED, "d", REFUSED), order));
    assertFalse(KeptSide.kept("c", Map.of("d", ACCEPTED, "a", REFUSED, "b", REFUSED), order));
  }
}
