package io.pickspin.http;

import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.UnknownModelException;
import java.util.List;

/** A test routing policy with no classifier: a named model goes to itself, "auto" to the medium tier's default. */
public final class MediumTierPolicy implements RoutingPolicy {
  private final Catalog catalog;

  public MediumTierPolicy(Catalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public RouteDecision decide(RouteRequest request) {
    if (request.isAuto()) {
      ModelSpec m = catalog.defaultFor(Tier.MEDIUM);
      return new RouteDecision(m.id(), m.tier(), "static", List.of());
    }
    ModelSpec m = catalog.find(request.requestedModel()).orElseThrow(() -> new UnknownModelException(request.requestedModel()));
    return new RouteDecision(m.id(), m.tier(), "explicit", List.of());
  }
}
