package io.pickspin.routing;

import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;

/**
 * The walking skeleton's placeholder: a named model goes to itself, "auto" goes to the default model of the medium
 * tier. The complexity routers replace it.
 */
public final class StaticRoutingPolicy implements RoutingPolicy {
  private final Catalog catalog;

  public StaticRoutingPolicy(Catalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public RouteDecision decide(RouteRequest request) {
    if (request.isAuto()) {
      ModelSpec m = catalog.defaultFor(Tier.MEDIUM);
      return new RouteDecision(m.id(), m.tier(), "static", java.util.List.of());
    }
    ModelSpec m = catalog.find(request.requestedModel()).orElseThrow(() -> new UnknownModelException(request.requestedModel()));
    return new RouteDecision(m.id(), m.tier(), "explicit", java.util.List.of());
  }
}
