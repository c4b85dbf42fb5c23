package io.pickspin.http.status;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * This node's view of the cluster: members, the leader, and where a cluster singleton runs. A singleton runs on the
 * oldest Up member that has its role, which is what Pekko's singleton manager picks; during a hand-over the answer
 * can be ahead of the singleton by a moment.
 */
public final class ClusterView {
  private ClusterView() {}

  /** The oldest Up member with {@code role} ("" = any member). */
  static Optional<Member> oldestUp(Iterable<Member> members, String role) {
    Member oldest = null;
    for (Member m : members) {
      if (m.status() != MemberStatus.up() || (!role.isEmpty() && !m.hasRole(role))) continue;
      if (oldest == null || m.isOlderThan(oldest)) oldest = m;
    }
    return Optional.ofNullable(oldest);
  }

  /** Where the singleton of {@code role} runs, as far as this node knows; empty before any member is Up. */
  public static Optional<Address> singletonHost(ActorSystem<?> system, String role) {
    return oldestUp(Cluster.get(system).state().getMembers(), role).map(Member::address);
  }

  /** True when this node hosts (or is about to host) the singleton of {@code role}. */
  public static boolean hostsSingleton(ActorSystem<?> system, String role) {
    return singletonHost(system, role).map(a -> a.equals(Cluster.get(system).selfMember().address())).orElse(false);
  }

  /** Whether {@code address} is a current member. */
  public static Optional<Member> member(ActorSystem<?> system, Address address) {
    for (Member m : Cluster.get(system).state().getMembers()) if (m.address().equals(address)) return Optional.of(m);
    return Optional.empty();
  }

  /**
   * {@code {"self", "leader", "members": [{"address","status","roles","dataCenter","reachable"}],
   * "singletons": {name: {"role","host"}}}}.
   *
   * @param singletons singleton name to its role ("" = any member)
   */
  public static ObjectNode toJson(ActorSystem<?> system, Map<String, String> singletons) {
    Cluster cluster = Cluster.get(system);
    ClusterEvent.CurrentClusterState state = cluster.state();
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("self", cluster.selfMember().address().toString());
    root.put("selfStatus", cluster.selfMember().status().toString());
    Address leader = state.getLeader();
    root.put("leader", leader == null ? null : leader.toString());
    Set<Member> unreachable = state.getUnreachable();
    List<Member> members = new ArrayList<>();
    state.getMembers().forEach(members::add);
    // oldest first: the order in which members would host singletons
    members.sort((a, b) -> a.isOlderThan(b) ? -1 : b.isOlderThan(a) ? 1 : 0);
    ArrayNode list = root.putArray("members");
    for (Member m : members) {
      ObjectNode n = list.addObject();
      n.put("address", m.address().toString());
      n.put("status", m.status().toString());
      ArrayNode roles = n.putArray("roles");
      m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().forEach(roles::add);
      n.put("dataCenter", m.dataCenter());
      n.put("reachable", !unreachable.contains(m));
    }
    ObjectNode s = root.putObject("singletons");
    singletons.forEach(
        (name, role) -> {
          ObjectNode n = s.putObject(name);
          n.put("role", role);
          n.put("host", oldestUp(members, role).map(m -> m.address().toString()).orElse(null));
        });
    return root;
  }
}
