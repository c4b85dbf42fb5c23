package io.pickspin.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A sim backend listed without a URL is a local sim until the node gives it one. */
class CatalogTest {
  static Catalog parse(String models) {
    return Catalog.fromConfig(ConfigFactory.parseString("models = " + models).getConfigList("models"));
  }

  @Test
  void simBackendsWithoutAUrlAreLocalSimsInTheirPlace() {
    Catalog c =
        parse(
            """
            [{ id = m, tier = low, latency { ttft-ms = 50, tpot-ms = 5 }
               backends = [{ kind = sim, port = 7001 }, { kind = vllm, base-url = "http://10.0.0.1:8000" }, { kind = sim }] }]
            """);
    assertEquals(
        List.of(new Catalog.LocalSim("m", 0, "sim-0", 7001), new Catalog.LocalSim("m", 2, "sim-2", 0)), c.localSims());
    assertEquals(List.of("vllm-1"), c.get("m").backends().stream().map(BackendEndpoint::id).toList());
    assertEquals(3, c.get("m").maxReplicas(), "every listed backend counts towards the default max-replicas");

    URI first = URI.create("http://127.0.0.1:7001");
    URI last = URI.create("http://127.0.0.1:7002");
    Catalog served = c.withLocalSims(Map.of(c.localSims().get(0), first, c.localSims().get(1), last));
    assertEquals(List.of(), served.localSims());
    assertEquals(
        List.of(
            new BackendEndpoint("sim-0", "sim", first),
            new BackendEndpoint("vllm-1", "vllm", URI.create("http://10.0.0.1:8000")),
            new BackendEndpoint("sim-2", "sim", last)),
        served.get("m").backends());
  }

  @Test
  void anEmbeddingsModelIsMarkedNeedsNoTierAndServesNoTier() {
    Catalog c =
        parse(
            """
            [{ id = chat, tier = low, latency { ttft-ms = 50, tpot-ms = 5 } },
             { id = embed, embeddings = true, gpu-hourly-cost = 0.1, latency { ttft-ms = 10, tpot-ms = 0 } }]
            """);
    assertTrue(c.get("embed").embeddings());
    assertTrue(!c.get("chat").embeddings());
    assertEquals(Tier.LOW, c.get("embed").tier());
    assertEquals(List.of("chat"), c.ofTier(Tier.LOW).stream().map(ModelSpec::id).toList(), "cheaper, but not a chat model");
    assertEquals("chat", c.defaultFor(Tier.LOW).id());
    assertTrue(c.withLocalSims(Map.of()).get("embed").embeddings(), "kept when backends change");
  }

  @Test
  void aLocalSimNeedsItsUrlAndABackendOfAnotherKindNeedsABaseUrl() {
    Catalog c = parse("[{ id = m, tier = low, latency { ttft-ms = 50, tpot-ms = 5 }, backends = [{ kind = sim }] }]");
    assertThrows(IllegalArgumentException.class, () -> c.withLocalSims(Map.of()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse("[{ id = m, tier = low, latency { ttft-ms = 50, tpot-ms = 5 }, backends = [{ kind = vllm }] }]"));
    assertTrue(e.getMessage().startsWith("bad configuration for model m: "), e.getMessage());
    assertTrue(e.getMessage().contains("base-url"), e.getMessage());
    IllegalArgumentException port =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse("[{ id = m, tier = low, latency { ttft-ms = 50, tpot-ms = 5 }, backends = [{ kind = sim, port = -1 }] }]"));
    assertTrue(port.getMessage().contains("port must be in 0..65535"), port.getMessage());
  }
}
