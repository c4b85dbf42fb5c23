package io.pickspin.lab.des;

import io.pickspin.pool.Lease;
import io.pickspin.routing.RouteDecision;

/** A request in flight through the simulated control plane, and how it ended. Each ends exactly once. */
final class Job {
  enum End {
    COMPLETED,
    /** The pool refused it at once (hold queue full, no replica allowed) on every model tried. */
    REJECTED,
    /** It waited in a hold queue for the whole max hold without getting a replica. */
    TIMED_OUT
  }

  final SimRequest request;
  RouteDecision decision;
  String model;
  int attempts;
  Lease lease;
  double sentAt = -1; // when the lease was granted and the request went to the replica
  double firstTokenAt = -1;
  double endAt = -1;
  End end;
  boolean correct;
  /** Went to a warm fallback instead of waiting for its model's cold start. */
  boolean spilled;
  /** The prompt's block hashes, for the pool's prefix-aware choice and the replica's prefix cache; null: none. */
  long[] promptBlocks;
  /** The blocks of prompt and answer together, cached once the answer is done (a later turn's prefix); null: none. */
  long[] answeredBlocks;
  /** Prompt tokens the replica's prefix cache served. */
  int cachedTokens;

  Job(SimRequest request) {
    this.request = request;
  }

  void finish(End how, double now) {
    if (end != null) throw new IllegalStateException("request " + request.id() + " ended twice: " + end + ", then " + how);
    end = how;
    endAt = now;
  }

  double latencyMs() {
    return endAt - request.atMs();
  }

  /** From the send to the replica to the last token: what the replica took, without any wait for a lease. */
  double serviceMs() {
    return endAt - sentAt;
  }

  double ttftMs() {
    return firstTokenAt - request.atMs();
  }
}
