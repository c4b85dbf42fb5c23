package io.pickspin.http;

import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deadlines of requests in flight, checked together by one periodic sweep instead of a timer each. Every request
 * has a first-byte deadline and every streamed answer an idle one; a timer costs a scheduler insert and a cancel on the
 * hot path, a deadline here a queue insert and a flag. A deadline fires at most one tick late.
 */
final class Deadlines implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Deadlines.class);
  /** A point in time and what to do when it passes; the owner may move it (an idle deadline, with every chunk). */
  static final class Deadline {
    private final Runnable onExpiry;
    private final AtomicBoolean settled = new AtomicBoolean();
    private volatile long atNanos;

    private Deadline(long atNanos, Runnable onExpiry) {
      this.atNanos = atNanos;
      this.onExpiry = onExpiry;
    }

    void moveTo(long nanos) {
      atNanos = nanos;
    }

    /** @return true if it had not fired: the owner goes on, and it never fires */
    boolean disarm() {
      return settled.compareAndSet(false, true);
    }

    boolean settled() {
      return settled.get();
    }
  }

  private final ConcurrentLinkedQueue<Deadline> armed = new ConcurrentLinkedQueue<>();
  private volatile Cancellable sweeps;

  /** Deadlines swept every {@code tick} on the system's scheduler until {@link #close}. */
  static Deadlines start(ActorSystem<?> system, Duration tick) {
    Deadlines d = new Deadlines();
    d.sweeps = system.classicSystem().scheduler()
        .scheduleWithFixedDelay(tick, tick, () -> d.sweep(System.nanoTime()), system.executionContext());
    return d;
  }

  /** @param onExpiry runs on the sweeping thread: it must be short and not block */
  Deadline arm(Duration timeout, Runnable onExpiry) {
    Deadline d = new Deadline(System.nanoTime() + timeout.toNanos(), onExpiry);
    armed.add(d);
    return d;
  }

  /** Fires the deadlines that have passed and forgets the disarmed ones. */
  void sweep(long nowNanos) {
    for (Iterator<Deadline> it = armed.iterator(); it.hasNext(); ) {
      Deadline d = it.next();
      if (d.settled()) {
        it.remove();
      } else if (nowNanos - d.atNanos >= 0 && d.settled.compareAndSet(false, true)) {
        it.remove();
        try {
          d.onExpiry.run();
        } catch (RuntimeException e) {
          // one owner's failure must not stop the sweeps of all the others
          log.error("a deadline's expiry failed", e);
        }
      }
    }
  }

  /** Deadlines armed and not yet swept away. */
  int size() {
    return armed.size();
  }

  @Override
  public void close() {
    Cancellable s = sweeps;
    if (s != null) s.cancel();
  }
}
