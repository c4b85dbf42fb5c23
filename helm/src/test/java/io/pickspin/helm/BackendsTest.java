package io.pickspin.helm;

import static io.pickspin.helm.Rendered.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.pickspin.helm.Chart.ValuesSet;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Model backends: vLLM Deployments, Knative Services and KEDA-scaled pools, one per catalogue model. */
class BackendsTest {
  private static final String GPU = "nvidia.com/gpu";

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void everyChartManagedModelGetsExactlyItsBackendObjects(ValuesSet set) {
    List<ModelValues> models = ModelValues.of(set.helmValues());
    Rendered r = set.render();

    assertEquals(names(models, "deployment", "keda"), r.all(Deployment.class).stream().map(d -> d.getMetadata().getName()).collect(Collectors.toSet()));
    assertEquals(names(models, "knative"), r.generic("serving.knative.dev/v1", "Service").stream().map(s -> s.getMetadata().getName()).collect(Collectors.toSet()));
    assertEquals(names(models, "keda"), r.generic("keda.sh/v1alpha1", "ScaledObject").stream().map(s -> s.getMetadata().getName()).collect(Collectors.toSet()));
    Set<String> backendServices = r.all(Service.class).stream()
        .filter(s -> "model-backend".equals(s.getMetadata().getLabels().get("app.kubernetes.io/component")))
        .map(s -> s.getMetadata().getName())
        .collect(Collectors.toSet());
    assertEquals(names(models, "deployment", "keda"), backendServices);
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void vllmDeploymentsStartAtZeroAndRequestTheirGpus(ValuesSet set) {
    JsonNode values = set.helmValues();
    Rendered r = set.render();
    String namespace = values.at("/backends/namespace").asText().isEmpty() ? Chart.NAMESPACE : values.at("/backends/namespace").asText();
    String image = values.at("/vllm/image/repository").asText() + ":" + values.at("/vllm/image/tag").asText();

    for (ModelValues m : ModelValues.of(values)) {
      if (!m.kind().equals("deployment") && !m.kind().equals("keda")) continue;
      Deployment d = r.get(Deployment.class, m.resourceName());
      assertEquals(namespace, d.getMetadata().getNamespace());
      assertEquals(0, d.getSpec().getReplicas(), "the control plane scales the backend from zero");

      Container c = vllm(d.getSpec().getTemplate().getSpec());
      assertEquals(image, c.getImage());
      assertVllmArgs(m, c);
      assertGpus(m.gpus(), c);
      assertEquals("/health", c.getReadinessProbe().getHttpGet().getPath());
      assertEquals("http", c.getReadinessProbe().getHttpGet().getPort().getStrVal());
      assertEquals("/health", c.getStartupProbe().getHttpGet().getPath());
      assertEquals(8000, c.getPorts().get(0).getContainerPort());

      Service svc = r.get(Service.class, m.resourceName());
      assertEquals(namespace, svc.getMetadata().getNamespace());
      Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
      assertTrue(podLabels.entrySet().containsAll(svc.getSpec().getSelector().entrySet()), "the Service selects the vLLM pods");
      assertEquals(d.getSpec().getSelector().getMatchLabels(), svc.getSpec().getSelector());
      ServicePort port = svc.getSpec().getPorts().get(0);
      assertEquals(8000, port.getPort());
      assertEquals(c.getPorts().get(0).getName(), port.getTargetPort().getStrVal());
      assertEquals(m.id(), podLabels.get("pickspin.io/model"));
    }
  }

  @Test
  void perModelAndGlobalVllmSettingsReachTheContainer() {
    Rendered r = ValuesSet.CLUSTER_CASSANDRA.render();
    Container c = vllm(r.get(Deployment.class, "pickspin-llama-3-3-70b").getSpec().getTemplate().getSpec());
    assertEquals("/models/Llama-3.3-70B-Instruct", argAfter(c, "--model"));
    assertEquals("llama-3.3-70b-instruct", argAfter(c, "--served-model-name"));
    assertTrue(c.getArgs().contains("--enable-prefix-caching"));
    assertEquals("hf-token", c.getEnv().stream().filter(e -> e.getName().equals("HF_TOKEN")).findFirst().orElseThrow()
        .getValueFrom().getSecretKeyRef().getName());
    PodSpec pod = r.get(Deployment.class, "pickspin-llama-3-3-70b").getSpec().getTemplate().getSpec();
    assertEquals("hf-cache", pod.getVolumes().stream().filter(v -> v.getName().equals("model-cache")).findFirst().orElseThrow()
        .getPersistentVolumeClaim().getClaimName());
    assertEquals("Memory", pod.getVolumes().stream().filter(v -> v.getName().equals("dshm")).findFirst().orElseThrow()
        .getEmptyDir().getMedium());
    assertEquals("nvidia.com/gpu", pod.getTolerations().get(0).getKey());
  }

  @Test
  void knativeServicesCarryTheScaleBoundsTheControlPlanePatches() {
    JsonNode values = ValuesSet.KNATIVE.helmValues();
    Rendered r = ValuesSet.KNATIVE.render();
    for (ModelValues m : ModelValues.of(values)) {
      GenericKubernetesResource ksvc = r.generic("serving.knative.dev/v1", "Service", m.resourceName());
      assertEquals("llm-backends", ksvc.getMetadata().getNamespace());
      assertEquals("cluster-local", ksvc.getMetadata().getLabels().get("networking.knative.dev/visibility"));
      Map<?, ?> annotations = (Map<?, ?>) at(ksvc.getAdditionalProperties(), "spec", "template", "metadata", "annotations");
      assertEquals(String.valueOf(m.minReplicas()), annotations.get("autoscaling.knative.dev/min-scale"));
      assertEquals(String.valueOf(m.maxReplicas()), annotations.get("autoscaling.knative.dev/max-scale"));
      assertEquals(String.valueOf(m.maxBatch()), annotations.get("autoscaling.knative.dev/target"));
      assertEquals("30m", annotations.get("serving.knative.dev/progress-deadline"));

      Container c = knativeContainer(ksvc);
      assertVllmArgs(m, c);
      assertGpus(m.gpus(), c);
      assertEquals("http1", c.getPorts().get(0).getName());
      assertEquals(8000, c.getPorts().get(0).getContainerPort());
      assertEquals("/health", c.getReadinessProbe().getHttpGet().getPath());
      // podspecExtensions=false: only what every Knative installation accepts
      Map<?, ?> podSpec = (Map<?, ?>) at(ksvc.getAdditionalProperties(), "spec", "template", "spec");
      assertNull(podSpec.get("tolerations"));
      assertNull(podSpec.get("volumes"));
      assertTrue(c.getVolumeMounts().isEmpty());
    }
    Map<?, ?> qwen = (Map<?, ?>) at(r.generic("serving.knative.dev/v1", "Service", "pickspin-qwen3-32b").getAdditionalProperties(),
        "spec", "template", "metadata", "annotations");
    assertEquals("10m", qwen.get("autoscaling.knative.dev/scale-down-delay"), "per-model annotations are passed through");
  }

  @Test
  void knativePodspecExtensionsAddGpuSchedulingAndVolumes() {
    Rendered r = Chart.render(ValuesSet.KNATIVE.file(), Map.of("knative.podspecExtensions", true));
    GenericKubernetesResource ksvc = r.generic("serving.knative.dev/v1", "Service", "pickspin-qwen3-32b");
    assertEquals("nvidia.com/gpu", at(ksvc.getAdditionalProperties(), "spec", "template", "spec", "tolerations", 0, "key"));
    assertEquals("dshm", at(ksvc.getAdditionalProperties(), "spec", "template", "spec", "volumes", 0, "name"));
    assertFalse(knativeContainer(ksvc).getVolumeMounts().isEmpty());
  }

  @Test
  void backgroundPoolsScaleWithKedaOnTheQueueDepth() {
    JsonNode values = ValuesSet.KEDA_MONITORING.helmValues();
    Rendered r = ValuesSet.KEDA_MONITORING.render();
    ModelValues pool = ModelValues.of(values).stream().filter(m -> m.kind().equals("keda")).findFirst().orElseThrow();
    GenericKubernetesResource so = r.generic("keda.sh/v1alpha1", "ScaledObject", pool.resourceName());
    Map<String, Object> spec = so.getAdditionalProperties();

    assertEquals("Deployment", at(spec, "spec", "scaleTargetRef", "kind"));
    assertEquals(r.get(Deployment.class, pool.resourceName()).getMetadata().getName(), at(spec, "spec", "scaleTargetRef", "name"));
    assertEquals(pool.minReplicas(), at(spec, "spec", "minReplicaCount"));
    assertEquals(pool.maxReplicas(), at(spec, "spec", "maxReplicaCount"));
    assertEquals(10, at(spec, "spec", "pollingInterval"));
    assertEquals(600, at(spec, "spec", "cooldownPeriod"));
    assertEquals("prometheus", at(spec, "spec", "triggers", 0, "type"));
    assertEquals(values.at("/keda/prometheus/serverAddress").asText(), at(spec, "spec", "triggers", 0, "metadata", "serverAddress"));
    String query = (String) at(spec, "spec", "triggers", 0, "metadata", "query");
    assertTrue(query.contains("pickspin_queue_depth{model=\"" + pool.id() + "\"}"), query);
    assertEquals("24", at(spec, "spec", "triggers", 0, "metadata", "threshold"));
    assertGpus(8, vllm(r.get(Deployment.class, pool.resourceName()).getSpec().getTemplate().getSpec()));
  }

  @Test
  void kedaThresholdDefaultsToTheModelsBatchSize(@TempDir Path work) {
    assertTrue(ValuesSet.DEFAULTS.render().generic("keda.sh/v1alpha1", "ScaledObject").isEmpty());
    String yaml = """
        models:
          - id: batch-8b
            tier: low
            latency: {ttftMs: 60, tpotMs: 9, maxBatch: 12}
            maxReplicas: 3
            backend: {kind: keda}
        """;
    GenericKubernetesResource so = Chart.renderYaml(work, yaml).generic("keda.sh/v1alpha1", "ScaledObject", "pickspin-batch-8b");
    assertEquals("12", at(so.getAdditionalProperties(), "spec", "triggers", 0, "metadata", "threshold"));
  }

  private static void assertVllmArgs(ModelValues m, Container c) {
    assertEquals(m.backend().path("model").asText(m.servedName()), argAfter(c, "--model"));
    assertEquals(m.servedName(), argAfter(c, "--served-model-name"));
    assertEquals(String.valueOf(m.gpus()), argAfter(c, "--tensor-parallel-size"));
    assertEquals(String.valueOf(m.maxBatch()), argAfter(c, "--max-num-seqs"));
    assertEquals("8000", argAfter(c, "--port"));
  }

  private static void assertGpus(int gpus, Container c) {
    Quantity requested = c.getResources().getRequests().get(GPU);
    assertNotNull(requested, "no GPU request");
    assertEquals(new Quantity(String.valueOf(gpus)), requested);
    assertEquals(requested, c.getResources().getLimits().get(GPU), "GPU requests must equal limits");
  }

  private static String argAfter(Container c, String flag) {
    int i = c.getArgs().indexOf(flag);
    assertTrue(i >= 0 && i + 1 < c.getArgs().size(), () -> "no " + flag + " in " + c.getArgs());
    return c.getArgs().get(i + 1);
  }

  private static Container vllm(PodSpec pod) {
    assertEquals(1, pod.getContainers().size());
    assertEquals("vllm", pod.getContainers().get(0).getName());
    return pod.getContainers().get(0);
  }

  private static Container knativeContainer(GenericKubernetesResource ksvc) {
    Object container = at(ksvc.getAdditionalProperties(), "spec", "template", "spec", "containers", 0);
    assertNotNull(container);
    return Serialization.jsonMapper().convertValue(container, Container.class);
  }

  private static Set<String> names(List<ModelValues> models, String... kinds) {
    Set<String> wanted = Set.of(kinds);
    return models.stream().filter(m -> wanted.contains(m.kind())).map(ModelValues::resourceName).collect(Collectors.toSet());
  }
}
