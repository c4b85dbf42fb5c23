package io.pickspin.cluster;

import static io.pickspin.cluster.RefusalTracker.Probe.ACCEPTED;
import static io.pickspin.cluster.RefusalTracker.Probe.INCONCLUSIVE;
import static io.pickspin.cluster.RefusalTracker.Probe.REFUSED;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
