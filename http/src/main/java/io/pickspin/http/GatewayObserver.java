package io.pickspin.http;

import io.pickspin.model.Tier;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteDecision;

/** What the gateway reports about each request, for metrics. Called on the request path: implementations must be cheap. */
public interface GatewayObserver {
  GatewayObserver NONE = new GatewayObserver() {};

  /** How a request ended, as a metric label. */
  enum Outcome {
    OK,
    CLIENT_ERROR,
    OVERLOADED,
    UNAVAILABLE,
    BACKEND_ERROR,
    TIMEOUT;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  default void routed(RouteDecision decision, long routeNanos) {}

  /**
   * @param model the model that served (or was to serve) the request, "none" when routing failed
   * @param ttftNanos time to the first byte of the answer, -1 when none arrived
   */
  default void finished(String model, Tier tier, Outcome outcome, long latencyNanos, long ttftNanos) {}

  /** As above, with the profile the request was routed under (metrics label it); defaults to the profile-less call. */
  default void finished(String model, Tier tier, Profile profile, Outcome outcome, long latencyNanos, long ttftNanos) {
    finished(model, tier, outcome, latencyNanos, ttftNanos);
  }

  /** A request waited for a replica (scale from zero, or all busy) for this long before it was sent. */
  default void held(String model, long holdNanos) {}

  /** An answer of {@code model} reported this usage. */
  default void tokens(String model, long promptTokens, long completionTokens) {}

  /** A request was routed by the keyword router because every classifier thread was busy and their queue full. */
  default void classifierFallback() {}

  /** A streamed answer of {@code model} broke off after {@code tokensSent} tokens and is being resumed elsewhere. */
  default void resumed(String model, int tokensSent) {}

  /** A request routed to {@code from}, which had no ready replica in time for its deadline, went to {@code to}. */
  default void spilled(String from, String to) {}
}
