package io.pickspin.lab.bench;

import java.util.Locale;

/**
 * A target of the gateway-overhead report against what the run measured: whether it is met, and when it is not, by how
 * much. A value that was not measured (NaN) meets no target. No I/O.
 */
record TargetCheck(double measured, Comparison comparison, double bound) {
  enum Comparison {
    /** measured < bound (a latency). */
    BELOW,
    /** measured >= bound (a throughput ratio with a floor). */
    AT_LEAST,
    /** measured > bound (a throughput ratio that must be ahead of another way's). */
    ABOVE
  }

  static TargetCheck below(double measured, double bound) {
    return new TargetCheck(measured, Comparison.BELOW, bound);
  }

  static TargetCheck atLeast(double measured, double bound) {
    return new TargetCheck(measured, Comparison.AT_LEAST, bound);
  }

  static TargetCheck above(double measured, double bound) {
    return new TargetCheck(measured, Comparison.ABOVE, bound);
  }

  boolean met() {
    if (Double.isNaN(measured)) return false;
    return switch (comparison) {
      case BELOW -> measured < bound;
      case AT_LEAST -> measured >= bound;
      case ABOVE -> measured > bound;
    };
  }

  /** How far the measured value is on the wrong side of the bound: positive when missed, 0 or less when met. */
  double miss() {
    return comparison == Comparison.BELOW ? measured - bound : bound - measured;
  }

  /**
   * The "met" cell of a report: "yes", or "**no**" with the miss in {@code unit} (e.g. " ms"; two decimals), or
   * "**no** (not measured)".
   */
  String verdict(String unit) {
    if (Double.isNaN(measured)) return "**no** (not measured)";
    if (met()) return "yes";
    String by = String.format(Locale.ROOT, "%.2f%s", miss(), unit);
    return "**no**: " + switch (comparison) {
      case BELOW -> by + " over";
      case AT_LEAST -> by + " short";
      case ABOVE -> miss() == 0 ? "level, not ahead" : by + " behind";
    };
  }
}
