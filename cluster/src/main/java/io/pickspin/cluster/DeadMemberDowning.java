package io.pickspin.cluster;

import com.typesafe.config.Config;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.remote.RemoteActorRefProvider;
import scala.Option;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downs members whose process is provably dead (see {@link RefusalTracker}) without waiting for the failure detector
 * and the Split Brain Resolver: after a kill -9 the singleton moves in about a second plus hand-over, instead of
 * heartbeat pause + stable-after + removal margin. Frozen and partitioned members still go through SBR.
 *
 * <p>Every node probes every other member's remoting port on a fixed tick. A node downs a dead member only when it is
 * on the side the Split Brain Resolver would keep ({@link KeptSide}): a firewall that rejects connections both ways
 * looks like a dead process from both sides, and each side downing the other would leave two clusters with a
 * singleton each. The Down is idempotent. Not an actor: the probes are blocking connects, so they run on one daemon
 * thread of their own.
 */
final class DeadMemberDowning implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeadMemberDowning.class);

  /**
   * The {@code pickspin.cluster.dead-member-downing} block.
   *
   * @param probeInterval how often every other member's remoting port is probed
   * @param connectTimeout how long one probe may take; a probe that times out proves nothing
   * @param refusalsToDown refused connections in a row that down a member
   */
  record Settings(boolean enabled, Duration probeInterval, Duration connectTimeout, int refusalsToDown) {
    private static final String BLOCK = "pickspin.cluster.dead-member-downing";

    Settings {
      if (probeInterval.toMillis() < 1) throw new IllegalArgumentException(BLOCK + ".probe-interval must be > 0");
      if (connectTimeout.toMillis() < 1 || connectTimeout.toMillis() > Integer.MAX_VALUE)
        throw new IllegalArgumentException(BLOCK + ".connect-timeout must be between 1ms and " + Integer.MAX_VALUE + "ms");
      if (refusalsToDown < 1) throw new IllegalArgumentException(BLOCK + ".refusals-to-down must be >= 1");
    }

    /** Reads the {@code pickspin.cluster.dead-member-downing} block. */
    static Settings fromConfig(Config c) {
      return new Settings(
          c.getBoolean("enabled"), c.getDuration("probe-interval"), c.getDuration("connect-timeout"), c.getInt("refusals-to-down"));
    }
  }

  private final ActorSystem<?> system;
  private final Cluster cluster;
  private final Settings settings;
  private final RefusalTracker tracker;
  /** Members this node has downed, or declined to down (not on the kept side): each is acted on, or logged, once. */
  private final Set<String> handled = new HashSet<>();
  private final ScheduledExecutorService probes =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "pickspin-dead-member-probe");
            t.setDaemon(true);
            return t;
          });

  private DeadMemberDowning(ActorSystem<?> system, Settings settings) {
    this.system = system;
    this.cluster = Cluster.get(system);
    this.settings = settings;
    this.tracker = new RefusalTracker(settings.refusalsToDown());
  }

  static DeadMemberDowning start(ActorSystem<?> system, Settings settings) {
    DeadMemberDowning d = new DeadMemberDowning(system, settings);
    if (settings.enabled()) {
      long ms = settings.probeInterval().toMillis();
      d.probes.scheduleWithFixedDelay(d::probeAll, ms, ms, TimeUnit.MILLISECONDS);
    }
    return d;
  }

  private void probeAll() {
    try {
      Address self = cluster.selfMember().address();
      Map<Member, RefusalTracker.Probe> round = new HashMap<>();
      for (Member m : cluster.state().getMembers()) {
        // a member that is leaving (SIGTERM) closes its port on purpose and is removed by the cluster itself
        boolean live = m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp() || m.status() == MemberStatus.joining();
        if (m.address().equals(self) || !live) continue;
        if (m.address().host().isEmpty() || m.address().port().isEmpty()) continue;
        RefusalTracker.Probe probe = probe(m.address().host().get(), (Integer) m.address().port().get());
        tracker.record(m.address().toString(), probe);
        round.put(m, probe);
      }
      Set<String> seen = new HashSet<>();
      round.keySet().forEach(m -> seen.add(m.address().toString()));
      tracker.retain(seen);
      handled.retainAll(seen);
      boolean kept = KeptSide.kept(cluster.selfMember(), round, Member.ordering());
      for (Member m : round.keySet()) {
        String key = m.address().toString();
        if (!tracker.dead(key) || handled.contains(key)) continue;
        handled.add(key);
        if (!kept) {
          log.warn(
              "member {} refused {} connections in a row, but this node is not on the side the Split Brain Resolver"
                  + " keeps (a firewall rejecting both ways looks the same): leaving it to SBR", key, settings.refusalsToDown());
          continue;
        }
        log.warn("member {} refused {} connections in a row: its process is gone, downing it now", key, settings.refusalsToDown());
        quarantine(m);
        cluster.manager().tell(new Down(m.address()));
      }
    } catch (RuntimeException e) {
      log.debug("dead-member probe round failed: {}", e.toString());
    }
  }

  /**
   * Quarantining the dead incarnation makes the cluster mark it terminated (unreachable) at once, so that its removal
   * and the singleton hand-over need not wait for the failure detector. A restarted process has a new uid and is not
   * affected. Pekko's remoting exposes this only on its provider; if that ever changes, Down alone still works.
   */
  private void quarantine(Member m) {
    try {
      if (system.classicSystem() instanceof ExtendedActorSystem ext && ext.provider() instanceof RemoteActorRefProvider remote) {
        remote.quarantine(m.address(), Option.apply(m.uniqueAddress().longUid()), "pickspin: process is gone (connection refused)");
      }
    } catch (RuntimeException e) {
      log.debug("could not quarantine {}: {}", m.address(), e.toString());
    }
  }

  private RefusalTracker.Probe probe(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), (int) settings.connectTimeout().toMillis());
      return RefusalTracker.Probe.ACCEPTED;
    } catch (ConnectException e) {
      // "Connection refused" is an RST; "timed out" and "no route to host" prove nothing
      return e.getMessage() != null && e.getMessage().contains("refused")
          ? RefusalTracker.Probe.REFUSED
          : RefusalTracker.Probe.INCONCLUSIVE;
    } catch (IOException e) {
      return RefusalTracker.Probe.INCONCLUSIVE;
    }
  }

  @Override
  public void close() {
    probes.shutdownNow();
  }
}
