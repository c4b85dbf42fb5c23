package io.pickspin.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which pools the fleet closes because another warm model absorbs their traffic, and what the absorber needs. */
class ConsolidatorTest {
  /** A model on {@code gpus} GPUs at $2 each whose replicas serve 8 requests of 2 s at once. */
  static ModelSpec model(String id, Tier tier, double quality, int gpus) {
    return new ModelSpec(id, tier, id, quality, gpus, 2.0, new LatencyProfile(2000, 0, 8, 60_000), 0, 10, List.of());
  }

  static final ModelSpec SMALL = model("small", Tier.LOW, 0.77, 1);
  static final ModelSpec MEDIUM = model("medium", Tier.MEDIUM, 0.80, 1);
  static final ModelSpec LARGE = model("large", Tier.HIGH, 0.81, 2);

  static final Consolidator ON = new Consolidator(new ScalingPolicy(
      TestModels.paperLike().withConsolidation(new ScalingSettings.Consolidation(true, 0.03))));

  /** A pool at {@code desired} (all ready) receiving {@code rate} requests a second of 2 s, {@code held} waiting. */
  static Consolidator.Pool pool(ModelSpec spec, int desired, double rate, int held) {
    Telemetry t = new Telemetry(spec.id(), 60_000, 60_000, Math.round(rate * 60), rate, Math.round(rate * 60),
        rate > 0 ? 2000 : -1, 0, held, 0, desired, 0, rate > 0 ? 59_000 : -1);
    return new Consolidator.Pool(spec, t, ModelMemory.initial(desired));
  }

  @Test
  void lightTrafficOfThreePoolsGoesToTheModelOfHighestValue() {
    // value = quality per replica-hour: medium 0.40, small 0.385, large 0.2025
    Map<String, ScalingPolicy.Advice> a =
        ON.advise(List.of(pool(SMALL, 1, 1, 0), pool(MEDIUM, 1, 1, 0), pool(LARGE, 1, 0.5, 0)));
    // demand 2 + 2 + 1 = 5 requests in the system: one medium replica (8 at once) holds it
    assertEquals(new ScalingPolicy.Advice("medium", true, 0), a.get("small"));
    assertEquals(new ScalingPolicy.Advice("medium", true, 0), a.get("large"));
    assertEquals(new ScalingPolicy.Advice(null, false, 1), a.get("medium"));
  }

  @Test
  void theAbsorberGrowsFirstAndThePoolClosesOnlyOnceItIsReady() {
    // 4/s each: medium needs 2 replicas for its own 8 in the system plus the large model's 4 (12 / 8), 3 with small's too
    Map<String, ScalingPolicy.Advice> a =
        ON.advise(List.of(pool(SMALL, 1, 4, 0), pool(MEDIUM, 1, 4, 0), pool(LARGE, 1, 2, 0)));
    assertEquals(new ScalingPolicy.Advice("medium", false, 0), a.get("large"));
    assertEquals(new ScalingPolicy.Advice("medium", false, 0), a.get("small"));
    assertEquals(3, a.get("medium").absorbTarget());
    Map<String, ScalingPolicy.Advice> ready =
        ON.advise(List.of(pool(SMALL, 1, 4, 0), pool(MEDIUM, 3, 4, 0), pool(LARGE, 1, 2, 0)));
    assertTrue(ready.get("small").closable() && ready.get("large").closable());
  }

  @Test
  void noConsolidationWithoutASavingOrBeyondTheQualityTolerance() {
    // a better model with three times slower replicas: taking small's 7 requests in the system costs it 3 more
    // replicas (6 + 21 = 27 at 8 a replica) to save one
    ModelSpec slow =
        new ModelSpec("slow", Tier.MEDIUM, "slow", 0.80, 1, 2.0, new LatencyProfile(6000, 0, 8, 60_000), 0, 10, List.of());
    Telemetry slowReading = new Telemetry("slow", 60_000, 60_000, 60, 1, 60, 6000, 0, 0, 0, 1, 0, 59_000);
    Map<String, ScalingPolicy.Advice> a =
        ON.advise(List.of(pool(SMALL, 1, 3.5, 0), new Consolidator.Pool(slow, slowReading, ModelMemory.initial(1))));
    assertNull(a.get("small").consolidatedInto(), "no saving: " + a);
    // a large model's traffic does not go to a much worse model, however cheap
    ModelSpec cheapBad = model("cheap", Tier.LOW, 0.60, 1);
    Map<String, ScalingPolicy.Advice> b = ON.advise(List.of(pool(LARGE, 1, 0.5, 0), pool(cheapBad, 1, 0.5, 0)));
    assertNull(b.get("large").consolidatedInto());
    assertNull(b.get("cheap").consolidatedInto(), "nor the other way: the large model has the lower value");
  }

  @Test
  void heldRequestsKeepAPoolAndDisabledMeansNoAdvice() {
    Map<String, ScalingPolicy.Advice> a = ON.advise(List.of(pool(SMALL, 1, 1, 2), pool(MEDIUM, 1, 1, 0)));
    assertNull(a.get("small").consolidatedInto(), "clients are waiting for it");
    Consolidator off = new Consolidator(new ScalingPolicy(TestModels.paperLike()));
    Map<String, ScalingPolicy.Advice> b = off.advise(List.of(pool(SMALL, 1, 1, 0), pool(MEDIUM, 1, 1, 0)));
    assertEquals(ScalingPolicy.Advice.NONE, b.get("small"));
    assertEquals(ScalingPolicy.Advice.NONE, b.get("medium"));
  }

  @Test
  void aPoolWhoseClientsNamedItStaysOpen() {
    // the same light traffic as above: small would go to medium, but one request in its window named small
    Consolidator.Pool named = withNamedArrivals(pool(SMALL, 1, 1, 0), 1);
    Map<String, ScalingPolicy.Advice> a = ON.advise(List.of(named, pool(MEDIUM, 1, 1, 0), pool(LARGE, 1, 0.5, 0)));
    assertNull(a.get("small").consolidatedInto(), "a named model's requests cannot move: " + a);
    assertEquals("medium", a.get("large").consolidatedInto(), "the others still consolidate");
    // through a pool's telemetry: PoolCore counts what LeaseRequest.named says
    ArrivalStats stats = new ArrivalStats(java.time.Duration.ofSeconds(60));
    stats.recordArrival(1000, true);
    stats.recordArrival(1500, false);
    assertEquals(1, Telemetry.of("small", stats, 2000, 0, 0, 0, 1, 0).namedArrivals());
    assertEquals(2, Telemetry.of("small", stats, 2000, 0, 0, 0, 1, 0).arrivals());
    assertEquals(0, Telemetry.of("small", stats, 62_000, 0, 0, 0, 1, 0).namedArrivals(), "out of the window");
  }

  private static Consolidator.Pool withNamedArrivals(Consolidator.Pool p, long named) {
    Telemetry t = p.telemetry();
    Telemetry n = new Telemetry(t.model(), t.atMs(), t.windowMs(), t.arrivals(), t.ratePerSecond(), t.completions(),
        t.meanLatencyMs(), t.inFlight(), t.held(), t.backlogAgeMs(), t.ready(), t.starting(), t.lastArrivalMs(),
        t.deadlines(), t.recentRatePerSecond(), t.meanSlowdown(), named);
    return new Consolidator.Pool(p.spec(), n, p.memory());
  }

  @Test
  void aClosedIdlePoolStaysClosedWhileAnAbsorberHasRoom() {
    Map<String, ScalingPolicy.Advice> a = ON.advise(List.of(pool(SMALL, 0, 0, 0), pool(MEDIUM, 1, 1, 0)));
    assertEquals("medium", a.get("small").consolidatedInto());
    assertFalse(ON.advise(List.of(pool(SMALL, 0, 0, 0), pool(MEDIUM, 0, 0, 0))).get("small").closable(),
        "nothing warm: no advice to stay closed");
  }

  @Test
  void theModelOfHighestValueIsTheWarmAnchor() {
    Consolidator anchored = new Consolidator(new ScalingPolicy(
        TestModels.paperLike().withConsolidation(new ScalingSettings.Consolidation(true, 0.03, 1))));
    Map<String, ScalingPolicy.Advice> a = anchored.advise(List.of(pool(SMALL, 0, 0, 0), pool(MEDIUM, 0, 0, 0), pool(LARGE, 0, 0, 0)));
    assertEquals(1, a.get("medium").anchorWarm());
    assertEquals(0, a.get("small").anchorWarm());
    assertEquals(0, a.get("large").anchorWarm());
    // the policy keeps the anchor at that floor, idle or not
    ScalingPolicy p = new ScalingPolicy(TestModels.paperLike());
    ScaleDecision d = p.evaluate(MEDIUM, Telemetry.idle("medium", 0, 60_000, 0, 0), ModelMemory.initial(0),
        ScalingPolicy.Watch.startedAt(0), 0, a.get("medium")).decision().orElseThrow();
    assertEquals(1, d.to());
    assertEquals(ScaleReason.WARM_POOL, d.reason());
    // a model an operator capped at zero is not the anchor
    Consolidator.Pool capped = new Consolidator.Pool(MEDIUM, pool(MEDIUM, 0, 0, 0).telemetry(),
        ModelMemory.initial(0).withLimits(new ReplicaLimits(0, 0, 0)));
    assertEquals(1, anchored.advise(List.of(pool(SMALL, 0, 0, 0), capped, pool(LARGE, 0, 0, 0))).get("small").anchorWarm());
  }
}
