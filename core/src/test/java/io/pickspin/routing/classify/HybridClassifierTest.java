package io.pickspin.routing.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pickspin.model.Tier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HybridClassifierTest {
  /** A learned classifier stand-in that always says HIGH (p = 0.7) and counts its calls. */
  static final class CountingModel implements ComplexityClassifier {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public Classification classify(String prompt) {
      calls.incrementAndGet();
      return Classification.fromProbabilities(new float[] {0.1f, 0.2f, 0.7f}, "classifier");
    }

    @Override
    public String name() {
      return "counting";
    }
  }

  @Test
  void aMatchedPhraseDecidesWithoutTheModel() {
    CountingModel model = new CountingModel();
    HybridClassifier h = new HybridClassifier(KeywordClassifier.paper(), model);
    Classification low = h.classify("Which of the following is a mammal?");
    assertEquals(Tier.LOW, low.tier());
    assertEquals("keyword", low.source());
    Classification high = h.classify("Prove that there are infinitely many primes.");
    assertEquals(Tier.HIGH, high.tier());
    assertEquals(0, model.calls.get());
  }

  @Test
  void noMatchGoesToTheModel() {
    CountingModel model = new CountingModel();
    HybridClassifier h = new HybridClassifier(KeywordClassifier.paper(), model);
    Classification c = h.classify("Translate this sentence into French.");
    assertEquals(Tier.HIGH, c.tier());
    assertEquals("classifier", c.source());
    assertEquals(0.7f, c.confidence(), 1e-6);
    assertEquals(1, model.calls.get());
  }

  @Test
  void probabilityTiesGoToTheHigherTier() {
    assertEquals(Tier.HIGH, Classification.fromProbabilities(new float[] {0.2f, 0.4f, 0.4f}, "x").tier());
    assertEquals(Tier.MEDIUM, Classification.fromProbabilities(new float[] {0.45f, 0.45f, 0.1f}, "x").tier());
  }
}
