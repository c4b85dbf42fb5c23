package io.pickspin.drivers;

import io.pickspin.testing.Eventually;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Kubernetes driver against fabric8's mock API server in CRUD mode (a real HTTP server on 127.0.0.1). */
@EnableKubernetesMockClient(crud = true)
class KubernetesDriverTest {
  static final String NS = "models";
  static final URI SMALL_URL = URI.create("http://small.models.svc.cluster.local:8000");
  static final URI KN_URL = URI.create("http://medium.models.svc.cluster.local");
  static final URI KEDA_URL = URI.create("http://batch.models.svc.cluster.local:8000");
  static final ModelSpec SMALL = model("small", 4);
  static final ModelSpec MEDIUM = model("medium", 6);
  static final ModelSpec BATCH = model("batch", 5);
  static final KubernetesDriver.Settings SETTINGS =
      new KubernetesDriver.Settings(KubernetesDriver.Ceiling.MODEL_MAX, Duration.ZERO, Duration.ofMillis(100), Duration.ofMillis(400));

  KubernetesClient client;
  KubernetesDriver driver;
  final List<String> changes = new CopyOnWriteArrayList<>();

  static ModelSpec model(String id, int max) {
    return new ModelSpec(id, Tier.LOW, id, 0.5, 1, 2.0, new LatencyProfile(50, 10, 8, 1000), 0, max, List.of());
  }

  KubernetesDriver driver(Map<String, KubernetesTarget> targets) {
    driver = new KubernetesDriver(client, targets, SETTINGS, false);
    driver.onChange(changes::add);
    return driver;
  }

  @AfterEach
  void close() {
    if (driver != null) driver.close();
  }

  static final Duration WAIT = Duration.ofSeconds(10);

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    Eventually.await(what, WAIT, condition);
  }

  static <T> void awaitEquals(T expected, Supplier<T> actual) throws InterruptedException {
    Eventually.awaitEquals("the driver's view", WAIT, expected, actual);
  }

  /** The phases of a model's replicas, in order. */
  List<ReplicaPhase> phases(String model) {
    return driver.replicas(model).stream().map(ReplicaStatus::phase).toList();
  }

  static List<ReplicaPhase> phases(int ready, int starting, int draining) {
    List<ReplicaPhase> l = new ArrayList<>();
    for (int i = 0; i < ready; i++) l.add(ReplicaPhase.READY);
    for (int i = 0; i < starting; i++) l.add(ReplicaPhase.STARTING);
    for (int i = 0; i < draining; i++) l.add(ReplicaPhase.DRAINING);
    return l;
  }

  Deployment deployment(String name, int replicas, Map<String, String> labels) {
    return client.apps().deployments().inNamespace(NS).resource(
            new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).withLabels(labels).endMetadata()
                .withNewSpec().withReplicas(replicas)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("vllm").withImage("vllm/vllm-openai").endContainer().endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
  }

  void setReadyReplicas(String name, int ready) {
    Deployment d = client.apps().deployments().inNamespace(NS).withName(name).get();
    d.setStatus(new DeploymentStatusBuilder().withReplicas(ready).withReadyReplicas(ready).build());
    client.apps().deployments().inNamespace(NS).resource(d).updateStatus();
  }

  int specReplicas(String name) {
    Deployment d = client.apps().deployments().inNamespace(NS).withName(name).get();
    return d == null || d.getSpec().getReplicas() == null ? -1 : d.getSpec().getReplicas();
  }

  @Test
  void aDeploymentIsScaledThroughItsScaleSubresourceAndItsStatusGivesTheReplicas() throws Exception {
    deployment("small-vllm", 0, Map.of());
    driver(Map.of("small", new KubernetesTarget(KubernetesTarget.Kind.DEPLOYMENT, "small-vllm", NS, SMALL_URL, "vllm")));
    assertEquals(List.of(), driver.replicas("small"));

    driver.scale(SMALL, 3);
    awaitEquals(3, () -> specReplicas("small-vllm"));
    awaitEquals(phases(0, 3, 0), () -> phases("small"));

    changes.clear();
    setReadyReplicas("small-vllm", 2);
    awaitEquals(phases(2, 1, 0), () -> phases("small"));
    await("a change reported for small", () -> changes.contains("small"));
    ReplicaStatus first = driver.replicas("small").get(0);
    assertEquals("small-vllm-0", first.replicaId());
    assertEquals(SMALL_URL, first.endpoint().baseUrl());
    assertEquals("vllm", first.endpoint().kind());

    driver.scale(SMALL, 1);
    awaitEquals(1, () -> specReplicas("small-vllm"));
    awaitEquals(phases(1, 0, 1), () -> phases("small"));
  }

  @Test
  void aScaleOfAMissingDeploymentIsRetriedUntilItExists() throws Exception {
    driver(Map.of("small", new KubernetesTarget(KubernetesTarget.Kind.DEPLOYMENT, "late", NS, SMALL_URL, "vllm")));
    driver.scale(SMALL, 2); // returns at once although the API call fails
    Thread.sleep(300);
    deployment("late", 0, Map.of());
    awaitEquals(2, () -> specReplicas("late"));
    // a newer decision replaces the one still being retried
    driver.scale(SMALL, 4);
    awaitEquals(4, () -> specReplicas("late"));
  }

  GenericKubernetesResource knativeService(String name, Map<String, Object> status) {
    Map<String, Object> annotations =
        Map.of(
            KubernetesReplicas.MIN_SCALE, "0",
            KubernetesReplicas.MAX_SCALE, "6",
            "autoscaling.knative.dev/metric", "concurrency");
    GenericKubernetesResource ksvc =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("serving.knative.dev/v1")
            .withKind("Service")
            .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
            .addToAdditionalProperties(
                "spec",
                Map.of(
                    "template",
                    Map.of(
                        "metadata", Map.of("annotations", annotations),
                        "spec", Map.of("containers", List.of(Map.of("image", "vllm/vllm-openai"))))))
            .build();
    if (status != null) ksvc.getAdditionalProperties().put("status", status);
    return client.genericKubernetesResources(KubernetesDriver.KNATIVE_SERVICE).inNamespace(NS).resource(ksvc).create();
  }

  GenericKubernetesResource getKsvc(String name) {
    return client.genericKubernetesResources(KubernetesDriver.KNATIVE_SERVICE).inNamespace(NS).withName(name).get();
  }

  void setKsvcStatus(String name, Map<String, Object> status) {
    GenericKubernetesResource ksvc = getKsvc(name);
    ksvc.getAdditionalProperties().put("status", status);
    client.genericKubernetesResources(KubernetesDriver.KNATIVE_SERVICE).inNamespace(NS).resource(ksvc).updateStatus();
  }

  static Map<String, Object> ready(String status, String revision) {
    return Map.of(
        "latestReadyRevisionName", revision,
        "conditions", List.of(Map.of("type", "Ready", "status", status)));
  }

  @Test
  void aKnativeServiceGetsMinAndMaxScaleAndItsReadyConditionOrRevisionGivesTheReplicas() throws Exception {
    knativeService("medium", null);
    driver(Map.of("medium", new KubernetesTarget(KubernetesTarget.Kind.KNATIVE, "medium", NS, KN_URL, "vllm")));

    driver.scale(MEDIUM, 2);
    awaitEquals(
        List.of("2", "6"),
        () -> List.of(
            KubernetesReplicas.annotation(getKsvc("medium"), KubernetesReplicas.MIN_SCALE).orElse("?"),
            KubernetesReplicas.annotation(getKsvc("medium"), KubernetesReplicas.MAX_SCALE).orElse("?")));
    assertEquals(
        "concurrency",
        KubernetesReplicas.annotation(getKsvc("medium"), "autoscaling.knative.dev/metric").orElse(null),
        "the chart's other annotations stay");
    awaitEquals(phases(0, 2, 0), () -> phases("medium"));

    setKsvcStatus("medium", ready("True", "medium-00001"));
    awaitEquals(phases(2, 0, 0), () -> phases("medium"));
    assertEquals(KN_URL, driver.replicas("medium").get(1).endpoint().baseUrl());

    // once the serving revision's Deployment is visible, its pods count
    deployment(
        "medium-00001-deployment",
        3,
        Map.of(KubernetesReplicas.KNATIVE_SERVICE_LABEL, "medium", KubernetesReplicas.KNATIVE_REVISION_LABEL, "medium-00001"));
    setReadyReplicas("medium-00001-deployment", 1);
    awaitEquals(phases(1, 2, 0), () -> phases("medium"));

    setKsvcStatus("medium", ready("False", "medium-00002"));
    awaitEquals(List.of(ReplicaPhase.FAILED, ReplicaPhase.FAILED), () -> phases("medium"));

    // scale to zero: min-scale 0, max-scale stays the model's maximum (0 would mean "unlimited")
    driver.scale(MEDIUM, 0);
    awaitEquals("0", () -> KubernetesReplicas.annotation(getKsvc("medium"), KubernetesReplicas.MIN_SCALE).orElse("?"));
    assertEquals("6", KubernetesReplicas.annotation(getKsvc("medium"), KubernetesReplicas.MAX_SCALE).orElse("?"));
  }

  GenericKubernetesResource scaledObject(String name, String target) {
    GenericKubernetesResource so =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("keda.sh/v1alpha1")
            .withKind("ScaledObject")
            .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
            .addToAdditionalProperties(
                "spec",
                Map.of(
                    "scaleTargetRef", Map.of("apiVersion", "apps/v1", "kind", "Deployment", "name", target),
                    "minReplicaCount", 0,
                    "maxReplicaCount", 5,
                    "triggers", List.of(Map.of("type", "prometheus"))))
            .build();
    return client.genericKubernetesResources(KubernetesDriver.SCALED_OBJECT).inNamespace(NS).resource(so).create();
  }

  @SuppressWarnings("unchecked")
  List<Object> minMax(String name) {
    GenericKubernetesResource so =
        client.genericKubernetesResources(KubernetesDriver.SCALED_OBJECT).inNamespace(NS).withName(name).get();
    Map<String, Object> spec = (Map<String, Object>) so.getAdditionalProperties().get("spec");
    return List.of(((Number) spec.get("minReplicaCount")).intValue(), ((Number) spec.get("maxReplicaCount")).intValue());
  }

  @Test
  void aKedaScaledObjectGetsMinAndMaxAndItsTargetDeploymentGivesTheReplicas() throws Exception {
    deployment("batch-vllm", 0, Map.of());
    scaledObject("batch", "batch-vllm");
    driver(Map.of("batch", new KubernetesTarget(KubernetesTarget.Kind.KEDA, "batch", NS, KEDA_URL, "vllm")));

    driver.scale(BATCH, 2);
    awaitEquals(List.<Object>of(2, 5), () -> minMax("batch"));
    assertEquals(0, specReplicas("batch-vllm"), "KEDA, not the driver, sets the Deployment's count");

    // what KEDA's HPA would do: 3 pods, 2 of them ready
    Deployment d = client.apps().deployments().inNamespace(NS).withName("batch-vllm").get();
    d.getSpec().setReplicas(3);
    client.apps().deployments().inNamespace(NS).resource(d).update();
    setReadyReplicas("batch-vllm", 2);
    awaitEquals(phases(2, 1, 0), () -> phases("batch"));
    assertTrue(changes.contains("batch"));

    driver.scale(BATCH, 0);
    awaitEquals(List.<Object>of(0, 5), () -> minMax("batch"));
  }

  @Test
  void theCeilingCanPinKnativeAndKedaToTheDesiredCount() throws Exception {
    deployment("batch-vllm", 0, Map.of());
    scaledObject("batch", "batch-vllm");
    driver =
        new KubernetesDriver(
            client,
            Map.of("batch", new KubernetesTarget(KubernetesTarget.Kind.KEDA, "batch", NS, KEDA_URL, "vllm")),
            new KubernetesDriver.Settings(KubernetesDriver.Ceiling.DESIRED, Duration.ZERO, Duration.ofMillis(100), Duration.ofMillis(400)),
            false);
    driver.scale(BATCH, 3);
    awaitEquals(List.<Object>of(3, 3), () -> minMax("batch"));
    driver.scale(BATCH, 0);
    awaitEquals(List.<Object>of(0, 1), () -> minMax("batch"));
  }

  @Test
  void aStuckRolloutMakesTheMissingReplicasFailed() {
    KubernetesTarget t = new KubernetesTarget(KubernetesTarget.Kind.DEPLOYMENT, "x", NS, SMALL_URL, "vllm");
    Deployment d =
        new DeploymentBuilder()
            .withNewMetadata().withName("x").endMetadata()
            .withNewSpec().withReplicas(3).endSpec()
            .withNewStatus().withReadyReplicas(1)
            .addNewCondition().withType("Progressing").withStatus("False").withReason("ProgressDeadlineExceeded").endCondition()
            .endStatus()
            .build();
    assertEquals(
        List.of(ReplicaPhase.READY, ReplicaPhase.FAILED, ReplicaPhase.FAILED),
        KubernetesReplicas.fromDeployment(t, d).stream().map(ReplicaStatus::phase).toList());
  }

  @Test
  void scalingAModelWithoutATargetIsRefused() {
    driver(Map.of());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> driver.scale(SMALL, 1));
    assertNotNull(e.getMessage());
    assertTrue(e.getMessage().contains("small"), e.getMessage());
  }
}
