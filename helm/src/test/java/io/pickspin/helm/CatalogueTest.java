package io.pickspin.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.pickspin.helm.Chart.ValuesSet;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The model catalogue ConfigMap: HOCON the application reads as pickspin.models, one entry per model in the values. */
class CatalogueTest {
  private static final List<String> WHOLE_NUMBERS =
      List.of("gpus-per-replica", "latency.max-batch", "latency.cold-start-ms", "min-replicas", "max-replicas");

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void catalogueListsEveryModelWithItsProfile(ValuesSet set) {
    List<ModelValues> models = ModelValues.of(set.helmValues());
    List<? extends Config> catalogue = ModelValues.catalogue(set.render());

    assertEquals(models.stream().map(ModelValues::id).toList(), catalogue.stream().map(c -> c.getString("id")).toList());
    for (int i = 0; i < models.size(); i++) {
      ModelValues m = models.get(i);
      Config c = catalogue.get(i);
      assertEquals(m.tier(), c.getString("tier"));
      assertEquals(m.servedName(), c.getString("served-name"));
      assertEquals(m.quality(), c.getDouble("quality"), 1e-9);
      assertEquals(m.gpus(), c.getInt("gpus-per-replica"));
      assertEquals(m.gpuHourlyCost(), c.getDouble("gpu-hourly-cost"), 1e-9);
      assertEquals(m.ttftMs(), c.getDouble("latency.ttft-ms"), 1e-9);
      assertEquals(m.tpotMs(), c.getDouble("latency.tpot-ms"), 1e-9);
      assertEquals(m.maxBatch(), c.getInt("latency.max-batch"));
      assertEquals(m.coldStartMs(), c.getLong("latency.cold-start-ms"));
      if (m.tpotAtMaxBatchMs() > 0) assertEquals(m.tpotAtMaxBatchMs(), c.getDouble("latency.tpot-at-max-batch-ms"), 1e-9);
      else assertFalse(c.hasPath("latency.tpot-at-max-batch-ms"), m.id() + " has no batch curve in its values");
      assertEquals(m.minReplicas(), c.getInt("min-replicas"));
      assertEquals(m.maxReplicas(), c.getInt("max-replicas"));
      for (String path : WHOLE_NUMBERS) {
        // Helm holds YAML numbers as float64: 1200000 must not come out as 1.2e+06
        assertInstanceOf(Integer.class, c.getValue(path).unwrapped(), () -> m.id() + " " + path + " = " + c.getValue(path).render());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void everyEntryNamesTheObjectTheDriverScalesAndWhereRequestsGo(ValuesSet set) {
    JsonNode values = set.helmValues();
    Rendered r = set.render();
    List<ModelValues> models = ModelValues.of(values);
    List<? extends Config> catalogue = ModelValues.catalogue(r);

    for (int i = 0; i < models.size(); i++) {
      ModelValues m = models.get(i);
      Config c = catalogue.get(i);
      List<? extends Config> backends = c.getConfigList("backends");
      assertEquals(1, backends.size());
      String baseUrl = backends.get(0).getString("base-url");

      if (!m.chartManaged()) {
        assertFalse(c.hasPath("kubernetes"), "an external backend is not scaled by the driver");
        assertEquals(m.backend().get("url").asText(), baseUrl);
        assertEquals(m.backend().path("engine").asText("vllm"), backends.get(0).getString("kind"));
        continue;
      }
      Config k8s = c.getConfig("kubernetes");
      assertEquals(m.kind(), k8s.getString("kind"));
      assertEquals(m.resourceName(), k8s.getString("name"));
      assertEquals(baseUrl, k8s.getString("service-url"));
      assertEquals("vllm", backends.get(0).getString("kind"));

      URI url = URI.create(baseUrl);
      HasMetadata target;
      if (m.kind().equals("knative")) {
        target = r.generic("serving.knative.dev/v1", "Service", k8s.getString("name"));
        assertEquals(target.getMetadata().getName() + "." + target.getMetadata().getNamespace() + ".svc.cluster.local", url.getHost());
        assertEquals(-1, url.getPort(), "Knative serves on port 80");
      } else {
        target = r.get(Deployment.class, k8s.getString("name"));
        if (m.kind().equals("keda")) r.generic("keda.sh/v1alpha1", "ScaledObject", k8s.getString("name"));
        Service svc = r.get(Service.class, url.getHost().split("\\.")[0]);
        assertEquals(svc.getMetadata().getName() + "." + svc.getMetadata().getNamespace() + ".svc.cluster.local", url.getHost());
        assertEquals(svc.getSpec().getPorts().get(0).getPort(), url.getPort());
      }
      assertEquals(target.getMetadata().getNamespace(), k8s.getString("namespace"));
    }
  }

  @Test
  void omittedFieldsGetTheApplicationsDefaults() {
    Config c = ModelValues.catalogue(ValuesSet.MINIMAL.render()).get(0);
    assertEquals("meta-llama/Llama-3.1-8B-Instruct", c.getString("served-name"));
    assertEquals(0.5, c.getDouble("quality"));
    assertEquals(1, c.getInt("gpus-per-replica"));
    assertEquals(2.0, c.getDouble("gpu-hourly-cost"));
    assertEquals(8, c.getInt("latency.max-batch"));
    assertEquals(0, c.getInt("latency.cold-start-ms"));
    assertEquals(0, c.getInt("min-replicas"));
  }

  @Test
  void explicitZerosAreKeptNotReplacedByDefaults(@TempDir Path work) {
    Rendered r = Chart.renderYaml(work, """
        models:
          - id: tiny-cpu
            tier: low
            quality: 0
            gpusPerReplica: 0
            gpuHourlyCost: 0
            latency: {ttftMs: 300, tpotMs: 40.5, maxBatch: 1, coldStartMs: 0}
            maxReplicas: 1
            backend: {kind: deployment}
        """);
    Config c = ModelValues.catalogue(r).get(0);
    assertEquals(0.0, c.getDouble("quality"));
    assertEquals(0, c.getInt("gpus-per-replica"));
    assertEquals(0.0, c.getDouble("gpu-hourly-cost"));
    assertEquals(40.5, c.getDouble("latency.tpot-ms"));
    var resources = r.get(Deployment.class, "pickspin-tiny-cpu").getSpec().getTemplate().getSpec().getContainers().get(0).getResources();
    assertFalse(resources.getRequests().containsKey("nvidia.com/gpu"), "a CPU model asks for no GPU");
    assertFalse(resources.getLimits().containsKey("nvidia.com/gpu"));
  }

  @Test
  void catalogueTextIsPlainHoconWithoutExponents() {
    String text = ValuesSet.KEDA_MONITORING.render().configMapEntry(Chart.RELEASE + "-catalog", "catalog.conf");
    assertTrue(text.contains("cold-start-ms = 1200000"), text);
    assertFalse(text.contains("e+0"), text);
  }
}
