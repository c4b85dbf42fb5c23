package io.pickspin.cluster;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Decides when a cluster member is provably dead: its remoting port actively refused a TCP connection several times in
 * a row. A refusal (RST) means the host is up and nothing listens on the port any more, so the member's process is
 * gone: it cannot be a slow or partitioned node, which time out instead and are left to the Split Brain Resolver.
 * Downing such a member at once skips the failure detector's pause and SBR's stable-after wait.
 */
final class RefusalTracker {
  enum Probe {
    /** The port accepted the connection: the process is alive (perhaps frozen). */
    ACCEPTED,
    /** Actively refused: nothing listens. */
    REFUSED,
    /** No answer in time, unreachable network, anything else: proves nothing. */
    INCONCLUSIVE
  }

  private final int refusalsToDown;
  private final Map<String, Integer> consecutive = new HashMap<>();

  RefusalTracker(int refusalsToDown) {
    if (refusalsToDown < 1) throw new IllegalArgumentException("refusals-to-down must be >= 1");
    this.refusalsToDown = refusalsToDown;
  }

  /** Records one probe of a member and returns true exactly once, when the member should be downed. */
  boolean record(String member, Probe probe) {
    if (probe != Probe.REFUSED) {
      consecutive.remove(member);
      return false;
    }
    int n = consecutive.merge(member, 1, Integer::sum);
    return n == refusalsToDown;
  }

  /** Whether the member refused at least refusals-to-down connections in a row, up to its last probe. */
  boolean dead(String member) {
    return consecutive.getOrDefault(member, 0) >= refusalsToDown;
  }

  /** Forgets members that left the cluster. */
  void retain(Set<String> members) {
    consecutive.keySet().retainAll(members);
  }
}
