package io.pickspin.routing.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pickspin.model.Tier;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouterStateTest {
  private static final RouterState.Scales SCALES = new RouterState.Scales(20, 2000, 4, 4);
  private static final RouterState.Layout LOAD = RouterState.Layout.LOAD;
  private static final RouterState.Layout REPLICAS = RouterState.Layout.LOAD_AND_REPLICAS;

  static RouterState.ModelFeatures load(int inFlight, int queued, double capacity) {
    return new RouterState.ModelFeatures(inFlight, queued, capacity, 1, 0);
  }

  @Test
  void encodesTierLoadRateAndDeadlineInDocumentedOrder() {
    float[] s = RouterState.encode(LOAD, Tier.MEDIUM,
        new RouterState.ModelFeatures[] {load(4, 0, 16), load(16, 8, 8)}, 5, 1000, SCALES);
    assertArrayEquals(
        new float[] {0, 1, 0, 0.25f, 0f, 2f, 1f, 0.25f, 0.5f}, s, 1e-6f);
    assertEquals(LOAD.size(2), s.length);
  }

  @Test
  void theReplicaLayoutAddsReadyAndStartingReplicasPerModel() {
    float[] s = RouterState.encode(REPLICAS, Tier.MEDIUM, new RouterState.ModelFeatures[] {
        new RouterState.ModelFeatures(4, 0, 16, 2, 1), new RouterState.ModelFeatures(16, 8, 8, 0, 0)}, 5, 1000, SCALES);
    assertArrayEquals(
        new float[] {0, 1, 0, 0.25f, 0f, 0.5f, 0.25f, 2f, 1f, 0f, 0f, 0.25f, 0.5f}, s, 1e-6f);
    assertEquals(REPLICAS.size(2), s.length);
    assertEquals(3 + 4 * 2 + 2, REPLICAS.size(2));
  }

  @Test
  void clipsOverloadAndNegativeInputs() {
    float[] s = RouterState.encode(LOAD, Tier.HIGH, new RouterState.ModelFeatures[] {load(100, 1000, 8)}, 1000, -5, SCALES);
    assertArrayEquals(new float[] {0, 0, 1, 4, 4, 4, 0}, s, 1e-6f);
    float[] r = RouterState.encode(REPLICAS, Tier.HIGH,
        new RouterState.ModelFeatures[] {new RouterState.ModelFeatures(0, 0, 8, 100, 40)}, 0, 0, SCALES);
    assertArrayEquals(new float[] {0, 0, 1, 0, 0, 4, 4, 0, 0}, r, 1e-6f);
  }

  @Test
  void twoAndFourBusyReplicasDifferOnlyInTheReplicaFeatures() {
    // the same load relative to capacity: 2 replicas with 8 + 4 of 16 slots, 4 with 16 + 8 of 32
    RouterState.Encoder encoder = new RouterState.Encoder(List.of("m"), new int[] {8}, SCALES, REPLICAS);
    float[] two = encoder.encode(Tier.LOW, m -> new PoolStateView.ModelLoad(8, 4, 2), 5, 1000);
    float[] four = encoder.encode(Tier.LOW, m -> new PoolStateView.ModelLoad(16, 8, 4), 5, 1000);
    assertNotEquals(two[5], four[5]); // ready[m]
    assertEquals(0.5f, two[5], 1e-6f);
    assertEquals(1.0f, four[5], 1e-6f);
    two[5] = four[5];
    assertArrayEquals(four, two, 1e-6f);
    // the load layout cannot tell them apart
    RouterState.Encoder old = new RouterState.Encoder(List.of("m"), new int[] {8}, SCALES, LOAD);
    assertArrayEquals(old.encode(Tier.LOW, m -> new PoolStateView.ModelLoad(8, 4, 2), 5, 1000),
        old.encode(Tier.LOW, m -> new PoolStateView.ModelLoad(16, 8, 4), 5, 1000), 1e-6f);
  }

  @Test
  void replicasStartingShowInTheState() {
    RouterState.Encoder encoder = new RouterState.Encoder(List.of("m"), new int[] {8}, SCALES, REPLICAS);
    float[] cold = encoder.encode(Tier.LOW, m -> new PoolStateView.ModelLoad(0, 3, 0, 0), 5, 1000);
    float[] warming = encoder.encode(Tier.LOW, m -> new PoolStateView.ModelLoad(0, 3, 0, 2), 5, 1000);
    assertEquals(0f, cold[6], 1e-6f);
    assertEquals(0.5f, warming[6], 1e-6f);
    assertNotEquals(Arrays.toString(cold), Arrays.toString(warming));
  }

  @Test
  void featureNamesMatchTheVector() {
    assertEquals(
        List.of("tier=low", "tier=medium", "tier=high", "inflight[a]", "queued[a]", "inflight[b]", "queued[b]", "rate",
            "deadline"),
        LOAD.featureNames(List.of("a", "b")));
    assertEquals(
        List.of("tier=low", "tier=medium", "tier=high", "inflight[a]", "queued[a]", "ready[a]", "starting[a]",
            "inflight[b]", "queued[b]", "ready[b]", "starting[b]", "rate", "deadline"),
        REPLICAS.featureNames(List.of("a", "b")));
  }

  @Test
  void layoutsAreKnownByNameFeaturesAndSize() {
    List<String> models = List.of("a", "b");
    assertEquals(LOAD, RouterState.Layout.ofFeatures(LOAD.featureNames(models), models));
    assertEquals(REPLICAS, RouterState.Layout.ofFeatures(REPLICAS.featureNames(models), models));
    assertEquals(REPLICAS, RouterState.Layout.named("load+replicas"));
    assertEquals(LOAD, RouterState.Layout.ofSize(9, 2));
    assertEquals(REPLICAS, RouterState.Layout.ofSize(13, 2));
    assertThrows(IllegalArgumentException.class, () -> RouterState.Layout.ofSize(10, 2));
    assertThrows(IllegalArgumentException.class, () -> RouterState.Layout.named("load+gpus"));
    // a feature list in another order is no layout, not the nearest one
    List<String> swapped = new java.util.ArrayList<>(LOAD.featureNames(models));
    java.util.Collections.swap(swapped, 3, 4);
    assertThrows(IllegalArgumentException.class, () -> RouterState.Layout.ofFeatures(swapped, models));
  }

  @Test
  void theReplicaLayoutNeedsAReplicaScale() {
    RouterState.Scales loadOnly = new RouterState.Scales(20, 2000, 4);
    assertThrows(IllegalArgumentException.class, () -> new RouterState.Encoder(List.of("m"), new int[] {8}, loadOnly, REPLICAS));
    assertEquals(9, new RouterState.Encoder(List.of("m", "n"), new int[] {8, 8}, loadOnly, LOAD).size());
  }

  @Test
  void rejectsMismatchedArrays() {
    assertThrows(IllegalArgumentException.class,
        () -> RouterState.encode(REPLICAS, Tier.LOW, new RouterState.ModelFeatures[] {load(1, 1, 1)}, 0, 0, SCALES,
            new float[LOAD.size(1)]));
  }
}
