package io.pickspin.routing;

import io.pickspin.model.Tier;
import java.util.List;

/**
 * Where a request goes.
 *
 * @param model the chosen catalogue model
 * @param tier the complexity tier the router assigned (for a concrete model: that model's tier)
 * @param router which router decided ("explicit" when the client named the model)
 * @param fallbacks other models that may serve the request, best first, if the chosen one cannot
 * @param reason why the chosen model is not the one the profile picks for the tier on an idle fleet (the request's
 *     deadline, that model's saturation or cold pool, its errors or slowness), or null when it is
 */
public record RouteDecision(String model, Tier tier, String router, List<String> fallbacks, String reason) {
  public RouteDecision {
    fallbacks = List.copyOf(fallbacks == null ? List.of() : fallbacks);
  }

  /** A decision that needs no explaining. */
  public RouteDecision(String model, Tier tier, String router, List<String> fallbacks) {
    this(model, tier, router, fallbacks, null);
  }

  /** The same decision, said to be made by {@code otherRouter}. */
  public RouteDecision withRouter(String otherRouter) {
    return new RouteDecision(model, tier, otherRouter, fallbacks, reason);
  }
}
