package io.pickspin.scaling.driver;

/** Life cycle of one replica as its driver sees it. */
public enum ReplicaPhase {
  /** Asked for, not serving yet (pod pending, process loading weights). */
  STARTING,
  /** Serving: the backend's health check passes. */
  READY,
  /** Being removed: takes no new requests, finishes what it has. */
  DRAINING,
  /** Crashed or failed its health checks. */
  FAILED
}
