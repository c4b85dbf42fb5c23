package io.pickspin.http.metrics;

import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.ComplexityClassifier;
import kamon.Kamon;
import kamon.metric.Timer;

/**
 * A classifier that records how long each classification takes as {@code pickspin_classifier_latency_seconds
 * {classifier}}: the learned classifier's share of the route latency.
 */
public final class TimedClassifier implements ComplexityClassifier {
  private final ComplexityClassifier delegate;
  private final Timer timer;

  public TimedClassifier(ComplexityClassifier delegate) {
    this.delegate = delegate;
    this.timer = Kamon.timer("pickspin.classifier.latency").withTag("classifier", delegate.name());
  }

  @Override
  public Classification classify(String prompt) {
    long start = System.nanoTime();
    try {
      return delegate.classify(prompt);
    } finally {
      timer.record(System.nanoTime() - start);
    }
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
