package io.pickspin.routing;

import java.util.Locale;

/**
 * An operator preference between answer quality, speed and cost. The weights are the paper's (see
 * ../shared/research/papers.md section 1.9); they do not sum to one and are kept as given.
 */
public enum Profile {
  QUALITY(1.0, 0.1, 0.1),
  COST(0.3, 0.2, 0.8),
  SPEED(0.3, 0.8, 0.2),
  BALANCED(0.5, 0.3, 0.3);

  public final double qualityWeight;
  public final double speedWeight;
  public final double costWeight;

  Profile(double qualityWeight, double speedWeight, double costWeight) {
    this.qualityWeight = qualityWeight;
    this.speedWeight = speedWeight;
    this.costWeight = costWeight;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Profile parse(String s) {
    try {
      return Profile.valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "unknown profile '" + s + "', expected one of quality, cost, speed, balanced");
    }
  }
}
