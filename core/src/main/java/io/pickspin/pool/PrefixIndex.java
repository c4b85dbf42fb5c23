package io.pickspin.pool;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What the pool knows of its replicas' prefix caches: the prompt block hashes it sent to each, bounded per replica
 * (least recently sent dropped first, as the replica's LRU would) and aged (a block not sent again within the time to
 * live is assumed evicted). A guess: the replica's cache also serves other clients and evicts under memory pressure.
 */
final class PrefixIndex {
  private final int blocksPerReplica;
  private final long ttlMs;
  private final Map<String, LinkedHashMap<Long, Long>> sent = new HashMap<>();

  PrefixIndex(int blocksPerReplica, long ttlMs) {
    this.blocksPerReplica = blocksPerReplica;
    this.ttlMs = ttlMs;
  }

  /** Leading blocks of the prompt sent to this replica within the time to live. */
  int matched(String replicaId, long[] blocks, long nowMs) {
    LinkedHashMap<Long, Long> m = sent.get(replicaId);
    if (m == null) return 0;
    int n = 0;
    while (n < blocks.length) {
      Long at = m.get(blocks[n]);
      if (at == null || nowMs - at > ttlMs) break;
      n++;
    }
    return n;
  }

  void sent(String replicaId, long[] blocks, long nowMs) {
    if (blocks.length == 0 || blocksPerReplica == 0) return;
    LinkedHashMap<Long, Long> m = sent.computeIfAbsent(replicaId, id -> new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
        return size() > blocksPerReplica;
      }
    });
    // last block first, so a prompt's first blocks are dropped last, as the replica evicts a chain's tail first
    for (int i = blocks.length - 1; i >= 0; i--) m.put(blocks[i], nowMs);
  }

  /** Forgets replicas that left: a replica that comes back starts cold. */
  void retain(Set<String> replicaIds) {
    sent.keySet().retainAll(replicaIds);
  }
}
