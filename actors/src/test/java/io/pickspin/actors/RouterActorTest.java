package io.pickspin.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Tier;
import io.pickspin.pool.Outcome;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.TestCatalogs;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class RouterActorTest {
  static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString("pekko.actor.provider = local"));

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  final ComplexityRoutingPolicy policy =
      ComplexityRoutingPolicy.fromConfig(TestCatalogs.threeTiers(), ConfigFactory.load().getConfig("pickspin.routing"), null);

  @Test
  void aPoolRoutesRequestsAndRejectsUnknownModels() {
    ActorRef<RouterActor.Command> router = kit.spawn(RouterActor.pool(3, policy));
    TestProbe<RouterActor.Reply> probe = kit.createTestProbe();
    for (int i = 0; i < 6; i++) {
      router.tell(new RouterActor.Route(
          new RouteRequest("auto", "Prove Fermat's little theorem", Profile.COST, RouterKind.KEYWORD, 0), probe.getRef()));
      RouterActor.Routed r = probe.expectMessageClass(RouterActor.Routed.class, Duration.ofSeconds(5));
      assertEquals("large", r.decision().model());
      assertEquals(Tier.HIGH, r.decision().tier());
      assertTrue(r.routeNanos() > 0 && r.routeMs() < 1000);
    }
    router.tell(new RouterActor.Route(new RouteRequest("gpt-9", "hi", null, null, 0), probe.getRef()));
    RouterActor.Rejected rej = probe.expectMessageClass(RouterActor.Rejected.class, Duration.ofSeconds(5));
    assertEquals(RouterActor.Reason.UNKNOWN_MODEL, rej.reason());
    assertTrue(rej.message().contains("gpt-9"));
  }

  @Test
  void observationsReachTheServiceMatrix() {
    ActorRef<RouterActor.Command> router = kit.spawn(RouterActor.create(policy));
    router.tell(new RouterActor.Observe("small", "vllm", Outcome.failure(10, "connect", true)));
    TestProbe<RouterActor.Reply> probe = kit.createTestProbe();
    // messages to one actor are handled in order: once this reply arrives the observation has been applied
    router.tell(new RouterActor.Route(new RouteRequest("small", "", null, null, 0), probe.getRef()));
    assertInstanceOf(RouterActor.Routed.class, probe.receiveMessage(Duration.ofSeconds(5)));
    assertEquals(0.2, policy.serviceMatrix().find("small", "vllm").errorRate(), 1e-9);
  }
}
