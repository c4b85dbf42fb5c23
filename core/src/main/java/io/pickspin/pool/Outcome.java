package io.pickspin.pool;

/**
 * How a leased request ended. Telemetry feeds the service matrix and the scaling loop from it.
 *
 * @param ok the backend answered completely
 * @param latencyMs request start to end of answer
 * @param ttftMs request start to first token, or -1 if none arrived
 * @param outputTokens tokens generated (0 when the answer did not say)
 * @param error short reason when not ok (timeout, backend-5xx, connect, client-cancelled)
 * @param replicaFault the failure was the replica's (connect refused, reset, 5xx): mark it suspect
 * @param deadlineMs the request's deadline, 0 without one
 * @param sinceArrivalMs the request's arrival at the gateway to the end of its answer (its time held for a replica
 *     included, unlike latencyMs), -1 when unknown
 * @param idleServiceMs what the request would have taken alone on an idle replica, 0 when the caller cannot tell (the
 *     pool then takes the profile's service time of an answer of outputTokens)
 */
public record Outcome(
    boolean ok,
    long latencyMs,
    long ttftMs,
    int outputTokens,
    String error,
    boolean replicaFault,
    long deadlineMs,
    long sinceArrivalMs,
    double idleServiceMs) {
  public static Outcome success(long latencyMs, long ttftMs, int outputTokens) {
    return new Outcome(true, latencyMs, ttftMs, outputTokens, null, false, 0, -1, 0);
  }

  public static Outcome failure(long latencyMs, String error, boolean replicaFault) {
    return new Outcome(false, latencyMs, -1, 0, error, replicaFault, 0, -1, 0);
  }

  /** This outcome of a request with deadline {@code deadlineMs} that ended {@code sinceArrivalMs} after it arrived. */
  public Outcome withDeadline(long deadlineMs, long sinceArrivalMs) {
    return withDeadline(deadlineMs, sinceArrivalMs, 0);
  }

  /** As above, with the request's own idle service time (its prompt and answer lengths) when the caller knows it. */
  public Outcome withDeadline(long deadlineMs, long sinceArrivalMs, double idleServiceMs) {
    return new Outcome(ok, latencyMs, ttftMs, outputTokens, error, replicaFault, deadlineMs, sinceArrivalMs, idleServiceMs);
  }
}
