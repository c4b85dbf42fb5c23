package io.pickspin.lab.des;

import java.util.PriorityQueue;

/**
 * Virtual time: a priority queue of actions by time, ties in scheduling order. Nothing sleeps; {@link #run} jumps from
 * one event to the next. Time is in milliseconds as a double (token-level precision); the production policy classes
 * see it truncated to whole milliseconds.
 */
public final class EventQueue implements BatchingEngine.Events {
  private record Event(double at, long seq, Runnable action) {}

  private final PriorityQueue<Event> queue =
      new PriorityQueue<>((a, b) -> a.at != b.at ? Double.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private double now;
  private long seq;
  private long processed;

  @Override
  public double now() {
    return now;
  }

  long nowMs() {
    return (long) Math.floor(now);
  }

  long processed() {
    return processed;
  }

  void at(double t, Runnable action) {
    if (t < now) throw new IllegalStateException("event in the past: " + t + " < " + now);
    queue.add(new Event(t, seq++, action));
  }

  @Override
  public void after(double delayMs, Runnable action) {
    at(now + Math.max(0, delayMs), action);
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  /** Runs events in time order until none is left. */
  public void run() {
    while (!queue.isEmpty()) step();
  }

  /** Runs the events due up to {@code t}, then sets the clock to {@code t} (if it is not past it already). */
  public void runUntil(double t) {
    while (!queue.isEmpty() && queue.peek().at <= t) step();
    now = Math.max(now, t);
  }

  private void step() {
    Event e = queue.poll();
    now = e.at;
    processed++;
    e.action.run();
  }
}
