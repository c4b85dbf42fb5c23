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
 * @param all latency and TTFT over every request, failures counted at the timeout
 * @param spilled requests that went to a warm model instead of waiting for their model's cold start
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
    double[] p95LatencyPerMinute,
    int spilled,
    AllRequests all) {

  /**
   * Latency and time to first token over every measured request, a request that failed (rejected or timed out) counted
   * at the timeout (the gateway's max hold), as a client sees it.
   */
  public record AllRequests(double meanMs, double p50Ms, double p95Ms, double p99Ms, double ttftP50Ms, double ttftP95Ms,
      double ttftP99Ms) {}

  /** Completed requests among all (the paper's "success": no error, no timeout). */
  public double completionRate() {
    return requests == 0 ? 0 : (double) completed / requests;
  }

  public double onTimeRate() {
    return requests == 0 ? 0 : (double) onTime / requests;
  }

  /** Successes (correct and on time) per GPU-hour. */
  public double goodput() {
    return gpuHours <= 0 ? 0 : successes / gpuHours;
  }


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
