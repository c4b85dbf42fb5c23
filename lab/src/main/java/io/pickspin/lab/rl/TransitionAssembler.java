package io.pickspin.lab.rl;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns the router's decisions into replay transitions. A decision's reward is only known when its request completes
 * (or misses its deadline), and its next state is the state of the next decision, so each decision waits here until
 * both are known; transitions leave in decision order.
 *
 * <p>One routing decision is one MDP step: {@code (s_i, a_i, r_i, s_{i+1})}, where {@code r_i} is the reward of
 * request {@code i}'s outcome. The last decision of an episode is terminal.
 */
public final class TransitionAssembler {
  /** Where finished transitions go (the trainer's replay buffer). */
  @FunctionalInterface
  public interface Sink {
    void accept(float[] state, int action, double reward, float[] nextState, boolean done);
  }

  private static final class Pending {
    final long id;
    final float[] state;
    final int action;
    double reward = Double.NaN;
    float[] next;
    boolean done;

    Pending(long id, float[] state, int action) {
      this.id = id;
      this.state = state;
      this.action = action;
    }
  }

  private final Sink sink;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final Map<Long, Pending> byId = new HashMap<>();
  private long emitted;

  public TransitionAssembler(Sink sink) {
    this.sink = sink;
  }

  /** Request {@code id} was routed with {@code action} in {@code state} (the array is kept: do not reuse it). */
  public void decided(long id, float[] state, int action) {
    Pending last = queue.peekLast();
    if (last != null && last.next == null) last.next = state;
    Pending p = new Pending(id, state, action);
    queue.add(p);
    byId.put(id, p);
    drain();
  }

  /** Request {@code id}'s outcome earned {@code reward}. Unknown or repeated ids are ignored. */
  public void rewarded(long id, double reward) {
    Pending p = byId.remove(id);
    if (p == null) return;
    p.reward = reward;
    drain();
  }

  /** Ends the episode: the latest decision becomes terminal. Call once every request has been rewarded. */
  public void endEpisode() {
    Pending last = queue.peekLast();
    if (last != null && last.next == null) {
      last.next = last.state;
      last.done = true;
    }
    drain();
  }

  /** Decisions still waiting for a reward or a successor. */
  public int pending() {
    return queue.size();
  }

  public long emitted() {
    return emitted;
  }

  /** Drops whatever is pending (an aborted episode). */
  public void clear() {
    queue.clear();
    byId.clear();
  }

  private void drain() {
    while (!queue.isEmpty()) {
      Pending head = queue.peekFirst();
      if (Double.isNaN(head.reward) || head.next == null) return;
      queue.pollFirst();
      sink.accept(head.state, head.action, head.reward, head.next, head.done);
      emitted++;
    }
  }
}
