package io.pickspin.sim.server;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One timer thread per server that fires at nanosecond deadlines. The Pekko scheduler rounds every delay up to its
 * 10 ms tick, which would make a 10 ms TPOT come out as 10-20 ms; this timer is typically within a fraction of a
 * millisecond. Tasks must be tiny (complete a future, invoke an async callback): they all share the one thread.
 */
final class PreciseTimer implements AutoCloseable {
  private final ScheduledThreadPoolExecutor executor;

  PreciseTimer(String name) {
    executor = new ScheduledThreadPoolExecutor(1, task -> {
      Thread thread = new Thread(task, name);
      thread.setDaemon(true);
      return thread;
    });
    executor.setRemoveOnCancelPolicy(true);
  }

  ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
    return executor.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
