package io.pickspin.sim.server;

import io.pickspin.model.LatencyProfile;

/**
 * One model served by a {@link SimServer}.
 *
 * @param name the served model name: the "model" field clients send and /v1/models lists
 * @param latency how fast it answers, how many requests it generates at once and how long it loads
 */
public record SimModel(String name, LatencyProfile latency) {
  public SimModel {
    if (name == null || name.isBlank()) throw new IllegalArgumentException("model name is required");
    if (latency == null) throw new IllegalArgumentException("latency profile of model '" + name + "' is required");
  }

  /** A model with no delays: answers are produced instantly, so its batch limit never binds. */
  boolean instant() {
    return latency.ttftMs() == 0 && latency.tpotMs() == 0;
  }
}
