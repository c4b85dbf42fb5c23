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
 */
public record RouteDecision(String model, Tier tier, String router, List<String> fallbacks) {
  public RouteDecision {
    fallbacks = List.copyOf(fallbacks == null ? List.of() : fallbacks);
  }
}
