package io.pickspin.http.metrics;

import io.pickspin.http.status.ReplicaState;
import io.pickspin.pool.PoolStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Cold-start times from successive pool readings: a replica seen STARTING and later READY (in rotation, so its health
 * check passed) took from its first STARTING reading to that READY one. The resolution is the reading interval.
 * Replicas already starting at the first reading of a model are not timed: when they were asked for is unknown.
 * Not thread-safe.
 */
final class ColdStarts {
  private final Map<String, Map<String, Long>> startingSince = new HashMap<>();
  private final Set<String> seenModels = new HashSet<>();

  /** Cold starts in ms of the replicas that became ready since the model's previous reading. */
  List<Long> observe(PoolStatus status, long nowMs) {
    boolean first = seenModels.add(status.model());
    Map<String, Long> since = startingSince.computeIfAbsent(status.model(), m -> new HashMap<>());
    List<Long> done = new ArrayList<>();
    Set<String> listed = new HashSet<>();
    for (PoolStatus.ReplicaView r : status.replicas()) {
      listed.add(r.id());
      switch (ReplicaState.of(r)) {
        case STARTING -> {
          if (!first) since.putIfAbsent(r.id(), nowMs);
        }
        case READY -> {
          Long t = since.remove(r.id());
          if (t != null) done.add(nowMs - t);
        }
        default -> since.remove(r.id());
      }
    }
    since.keySet().retainAll(listed);
    return done;
  }

  void clear() {
    startingSince.clear();
    seenModels.clear();
  }
}
