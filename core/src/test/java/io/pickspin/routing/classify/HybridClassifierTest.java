package io.pickspin.routing.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pickspin.model.Tier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HybridClassifierTest {
  /** A learned classifier stand-in that always says HIGH (p = 0.7 unless given) and counts its calls. */
  static final class CountingModel implements ComplexityClassifier {
    final AtomicInteger calls = new AtomicInteger();
    final float[] probabilities;

    CountingModel() {
      this(new float[] {0.1f, 0.2f, 0.7f});
    }

    CountingModel(float[] probabilities) {
      this.probabilities = probabilities;
    }

    @Override
    public Classification classify(String prompt) {
      calls.incrementAndGet();
      return Classification.fromProbabilities(probabilities, "classifier");
    }

    @Override
    public String name() {
      return "counting";
    }
  }

  @Test
  void aMatchedPhraseDecidesWhenTheModelIsUnsure() {
    CountingModel unsure = new CountingModel(new float[] {0.2f, 0.35f, 0.45f}); // HIGH at 0.45 < 0.7
    HybridClassifier h = new HybridClassifier(KeywordClassifier.paper(), unsure);
    Classification low = h.classify("Which of the following is a mammal?");
    assertEquals(Tier.LOW, low.tier());
    assertEquals("keyword", low.source());
    assertEquals("which of the following", low.evidence());
    Classification high = h.classify("Prove that there are infinitely many primes.");
    assertEquals(Tier.HIGH, high.tier());
    assertEquals("keyword", high.source());
    assertEquals(2, unsure.calls.get(), "the model is asked first");
  }

  @Test
  void aConfidentModelOverridesAMatchedPhrase() {
    CountingModel confident = new CountingModel(); // HIGH at 0.7, the default threshold
    HybridClassifier h = new HybridClassifier(KeywordClassifier.paper(), confident);
    Classification c = h.classify("What is the best way to prove a lock-free queue is linearizable?");
    assertEquals(Tier.HIGH, c.tier());
    assertEquals("classifier", c.source());
    assertFalse(KeywordClassifier.matched(c));
    c = h.classify("What is the capital of Portugal?"); // the keyword rules say LOW; the confident model wins
    assertEquals(Tier.HIGH, c.tier());
    assertEquals("classifier", c.source());
    // just under the threshold the phrase decides again
    HybridClassifier strict = new HybridClassifier(KeywordClassifier.paper(), confident, new HybridClassifier.Settings(0.71));
    assertEquals(Tier.LOW, strict.classify("What is the capital of Portugal?").tier());
    // threshold 0: the classifier alone
    HybridClassifier modelOnly = new HybridClassifier(KeywordClassifier.paper(), confident, new HybridClassifier.Settings(0));
    assertEquals(Tier.HIGH, modelOnly.classify("Pick one").tier());
  }

  @Test
  void theThresholdMustBeAProbability() {
    assertThrows(IllegalArgumentException.class, () -> new HybridClassifier.Settings(1.2));
    assertThrows(IllegalArgumentException.class, () -> new HybridClassifier.Settings(-0.1));
    assertThrows(IllegalArgumentException.class, () -> new HybridClassifier.Settings(Double.NaN));
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
