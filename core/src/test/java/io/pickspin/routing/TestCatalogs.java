package io.pickspin.routing;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.routing.matrix.ServiceMatrix;
import io.pickspin.routing.matrix.TierFit;
import java.net.URI;
import java.util.List;

/**
 * A three-model catalogue with round numbers for hand-computed expectations. With 11 expected output tokens the
 * seeded latencies are 200 / 400 / 600 ms and the costs per request 2*200, 4*400 and 8*600 dollar-ms / 3.6e6 / 10.
 */
public final class TestCatalogs {
  private TestCatalogs() {}

  public static Catalog threeTiers() {
    return new Catalog(
        List.of(
            model("small", Tier.LOW, 0.6, 1, 100, 10, "vllm"),
            model("medium", Tier.MEDIUM, 0.8, 2, 200, 20, "vllm"),
            model("large", Tier.HIGH, 0.9, 4, 300, 30, "vllm", "tgi")));
  }

  public static ServiceMatrix matrix(Catalog c) {
    return new ServiceMatrix(c, new ServiceMatrix.Settings(0.5, 11, TierFit.defaults()));
  }

  static ModelSpec model(String id, Tier tier, double quality, int gpus, double ttft, double tpot, String... kinds) {
    List<BackendEndpoint> backends =
        java.util.Arrays.stream(kinds)
            .map(k -> new BackendEndpoint(k + "-0", k, URI.create("http://127.0.0.1:1/" + id + "/" + k)))
            .toList();
    return new ModelSpec(id, tier, id, quality, gpus, 2.0, new LatencyProfile(ttft, tpot, 10, 1000), 0, 2, backends);
  }
}
