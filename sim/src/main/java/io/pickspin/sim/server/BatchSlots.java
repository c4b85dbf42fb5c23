package io.pickspin.sim.server;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * The batch of one model: at most {@code capacity} requests generate at once; the others wait in arrival order. A
 * waiter is handed the slot of the request that finishes, so a slot is never free while someone waits.
 */
final class BatchSlots {
  private final int capacity;
  private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
  private int busy;

  BatchSlots(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1");
    this.capacity = capacity;
  }

  /**
   * Takes a slot. Returns null when one was free (the caller now holds it), else a future that completes when a slot
   * is handed over; the caller holds the slot from that moment, even if it has stopped caring (see {@link #cancel}).
   */
  synchronized CompletableFuture<Void> acquire() {
    if (busy < capacity) {
      busy++;
      return null;
    }
    CompletableFuture<Void> waiter = new CompletableFuture<>();
    waiting.add(waiter);
    return waiter;
  }

  /** Gives the slot back: to the oldest waiter if there is one. */
  void release() {
    CompletableFuture<Void> next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        if (busy == 0) throw new IllegalStateException("release without a slot");
        busy--;
      }
    }
    if (next != null) next.complete(null); // outside the lock: the waiter's continuation runs here
  }

  /**
   * Withdraws a waiter. True if it was still waiting; false if it had already been handed a slot, which the caller
   * then holds and must release.
   */
  synchronized boolean cancel(CompletableFuture<Void> waiter) {
    return waiting.remove(waiter);
  }

  synchronized int busy() {
    return busy;
  }

  synchronized int waiting() {
    return waiting.size();
  }
}
