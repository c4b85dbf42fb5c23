package io.pickspin.routing.classify;

/**
 * Keyword fast path when it is confident, the learned classifier otherwise. The rule: a matched HIGH or LOW phrase
 * decides (it costs microseconds); a prompt with no phrase, which the keyword rules would only default to MEDIUM,
 * goes to the classifier. The result's source says which path decided.
 */
public final class HybridClassifier implements ComplexityClassifier {
  private final KeywordClassifier keywords;
  private final ComplexityClassifier model;

  public HybridClassifier(KeywordClassifier keywords, ComplexityClassifier model) {
    this.keywords = keywords;
    this.model = model;
  }

  @Override
  public Classification classify(String prompt) {
    Classification k = keywords.classify(prompt);
    return KeywordClassifier.matched(k) ? k : model.classify(prompt);
  }

  @Override
  public String name() {
    return "hybrid";
  }
}
