package io.pickspin.routing;

import io.pickspin.pool.Outcome;

/** Something that learns from completed requests: the service matrix behind a routing policy. Thread-safe. */
public interface RoutingTelemetry {
  void record(String model, String backendKind, Outcome outcome);
}
