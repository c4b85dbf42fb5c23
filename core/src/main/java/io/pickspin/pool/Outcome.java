package io.pickspin.pool;

/**
 * How a leased request ended. Telemetry feeds the service matrix and the scaling loop from it.
 *
 * @param ok the backend answered completely
 * @param latencyMs request start to end of answer
 * @param ttftMs request start to first token, or -1 if none arrived
 * @param outputTokens tokens generated
 * @param error short reason when not ok (timeout, backend-5xx, connect, client-cancelled)
 * @param replicaFault the failure was the replica's (connect refused, reset, 5xx): mark it suspect
 */
public record Outcome(boolean ok, long latencyMs, long ttftMs, int outputTokens, String error, boolean replicaFault) {
  public static Outcome success(long latencyMs, long ttftMs, int outputTokens) {
    return new Outcome(true, latencyMs, ttftMs, outputTokens, null, false);
  }

  public static Outcome failure(long latencyMs, String error, boolean replicaFault) {
    return new Outcome(false, latencyMs, -1, 0, error, replicaFault);
  }
}
