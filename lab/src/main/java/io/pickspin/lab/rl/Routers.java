package io.pickspin.lab.rl;

import io.pickspin.pool.Outcome;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.matrix.ServiceMatrix;
import io.pickspin.routing.rl.ArrivalRateEstimator;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.RlRoutingPolicy;
import java.util.stream.IntStream;

/**
 * The routers the environment compares, each running the product's own policy class on the simulator: static
 * single-model serving, the Pick and Spin complexity routers (keyword / hybrid classification plus the multi-objective
 * scorer over a service matrix fed with completed requests' latencies), and the RL router.
 */
public final class Routers {
  private Routers() {}

  /** Every request to one model, which it waits for (static serving: the clients name the model). */
  public static RoutingEnv.Router fixed(int model) {
    RoutingEnv.Choice only = RoutingEnv.Choice.only(model);
    return a -> only;
  }

  /**
   * The arrival-rate threshold heuristic: the large model while the estimated arrival rate (the RL router's own
   * estimator) is at most {@code ratePerSecond}, the small model above it. Its fallbacks: the other one of the two,
   * then the fleet's remaining models in order ({@code models} in all), so that it may spill to any warm model.
   */
  public static RoutingEnv.Router threshold(double rateTimeConstantMs, int small, int large, double ratePerSecond, int models,
      ServingSimulator sim) {
    ArrivalRateEstimator rate = new ArrivalRateEstimator(rateTimeConstantMs);
    RoutingEnv.Choice toSmall = otherFirst(small, large, models);
    RoutingEnv.Choice toLarge = otherFirst(large, small, models);
    return a -> {
      long now = (long) sim.nowMs();
      rate.recordArrival(now);
      return rate.ratePerSecond(now) > ratePerSecond ? toSmall : toLarge;
    };
  }

  /** {@code model}, with {@code other} as its first fallback and the fleet's remaining models after it. */
  private static RoutingEnv.Choice otherFirst(int model, int other, int models) {
    return RoutingEnv.Choice.ranked(model,
        IntStream.concat(IntStream.of(other), IntStream.range(0, models).filter(m -> m != other)).toArray());
  }

  /** The product's {@link RlRoutingPolicy} with the simulator's queues and virtual clock. */
  public static RoutingEnv.Router rl(RlExperiment x, DqnPolicy policy, ServingSimulator sim) {
    RlRoutingPolicy router = new RlRoutingPolicy(x.catalog, policy, x.rlClassifier, x.routing.poolView(sim),
        new ArrivalRateEstimator(x.env.rateTimeConstantMs()), RoutingEnv.clock(sim), 0);
    return a -> choice(x, router.decide(
        new RouteRequest(RouteRequest.AUTO, a.prompt().text(), Profile.BALANCED, RouterKind.RL, a.deadlineMs())));
  }

  /** A product decision as the environment's choice: its model and its fallbacks, in order. */
  static RoutingEnv.Choice choice(RlExperiment x, RouteDecision d) {
    return new RoutingEnv.Choice(x.routing.indexOf(d.model()), d.fallbacks().stream().map(x.routing::indexOf).toList());
  }

  /**
   * The product's {@link ComplexityRoutingPolicy} (a fresh service matrix per run) with {@code kind} classification
   * under {@code profile}; completed requests feed its service matrix as the gateway's telemetry does.
   */
  public static RoutingEnv.Router complexity(RlExperiment x, RouterKind kind, Profile profile) {
    ComplexityRoutingPolicy policy = x.complexityRouter();
    return new RoutingEnv.Router() {
      @Override
      public RoutingEnv.Choice route(Workload.Arrival a) {
        return choice(x, policy.decide(new RouteRequest(RouteRequest.AUTO, a.prompt().text(), profile, kind, a.deadlineMs())));
      }

      @Override
      public void outcome(Workload.Arrival a, int model, boolean served, double latencyMs, boolean onTime) {
        Outcome o = served
            ? Outcome.success(Math.round(latencyMs), -1, a.outputTokens())
            : Outcome.failure(Math.round(latencyMs), "timeout", false);
        policy.record(x.routing.modelIds().get(model), ServiceMatrix.ANY_BACKEND, o);
      }
    };
  }
}
