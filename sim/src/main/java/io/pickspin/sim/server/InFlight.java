package io.pickspin.sim.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The requests a server is still working on (queued, generating or hanging), so that stopping the server can end
 * them all: a stopped sim behaves like a dead replica, its open connections are reset.
 */
final class InFlight {
  /** One piece of work that can be cut short; abort is idempotent and may be called from any thread. */
  interface Work {
    void abort(Throwable cause);
  }

  private static final Fault.Injected STOPPED = new Fault.Injected("sim server stopped");

  private final Set<Work> work = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** Tracks {@code w}; when the server is already stopping, aborts it at once. */
  void add(Work w) {
    work.add(w);
    if (closed) w.abort(STOPPED);
  }

  void remove(Work w) {
    work.remove(w);
  }

  boolean closed() {
    return closed;
  }

  /** Refuses new work and aborts what is running. */
  void abortAll() {
    closed = true;
    for (Work w : work) w.abort(STOPPED);
  }
}
