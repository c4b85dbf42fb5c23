package io.pickspin.lab.des;

import io.pickspin.lab.train.LabelledPrompt;
import io.pickspin.model.ModelSpec;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.rl.PoolStateView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Routers the product is compared with, on the same pools and scaler (simulator only):
 *
 * <ul>
 *   <li>{@link #liteLlm}: a LiteLLM-style router, no classifier: the cheapest model per request (GPU cost of a typical
 *       request by the catalogue's profile), the least busy (in flight per ready replica) among those within 10 % of
 *       that cost, the rest as fallbacks by cost (the simulator tries them when a pool refuses with 429);
 *   <li>{@link #oracle}: knows which models answer each prompt correctly (the answer model) and sends it to the
 *       cheapest of those, or the cheapest model when none does: the upper bound of what a router can get from
 *       quality per cost, without load awareness.
 * </ul>
 */
final class BaselineRouters {
  private BaselineRouters() {}

  /** GPU dollars of a typical request on one replica's share of its batch. */
  static double costPerRequest(ModelSpec m) {
    return m.replicaHourlyCost() * m.latency().serviceMs(ModelFleet.NOMINAL_OUTPUT) / m.latency().maxBatch();
  }

  static List<ModelSpec> byCost(ModelFleet fleet) {
    List<ModelSpec> l = new ArrayList<>(fleet.catalog().models());
    l.sort(Comparator.comparingDouble(BaselineRouters::costPerRequest).thenComparing(ModelSpec::id));
    return l;
  }

  static Scenario.RouterFactory liteLlm(ModelFleet fleet) {
    List<ModelSpec> models = byCost(fleet);
    return (pools, clock) -> request -> {
      double cheapest = costPerRequest(models.get(0));
      ModelSpec best = null;
      double bestBusy = Double.MAX_VALUE;
      for (ModelSpec m : models) {
        if (costPerRequest(m) > 1.1 * cheapest) break;
        PoolStateView.ModelLoad l = pools.load(m.id());
        double busy = l.replicas() == 0 ? Double.MAX_VALUE / 2 : (double) (l.inFlight() + l.queued()) / l.replicas();
        if (best == null || busy < bestBusy) {
          best = m;
          bestBusy = busy;
        }
      }
      return decision(best, models, "litellm-style");
    };
  }

  static Scenario.RouterFactory oracle(ModelFleet fleet, List<LabelledPrompt> prompts) {
    List<ModelSpec> models = byCost(fleet);
    Map<String, LabelledPrompt> byText = new HashMap<>();
    for (LabelledPrompt p : prompts) byText.putIfAbsent(p.text(), p);
    return (pools, clock) -> request -> {
      LabelledPrompt p = byText.get(request.prompt());
      ModelSpec pick = models.get(0);
      if (p != null) {
        for (ModelSpec m : models) {
          if (fleet.correct(m.id(), p)) {
            pick = m;
            break;
          }
        }
      }
      return decision(pick, models, "oracle");
    };
  }

  private static RouteDecision decision(ModelSpec chosen, List<ModelSpec> byCost, String router) {
    List<String> fallbacks = new ArrayList<>();
    for (ModelSpec m : byCost) if (!m.id().equals(chosen.id())) fallbacks.add(m.id());
    return new RouteDecision(chosen.id(), chosen.tier(), router, fallbacks);
  }
}
