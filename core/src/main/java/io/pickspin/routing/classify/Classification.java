package io.pickspin.routing.classify;

import io.pickspin.model.Tier;

/**
 * What a complexity classifier decided about one prompt.
 *
 * @param tier the predicted tier
 * @param confidence how sure the classifier is, in [0,1]: the winning probability for a learned model; 1 when a
 *     keyword phrase matched and 0 when none did (the keyword router's MEDIUM is a default, not evidence)
 * @param probabilities P(LOW), P(MEDIUM), P(HIGH), or null when the classifier has none (keyword rules)
 * @param source which classifier produced it: "keyword", "classifier", or an operator model's name
 * @param evidence the keyword phrase that matched, or null
 */
public record Classification(Tier tier, double confidence, float[] probabilities, String source, String evidence) {
  public Classification {
    if (tier == null) throw new IllegalArgumentException("tier is required");
  }

  /**
   * The complexity score in [0,1]: {@code P(HIGH) + 0.5 P(MEDIUM)} when the classifier gives probabilities, else 0,
   * 0.5 or 1 by tier (keyword rules).
   */
  public double complexity() {
    if (probabilities == null || probabilities.length != 3) return tier.ordinal() / 2.0;
    return Math.max(0, Math.min(1, probabilities[2] + 0.5 * probabilities[1]));
  }

  /** The tier with the highest probability; ties go to the higher tier (the safer mistake for routing). */
  public static Classification fromProbabilities(float[] p, String source) {
    int best = 0;
    for (int i = 1; i < p.length; i++) if (p[i] >= p[best]) best = i;
    return new Classification(Tier.values()[best], p[best], p, source, null);
  }
}
