package io.pickspin.lab.rl;

import java.util.Random;

/**
 * Experience replay in flat Java arrays (no per-transition objects): a ring of the last {@code capacity} transitions
 * (s, a, r, s', done), sampled uniformly with replacement. Not thread-safe: the training loop owns it.
 */
public final class ReplayBuffer {
  private final int stateSize;
  private final int capacity;
  private final float[] states;
  private final float[] nextStates;
  private final int[] actions;
  private final float[] rewards;
  private final boolean[] done;
  private int next;
  private int size;

  public ReplayBuffer(int capacity, int stateSize) {
    if (capacity < 1 || stateSize < 1) throw new IllegalArgumentException("replay capacity and state size must be >= 1");
    this.capacity = capacity;
    this.stateSize = stateSize;
    this.states = new float[capacity * stateSize];
    this.nextStates = new float[capacity * stateSize];
    this.actions = new int[capacity];
    this.rewards = new float[capacity];
    this.done = new boolean[capacity];
  }

  public void add(float[] s, int a, float r, float[] s2, boolean terminal) {
    if (s.length != stateSize || s2.length != stateSize)
      throw new IllegalArgumentException("transition states must have " + stateSize + " features");
    System.arraycopy(s, 0, states, next * stateSize, stateSize);
    System.arraycopy(s2, 0, nextStates, next * stateSize, stateSize);
    actions[next] = a;
    rewards[next] = r;
    done[next] = terminal;
    next = (next + 1) % capacity;
    size = Math.min(size + 1, capacity);
  }

  public int size() {
    return size;
  }

  public int capacity() {
    return capacity;
  }

  /** A batch of transitions in flat arrays, ready to become (batch x stateSize) tensors. */
  public record Batch(int n, int stateSize, float[] states, int[] actions, float[] rewards, float[] nextStates, float[] done) {}

  public Batch sample(int n, Random rng) {
    if (size == 0) throw new IllegalStateException("replay buffer is empty");
    float[] s = new float[n * stateSize];
    float[] s2 = new float[n * stateSize];
    int[] a = new int[n];
    float[] r = new float[n];
    float[] d = new float[n];
    for (int i = 0; i < n; i++) {
      int j = rng.nextInt(size);
      System.arraycopy(states, j * stateSize, s, i * stateSize, stateSize);
      System.arraycopy(nextStates, j * stateSize, s2, i * stateSize, stateSize);
      a[i] = actions[j];
      r[i] = rewards[j];
      d[i] = done[j] ? 1f : 0f;
    }
    return new Batch(n, stateSize, s, a, r, s2, d);
  }
}
