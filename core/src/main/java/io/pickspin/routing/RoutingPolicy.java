package io.pickspin.routing;

/**
 * Decides which model serves a request. Implementations are plain Java, thread-safe and fast: the gateway calls them on
 * the request path, and the simulator calls the same classes in virtual time.
 */
public interface RoutingPolicy {
  /**
   * @throws UnknownModelException when the request names a model that is not in the catalogue
   */
  RouteDecision decide(RouteRequest request);
}
