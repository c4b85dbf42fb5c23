package io.pickspin.lab.des;

import java.util.Map;

/**
 * What one simulated run measured.
 *
 * @param successes completed, correct and within the deadline
 * @param correct completed with a correct answer (in time or not)
 * @param onTime completed within the deadline (right or wrong)
 * @param gpuHours GPU time allocated (replicas starting, ready or draining) from time 0 to the end of the run
 * @param coldStarts replicas started during the run
 * @param scaleEvents scaling decisions taken
 * @param servedBy completed requests per model
 */
public record RunResult(
    String scenario,
    String trace,
    int requests,
    int completed,
    int rejected,
    int timedOut,
    int successes,
    int correct,
    int onTime,
    double meanLatencyMs,
    double p95LatencyMs,
    double p99LatencyMs,
    double meanTtftMs,
    double p95TtftMs,
    double p99TtftMs,
    double gpuHours,
    double costUsd,
    int coldStarts,
    int scaleEvents,
    Map<String, Integer> servedBy,
    Map<String, Integer> peakReplicas,
    double horizonMs,
    long events,
    double wallMs,
    double[] gpusPerMinute,
    double[] meanLatencyPerMinute,
    double[] p95LatencyPerMinute) {

  public double successRate() {
    return requests == 0 ? 0 : (double) successes / requests;
  }

  /** Share of completed requests whose answer was correct. */
  public double accuracy() {
    return completed == 0 ? 0 : (double) correct / completed;
  }

  public double costPer1kQueries() {
    return requests == 0 ? 0 : costUsd / requests * 1000;
  }

  public double gpuHoursPer1kQueries() {
    return requests == 0 ? 0 : gpuHours / requests * 1000;
  }

  /** Every request ended exactly one way. */
  public boolean conserved() {
    return completed + rejected + timedOut == requests;
  }
}
