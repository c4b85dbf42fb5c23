package io.pickspin.lab.rl;

import java.util.Arrays;
import java.util.List;

/**
 * The second paper's serving metrics over completed requests (definitions in ../shared/research/papers.md 2.5; the
 * paper's own are not available):
 *
 * <ul>
 *   <li><b>availability</b>: share of requests that finish within their deadline;
 *   <li><b>windowed quality</b> ("% of peak performance"): per time window of arrivals, the utility credited (hard
 *       deadlines: the model's utility when on time, else nothing; soft deadlines: the utility scaled by
 *       {@code max(0, 1 - lateness / deadline)}) divided by the utility had every request of the window been served by
 *       the large model on time;
 *   <li><b>high-quality windows</b>: the share of windows whose quality is at least 96 / 98 / 99 % of peak;
 *   <li><b>performance per GPU</b>: mean windowed quality divided by the GPUs the deployment holds.
 * </ul>
 */
public final class ServingMetrics {
  private ServingMetrics() {}

  /**
   * One finished (or dropped) request.
   *
   * @param arrivalMs when it arrived (virtual time)
   * @param onTime it finished within its deadline
   * @param credit the utility it earned: the task utility of its model when on time, less or nothing when late
   * @param peakUtility the task utility of the large model on the same request
   * @param model index of the model that served it (or that it waited for)
   */
  public record Served(long arrivalMs, boolean onTime, double credit, double peakUtility, int model) {}

  /** Summary of one run. */
  public record Summary(
      int requests,
      double availability,
      double meanUtility,
      int windows,
      double meanWindowQuality,
      double windowsAtLeast96,
      double windowsAtLeast98,
      double windowsAtLeast99,
      double qualityPerGpu) {}

  public static double availability(List<Served> served) {
    if (served.isEmpty()) return Double.NaN;
    long ok = served.stream().filter(Served::onTime).count();
    return (double) ok / served.size();
  }

  /** Quality of each full window of {@code windowMs} between {@code startMs} and {@code endMs}; empty windows skipped. */
  public static double[] windowQuality(List<Served> served, long startMs, long endMs, long windowMs) {
    int n = (int) Math.max(0, (endMs - startMs) / windowMs);
    double[] got = new double[n];
    double[] peak = new double[n];
    for (Served s : served) {
      long k = (s.arrivalMs() - startMs) / windowMs;
      if (s.arrivalMs() < startMs || k >= n) continue;
      peak[(int) k] += s.peakUtility();
      got[(int) k] += s.credit();
    }
    return java.util.stream.IntStream.range(0, n).filter(i -> peak[i] > 0).mapToDouble(i -> got[i] / peak[i]).toArray();
  }

  public static double shareAtLeast(double[] quality, double threshold) {
    if (quality.length == 0) return Double.NaN;
    // a tiny tolerance so that a window served exactly like the large model counts as 100 %, not 99.9999...
    return (double) Arrays.stream(quality).filter(q -> q >= threshold - 1e-9).count() / quality.length;
  }

  /** @param gpus GPUs in use: the deployment's, or their mean over the run when a scaler resizes it */
  public static Summary summarise(List<Served> served, long startMs, long endMs, long windowMs, double gpus) {
    double[] q = windowQuality(served, startMs, endMs, windowMs);
    double mean = Arrays.stream(q).average().orElse(Double.NaN);
    double meanUtility = served.stream().mapToDouble(Served::credit).average().orElse(Double.NaN);
    return new Summary(served.size(), availability(served), meanUtility, q.length, mean, shareAtLeast(q, 0.96),
        shareAtLeast(q, 0.98), shareAtLeast(q, 0.99), gpus > 0 ? mean / gpus : Double.NaN);
  }
}
