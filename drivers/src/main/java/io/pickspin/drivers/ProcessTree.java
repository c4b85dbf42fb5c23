package io.pickspin.drivers;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A process and every process below it, captured when it is asked to stop: once the root has exited its children are
 * re-parented and no longer show as its descendants, so a SIGKILL sent later must reach them through this snapshot.
 */
final class ProcessTree {
  private final ProcessHandle root;
  private final Set<ProcessHandle> members = new LinkedHashSet<>();

  ProcessTree(ProcessHandle root) {
    this.root = root;
    capture();
  }

  /** Adds the processes started below the root since the last look. */
  synchronized void refresh() {
    if (root.isAlive()) capture();
  }

  private void capture() {
    members.add(root);
    root.descendants().forEach(members::add);
  }

  /** SIGTERM to every member, the root first (a wrapper shell forwards it, the backend drains). */
  synchronized void terminate() {
    capture();
    members.forEach(ProcessHandle::destroy);
  }

  /** SIGKILL to every member still alive, including those the root left behind. */
  synchronized void kill() {
    if (root.isAlive()) capture();
    members.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  synchronized boolean anyAlive() {
    return members.stream().anyMatch(ProcessHandle::isAlive);
  }

  synchronized List<ProcessHandle> alive() {
    return new ArrayList<>(members.stream().filter(ProcessHandle::isAlive).toList());
  }

  /**
   * Waits until every member has exited or {@code millis} passed; true if all are gone. Polls: the JDK watches the exit
   * of a process that is not its child by polling with a back-off of its own, which adds up to seconds.
   */
  boolean awaitExit(long millis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (anyAlive()) {
      if (System.nanoTime() >= deadline) return false;
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return !anyAlive();
      }
    }
    return true;
  }

  /** SIGTERM, then after {@code graceMillis} SIGKILL to whatever is left; returns once all are gone (or 10 s more). */
  void stop(long graceMillis) {
    terminate();
    if (!awaitExit(graceMillis)) {
      kill();
      awaitExit(10_000);
    }
  }
}
