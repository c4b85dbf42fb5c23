package io.pickspin.scaling;

import io.pickspin.model.ModelSpec;

/**
 * Whether a request should leave a pool that has no ready replica for a warm model instead of waiting for a cold
 * start. A cold start takes tens of seconds to minutes (weights, engine start-up, health checks); a request whose
 * deadline that wait would miss is better served now by another model, when the router chose the model for it
 * ("auto") and some fallback is warm. A request that named its model waits: holding is for clients who asked for that
 * model. The pool still counts the request's arrival where it was served, so the scaler sizes the warm model for it,
 * and the cold pool is not opened for traffic another model already absorbs (see {@link Consolidator}).
 */
public final class Spill {
  private Spill() {}

  /**
   * @param autoRouted the router chose the model (the client asked for "auto")
   * @param deadlineMs the request's latency budget from its arrival, 0 or less for none
   * @param waitedMs how long the request has waited so far
   * @param coldStartLeftMs how long until the pool's first replica is ready (a full cold start if none is starting)
   * @param serviceMs the request's expected service time once a replica serves it
   * @return true when it should go to a warm model: routed automatically, and the wait would take it past its deadline
   */
  public static boolean shouldSpill(
      boolean autoRouted, long deadlineMs, double waitedMs, double coldStartLeftMs, double serviceMs) {
    return autoRouted && deadlineMs > 0 && waitedMs + coldStartLeftMs + serviceMs > deadlineMs;
  }

  /**
   * The rule as the simulators apply it with the fleet's scaler in the loop (the discrete-event simulator and the RL
   * router's environment): an automatically routed request whose model has no ready replica leaves it for a warm
   * model when the wait would miss its deadline ({@link #shouldSpill}, the service time the model's profile gives the
   * scaler's assumed answer length), or when the scaler keeps the pool closed because a warm model absorbs its traffic
   * (one request does not reopen it, see {@link Consolidator}).
   *
   * @param fleet the scaler whose last consolidation advice counts
   * @param model the model the router chose, with no ready replica
   * @param deadlineMs the request's latency budget from its arrival, 0 or less for none
   * @param coldStartLeftMs how long until the pool's first replica is ready (a full cold start if none is starting)
   */
  public static boolean shouldLeave(FleetScaler fleet, ModelSpec model, long deadlineMs, double coldStartLeftMs) {
    if (fleet.advice(model.id()).consolidatedInto() != null) return true;
    return coldStartMisses(model, fleet.policy().settings().assumedOutputTokens(), deadlineMs, coldStartLeftMs);
  }

  /**
   * {@link #shouldSpill} for an automatically routed request that just arrived: whether waiting {@code coldStartLeftMs}
   * for {@code model} and then its service (the profile's for {@code assumedOutputTokens} answer tokens, the answer's
   * length being unknown yet) would miss the deadline.
   */
  public static boolean coldStartMisses(ModelSpec model, int assumedOutputTokens, long deadlineMs, double coldStartLeftMs) {
    return shouldSpill(true, deadlineMs, 0, coldStartLeftMs, model.latency().serviceMs(assumedOutputTokens));
  }
}
