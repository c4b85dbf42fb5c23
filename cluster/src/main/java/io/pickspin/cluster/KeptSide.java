package io.pickspin.cluster;

import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Whether this node is on the side that the Split Brain Resolver's keep-majority would keep, judged from this round's
 * probes: this node and the members whose remoting port accepted its connection are one side; every other member
 * (refused, or no answer) counts against it. The side is kept when it holds a strict majority of the members, or
 * exactly half with the member of the lowest address among them, as keep-majority breaks ties.
 *
 * <p>{@link DeadMemberDowning} downs only from the kept side. Under a firewall that rejects connections both ways,
 * each side sees the other refuse; without this rule each would down the other and both would run a scaling
 * supervisor writing one persistence id. With it only the side SBR keeps downs the other, and SBR downs the rest.
 */
final class KeptSide {
  private KeptSide() {}

  /**
   * @param self this node
   * @param probes every other live member and how it answered this round
   * @param order the members' address order (keep-majority keeps the side with the lowest address on a tie)
   */
  static <A> boolean kept(A self, Map<A, RefusalTracker.Probe> probes, Comparator<A> order) {
    Set<A> ours = new HashSet<>();
    ours.add(self);
    probes.forEach((m, p) -> {
      if (p == RefusalTracker.Probe.ACCEPTED) ours.add(m);
    });
    int all = probes.size() + 1;
    if (2 * ours.size() > all) return true;
    if (2 * ours.size() < all) return false;
    A lowest = self;
    for (A m : probes.keySet()) if (order.compare(m, lowest) < 0) lowest = m;
    return ours.contains(lowest);
  }
}
