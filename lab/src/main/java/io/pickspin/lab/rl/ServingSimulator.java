package io.pickspin.lab.rl;

import java.util.List;

/**
 * What the RL router's environment needs from a simulator of model servers in virtual time ({@link CalibratedServers}
 * implements it on the discrete-event simulator's calibrated latency model). Models are addressed by their index in the
 * environment's model list.
 *
 * <ul>
 *   <li>a virtual clock and the ability to run events up to a time (the environment routes each arrival at its
 *       arrival time, after every earlier event has happened);
 *   <li>per-model queue state at routing time: requests in service, requests waiting, replicas;
 *   <li>the model a routed request goes to: its choice, or with a scaler in the loop a warm fallback (spill);
 *   <li>submission of a request to a chosen model with a time at which a still-waiting request gives up, and a
 *       completion callback with whether it was served and its end-to-end latency (queueing + service).
 * </ul>
 */
public interface ServingSimulator {
  /** Virtual time in milliseconds. */
  double nowMs();

  /** Runs every event due at or before {@code tMs}, then sets the clock to {@code tMs}. */
  void runUntil(double tMs);

  /** Runs until no event is left. */
  void runToEnd();

  /**
   * Sends a request of {@code inputTokens} prompt and {@code outputTokens} answer tokens to model {@code model}. If it
   * is still waiting for a batch slot at {@code giveUpAtMs} it leaves the queue unserved.
   */
  void submit(int model, int inputTokens, int outputTokens, double giveUpAtMs, Completion done);

  /**
   * As {@link #submit(int, int, int, double, Completion)} for a request due {@code deadlineMs} after it arrives, whose
   * client named the model if {@code named}: a simulator with a scaler in the loop reports both to the scaler, as a pool
   * does (SLO-driven sizing; a named model's pool is not consolidated away).
   */
  default void submit(
      int model, int inputTokens, int outputTokens, double giveUpAtMs, double deadlineMs, boolean named, Completion done) {
    submit(model, inputTokens, outputTokens, giveUpAtMs, done);
  }

  /**
   * The model an automatically routed request for {@code model} goes to, {@code fallbacks} being the decision's other
   * models, best first; due {@code deadlineMs} after it arrives. A fixed deployment keeps the choice; a simulator with
   * a scaler in the loop spills it to a warm fallback as the product does ({@link ScaledServers}).
   */
  default int destination(int model, List<Integer> fallbacks, double deadlineMs) {
    return model;
  }

  int inFlight(int model);

  int queued(int model);

  /** Replicas serving (in rotation). */
  int replicas(int model);

  /** Replicas asked for that do not serve yet; a fixed deployment has none. */
  default int starting(int model) {
    return 0;
  }

  @FunctionalInterface
  interface Completion {
    /** @param served false when the request gave up in the queue; latencyMs is then the time it waited */
    void done(boolean served, double latencyMs);

    /** A served request: its end-to-end latency and, of it, the time on a replica (the rest it waited for a slot). */
    default void served(double latencyMs, double serviceMs) {
      done(true, latencyMs);
    }
  }
}
