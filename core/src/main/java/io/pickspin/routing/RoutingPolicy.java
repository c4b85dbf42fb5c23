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

  /**
   * The decision with what it was made from. Policies that can say more than {@link #decide} override it; it decides
   * exactly as {@link #decide} does.
   *
   * @throws UnknownModelException when the request names a model that is not in the catalogue
   */
  default RouteExplanation explain(RouteRequest request) {
    return RouteExplanation.of(decide(request), request.profile());
  }
}
