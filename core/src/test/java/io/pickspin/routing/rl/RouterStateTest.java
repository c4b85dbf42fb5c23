package io.pickspin.routing.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pickspin.model.Tier;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouterStateTest {
  private static final RouterState.Scales SCALES = new RouterState.Scales(20, 2000, 4);

  @Test
  void encodesTierLoadRateAndDeadlineInDocumentedOrder() {
    float[] s =
        RouterState.encode(Tier.MEDIUM, new int[] {4, 16}, new int[] {0, 8}, new double[] {16, 8}, 5, 1000, SCALES);
    assertArrayEquals(
        new float[] {0, 1, 0, 0.25f, 0f, 2f, 1f, 0.25f, 0.5f}, s, 1e-6f);
    assertEquals(RouterState.size(2), s.length);
  }

  @Test
  void clipsOverloadAndNegativeInputs() {
    float[] s =
        RouterState.encode(Tier.HIGH, new int[] {100}, new int[] {1000}, new double[] {8}, 1000, -5, SCALES);
    assertArrayEquals(new float[] {0, 0, 1, 4, 4, 4, 0}, s, 1e-6f);
  }

  @Test
  void featureNamesMatchTheVector() {
    List<String> names = RouterState.featureNames(List.of("a", "b"));
    assertEquals(
        List.of("tier=low", "tier=medium", "tier=high", "inflight[a]", "queued[a]", "inflight[b]", "queued[b]", "rate",
            "deadline"),
        names);
  }

  @Test
  void rejectsMismatchedArrays() {
    assertThrows(IllegalArgumentException.class,
        () -> RouterState.encode(Tier.LOW, new int[] {1}, new int[] {1, 2}, new double[] {1}, 0, 0, SCALES));
  }
}
