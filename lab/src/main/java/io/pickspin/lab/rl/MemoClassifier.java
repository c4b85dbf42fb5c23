package io.pickspin.lab.rl;

import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.ComplexityClassifier;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Remembers a classifier's answer per prompt instance: the simulator replays the same prompt objects many times, and
 * the learned classifier's ~1 ms per call would otherwise dominate a benchmark run. Not thread-safe (one simulation
 * loop).
 */
public final class MemoClassifier implements ComplexityClassifier {
  private final ComplexityClassifier inner;
  private final Map<String, Classification> memo = new IdentityHashMap<>();

  public MemoClassifier(ComplexityClassifier inner) {
    this.inner = inner;
  }

  @Override
  public Classification classify(String prompt) {
    return memo.computeIfAbsent(prompt, inner::classify);
  }

  @Override
  public String name() {
    return inner.name();
  }
}
