package io.pickspin.lab.bench;

/**
 * The measurement-quality gate of the open-loop rounds ({@code --max-steal}): an attempt at a round (every way once, at
 * one rate and mode) counts only if the hypervisor stole at most the bound of the machine's CPU time during each of its
 * cells. Bursts of steal move every way's p99 by more than a gateway adds, so an attempt over the bound runs again, up to
 * a number of retries; when every attempt is over, the last one is kept (a round is not dropped) and counted as such. A
 * cell whose steal is unknown (no /proc/stat) cannot be judged: it does not reject an attempt, but is counted.
 *
 * <p>One gate per rate and mode, so that its counts are that rate and mode's. The same rule for every way; no I/O.
 */
final class StealGate {
  /** What becomes of an attempt. */
  enum Verdict {
    /** No cell was over the bound (or there is no bound). */
    ACCEPTED,
    /** A cell was over the bound and a retry is left: the round runs again. */
    REJECTED,
    /** A cell was over the bound on the last attempt allowed: kept, so that the round still has a measurement. */
    KEPT_OVER_BOUND;

    /** Whether the attempt's cells go into the latency tables. */
    boolean kept() {
      return this != REJECTED;
    }
  }

  /** A verdict, the highest steal of the attempt's cells (NaN if none is known) and whether some cell's is unknown. */
  record Decision(Verdict verdict, double highestSteal, boolean stealUnknown) {}

  private final double maxStealPercent; // NaN: no bound, every attempt is accepted
  private final int retries;
  private int attempts;
  private int rejected;
  private int keptOverBound;
  private int acceptedWithStealUnknown;

  /** {@code maxStealPercent} NaN for no bound; {@code retries} attempts after the first at most, per round. */
  StealGate(double maxStealPercent, int retries) {
    if (!Double.isNaN(maxStealPercent) && (maxStealPercent < 0 || maxStealPercent > 100)) {
      throw new IllegalArgumentException(
          "the steal bound (--max-steal) is a percentage from 0 to 100, not " + maxStealPercent);
    }
    if (retries < 0) throw new IllegalArgumentException("the retries (--steal-retries) cannot be negative: " + retries);
    this.maxStealPercent = maxStealPercent;
    this.retries = retries;
  }

  boolean bounded() {
    return !Double.isNaN(maxStealPercent);
  }

  double maxStealPercent() {
    return maxStealPercent;
  }

  /** The attempts a round may take: the first and the retries, or just one without a bound. */
  int maxAttempts() {
    return bounded() ? 1 + retries : 1;
  }

  /**
   * Judges attempt {@code attempt} (from 1) at a round from its cells' steal percentages (NaN: unknown), and counts it.
   */
  Decision judge(double[] stealPercents, int attempt) {
    if (attempt < 1 || attempt > maxAttempts()) {
      throw new IllegalArgumentException("attempt " + attempt + " of at most " + maxAttempts());
    }
    double highest = Double.NaN;
    boolean unknown = false;
    for (double steal : stealPercents) {
      if (Double.isNaN(steal)) {
        unknown = true;
      } else if (Double.isNaN(highest) || steal > highest) {
        highest = steal;
      }
    }
    boolean over = bounded() && !Double.isNaN(highest) && highest > maxStealPercent;
    Verdict verdict = !over ? Verdict.ACCEPTED : attempt < maxAttempts() ? Verdict.REJECTED : Verdict.KEPT_OVER_BOUND;
    attempts++;
    switch (verdict) {
      case REJECTED -> rejected++;
      case KEPT_OVER_BOUND -> keptOverBound++;
      case ACCEPTED -> acceptedWithStealUnknown += unknown ? 1 : 0;
    }
    return new Decision(verdict, highest, unknown);
  }

  /** Attempts judged, rounds kept or not. */
  int attempts() {
    return attempts;
  }

  /** Attempts that were over the bound with a retry left, and ran again. */
  int rejected() {
    return rejected;
  }

  /** Rounds whose every attempt was over the bound: the last attempt is in the tables all the same. */
  int keptOverBound() {
    return keptOverBound;
  }

  /** Rounds accepted although some cell's steal could not be read. */
  int acceptedWithStealUnknown() {
    return acceptedWithStealUnknown;
  }
}
