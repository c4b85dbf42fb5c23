package io.pickspin.routing.classify;

/**
 * Assigns a complexity tier to a prompt. Implementations are thread-safe: one instance serves every request of a
 * node, from many threads at once.
 */
public interface ComplexityClassifier extends AutoCloseable {
  Classification classify(String prompt);

  /** A short name for logs and the decision's router field. */
  String name();

  /** Releases native resources (DJL models); a no-op for pure-Java classifiers. */
  @Override
  default void close() {}
}
