package io.pickspin.routing.matrix;

import io.pickspin.model.Tier;

/**
 * How well a model of one size class answers prompts of a tier, as a factor on its quality: 1 when the model is big
 * enough, less when it is too small (the paper's scorer uses 0.6 for a complex prompt on a small model). Immutable.
 */
public final class TierFit {
  private final double[][] fit; // [model tier][prompt tier]

  public TierFit(double[][] fit) {
    if (fit.length != 3) throw new IllegalArgumentException("tier-fit needs 3 rows");
    this.fit = new double[3][];
    for (int i = 0; i < 3; i++) {
      if (fit[i].length != 3) throw new IllegalArgumentException("tier-fit needs 3 columns");
      for (double d : fit[i]) if (d < 0 || d > 1) throw new IllegalArgumentException("tier-fit factors must be in [0,1]");
      this.fit[i] = fit[i].clone();
    }
  }

  /** Defaults: a model fits prompts up to its own tier; one tier too small keeps 0.6 (the paper's penalty), two 0.3. */
  public static TierFit defaults() {
    return new TierFit(new double[][] {{1.0, 0.6, 0.3}, {1.0, 1.0, 0.6}, {1.0, 1.0, 1.0}});
  }

  public double factor(Tier modelTier, Tier promptTier) {
    return fit[modelTier.ordinal()][promptTier.ordinal()];
  }
}
