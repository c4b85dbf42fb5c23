package io.pickspin.drivers;

import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class StaticDriverTest {
  static final BackendEndpoint A = new BackendEndpoint("a", "vllm", URI.create("http://10.0.0.5:8000"));
  static final BackendEndpoint B = new BackendEndpoint("b", "tgi", URI.create("http://10.0.0.6:8080"));
  static final ModelSpec MODEL =
      new ModelSpec("m", Tier.LOW, "m", 0.5, 1, 2.0, new LatencyProfile(50, 10, 8, 0), 0, 4, List.of(A, B));
  static final Catalog CATALOG = new Catalog(List.of(MODEL));

  @Test
  void theCataloguesBackendsAreReadyWhateverIsAskedAndScalingOnlyReportsThem() {
    StaticDriver driver = new StaticDriver(CATALOG);
    List<String> changes = new CopyOnWriteArrayList<>();
    driver.onChange(changes::add);
    List<ReplicaStatus> expected =
        List.of(new ReplicaStatus("a", ReplicaPhase.READY, A), new ReplicaStatus("b", ReplicaPhase.READY, B));
    assertEquals(expected, driver.replicas("m"));
    driver.scale(MODEL, 0);
    assertEquals(expected, driver.replicas("m"), "a static deployment is never scaled");
    driver.scale(MODEL, 7);
    assertEquals(expected, driver.replicas("m"));
    assertEquals(List.of("m", "m"), changes);
    assertEquals(List.of(), driver.replicas("unknown"));
    driver.close();
  }
}
