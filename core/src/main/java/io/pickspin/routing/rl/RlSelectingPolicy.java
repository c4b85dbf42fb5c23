package io.pickspin.routing.rl;

import io.pickspin.pool.Outcome;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteExplanation;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.RoutingTelemetry;

/**
 * Puts the RL router next to the complexity routers: an "auto" request whose router is RL (named per request, or the
 * default when it names none) goes to {@link RlRoutingPolicy}; every other request goes to the delegate (keyword,
 * classifier, hybrid, or a named model) and still counts towards the RL router's arrival-rate estimate. Telemetry goes
 * to the delegate when it learns from outcomes.
 */
public final class RlSelectingPolicy implements RoutingPolicy, RoutingTelemetry {
  private final RoutingPolicy delegate;
  private final RlRoutingPolicy rl;
  private final RouterKind defaultRouter;

  public RlSelectingPolicy(RoutingPolicy delegate, RlRoutingPolicy rl, RouterKind defaultRouter) {
    this.delegate = delegate;
    this.rl = rl;
    this.defaultRouter = defaultRouter;
  }

  @Override
  public RouteDecision decide(RouteRequest request) {
    return explain(request).decision();
  }

  @Override
  public RouteExplanation explain(RouteRequest request) {
    RouterKind kind = request.router() == null ? defaultRouter : request.router();
    if (request.isAuto() && kind == RouterKind.RL) return rl.explain(request);
    rl.observeArrival();
    return delegate.explain(request);
  }

  @Override
  public void record(String model, String backendKind, Outcome outcome) {
    if (delegate instanceof RoutingTelemetry t) t.record(model, backendKind, outcome);
  }

  public RlRoutingPolicy rl() {
    return rl;
  }
}
