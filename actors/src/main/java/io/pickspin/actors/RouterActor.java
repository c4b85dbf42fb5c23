package io.pickspin.actors;

import io.pickspin.pool.Outcome;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.RoutingTelemetry;
import io.pickspin.routing.UnknownModelException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.PoolRouter;
import org.apache.pekko.actor.typed.javadsl.Routers;

/**
 * A thin actor around a {@link RoutingPolicy}: answers Route with Routed (the decision and how long it took) or
 * Rejected, and feeds Observe telemetry to the policy's service matrix. Stateless, so it runs as a pool
 * ({@link #pool}) whose routees share one thread-safe policy. Callers on the hot path may also call the policy
 * directly; the actor exists for callers that want asynchronous, supervised routing.
 */
public final class RouterActor {
  private RouterActor() {}

  public sealed interface Command {}

  /** Route one request; the reply goes to replyTo. */
  public record Route(RouteRequest request, ActorRef<Reply> replyTo) implements Command {}

  /** A completed request's outcome on one (model, backend kind): updates latency and error statistics. */
  public record Observe(String model, String backendKind, Outcome outcome) implements Command {}

  public sealed interface Reply {}

  /**
   * @param decision where the request goes
   * @param routeNanos time the decision took (x-pickspin-route-ms)
   */
  public record Routed(RouteDecision decision, long routeNanos) implements Reply {
    public double routeMs() {
      return routeNanos / 1e6;
    }
  }

  /** Why a request cannot be routed: UNKNOWN_MODEL and BAD_REQUEST are the client's, INTERNAL is ours. */
  public record Rejected(Reason reason, String message) implements Reply {}

  public enum Reason {
    UNKNOWN_MODEL,
    BAD_REQUEST,
    INTERNAL
  }

  public static Behavior<Command> create(RoutingPolicy policy) {
    return Behaviors.receive(Command.class)
        .onMessage(Route.class, r -> {
          r.replyTo().tell(route(policy, r.request()));
          return Behaviors.same();
        })
        .onMessage(Observe.class, o -> {
          if (policy instanceof RoutingTelemetry t) t.record(o.model(), o.backendKind(), o.outcome());
          return Behaviors.same();
        })
        .build();
  }

  /** A pool of {@code size} routees over one shared policy; a routee that fails is restarted. */
  public static PoolRouter<Command> pool(int size, RoutingPolicy policy) {
    return Routers.pool(size, Behaviors.supervise(create(policy)).onFailure(SupervisorStrategy.restart()));
  }

  static Reply route(RoutingPolicy policy, RouteRequest request) {
    long t0 = System.nanoTime();
    try {
      RouteDecision d = policy.decide(request);
      return new Routed(d, System.nanoTime() - t0);
    } catch (UnknownModelException e) {
      return new Rejected(Reason.UNKNOWN_MODEL, e.getMessage());
    } catch (IllegalArgumentException e) {
      return new Rejected(Reason.BAD_REQUEST, e.getMessage());
    } catch (RuntimeException e) {
      return new Rejected(Reason.INTERNAL, "routing failed: " + e);
    }
  }
}
