package io.pickspin.http.metrics;

import io.pickspin.actors.ScalingSupervisor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Picks the scaling decisions not counted yet out of successive reads of the supervisor's recent decisions. Only the
 * node hosting the supervisor counts (so sums over nodes are right); it counts decisions taken since it took that
 * role, so that a new host after a fail-over does not count again what the old one did. Decisions that fall out of
 * the supervisor's recent list between two reads are missed. Not thread-safe.
 */
final class ScaleEvents {
  private record Key(String model, long atMs, int from, int to) {}

  private long sinceMs = -1;
  private Set<Key> seen = new HashSet<>();

  /** Starts counting decisions taken at or after {@code sinceMs}. */
  void start(long sinceMs) {
    this.sinceMs = sinceMs;
    this.seen = new HashSet<>();
  }

  void stop() {
    sinceMs = -1;
    seen = new HashSet<>();
  }

  boolean counting() {
    return sinceMs >= 0;
  }

  /** The decisions of {@code recent} (the supervisor's latest, any order) to count now; none unless started. */
  List<ScalingSupervisor.ScaleDecided> fresh(List<ScalingSupervisor.ScaleDecided> recent) {
    if (sinceMs < 0) return List.of();
    Set<Key> now = new HashSet<>();
    List<ScalingSupervisor.ScaleDecided> out = new ArrayList<>();
    for (ScalingSupervisor.ScaleDecided d : recent) {
      Key k = new Key(d.model(), d.atMs(), d.from(), d.to());
      now.add(k);
      if (d.atMs() >= sinceMs && !seen.contains(k)) out.add(d);
    }
    // what is no longer listed can never come back: keep the set as small as the list
    seen = now;
    return out;
  }
}
