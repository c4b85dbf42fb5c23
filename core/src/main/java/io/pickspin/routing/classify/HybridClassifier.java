package io.pickspin.routing.classify;

import com.typesafe.config.Config;

/**
 * The learned classifier, with the keyword rules as the tie-breaker when it is unsure. The rule: a classifier whose top
 * probability reaches {@code overrideConfidence} decides, whether or not a keyword phrase matched; below it, a matched
 * HIGH or LOW phrase decides, and a prompt with no phrase stays with the classifier. The result is the deciding
 * classifier's own: its evidence says which path decided (a phrase: the keyword rules; null: the classifier).
 */
public final class HybridClassifier implements ComplexityClassifier {
  /** The top probability from which the classifier overrides a matched phrase, unless configured otherwise. */
  public static final double DEFAULT_OVERRIDE_CONFIDENCE = 0.7;

  /** Probabilities are floats: 0.7f is 0.69999999 as a double, and still reaches a threshold of 0.7. */
  private static final double FLOAT_SLACK = 1e-6;

  private final KeywordClassifier keywords;
  private final ComplexityClassifier model;
  private final double overrideConfidence;

  /** The hybrid of {@code pickspin.routing.hybrid}: the classifier's top probability that overrides a keyword match. */
  public record Settings(double overrideConfidence) {
    public Settings {
      if (!(overrideConfidence >= 0 && overrideConfidence <= 1))
        throw new IllegalArgumentException("classifier-override must be in [0,1], got " + overrideConfidence);
    }

    public static Settings defaults() {
      return new Settings(DEFAULT_OVERRIDE_CONFIDENCE);
    }

    /** Reads the {@code pickspin.routing.hybrid} block. */
    public static Settings fromConfig(Config hybrid) {
      return new Settings(hybrid.getDouble("classifier-override"));
    }
  }

  public HybridClassifier(KeywordClassifier keywords, ComplexityClassifier model) {
    this(keywords, model, Settings.defaults());
  }

  public HybridClassifier(KeywordClassifier keywords, ComplexityClassifier model, Settings settings) {
    this.keywords = keywords;
    this.model = model;
    this.overrideConfidence = settings.overrideConfidence();
  }

  @Override
  public Classification classify(String prompt) {
    Classification learned = model.classify(prompt);
    if (learned.confidence() >= overrideConfidence - FLOAT_SLACK) return learned;
    Classification k = keywords.classify(prompt);
    return KeywordClassifier.matched(k) ? k : learned;
  }

  @Override
  public String name() {
    return "hybrid";
  }
}
