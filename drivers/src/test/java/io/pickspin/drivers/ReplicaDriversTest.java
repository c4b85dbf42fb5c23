package io.pickspin.drivers;

import io.pickspin.scaling.driver.ReplicaDriver;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The factory reads the driver and the per-model blocks the way the Helm chart and the docs write them. */
@EnableKubernetesMockClient(crud = true)
class ReplicaDriversTest {
  static final BackendEndpoint EXTERNAL = new BackendEndpoint("external", "vllm", URI.create("http://10.1.2.3:8000"));
  static final BackendEndpoint SERVICE =
      new BackendEndpoint("service", "vllm", URI.create("http://pickspin-small.models.svc.cluster.local:8000"));
  static final ModelSpec EXTERNAL_MODEL = model("external-large", List.of(EXTERNAL));

  KubernetesClient client;

  static ModelSpec model(String id, List<BackendEndpoint> backends) {
    return new ModelSpec(id, Tier.LOW, id, 0.5, 1, 2.0, new LatencyProfile(50, 10, 8, 0), 0, 4, backends);
  }

  static ReplicaDriver driver(Config pickspin, Catalog catalog) {
    return ReplicaDrivers.create(DriverSettings.fromConfig(pickspin), catalog);
  }

  static Config pickspin(String hocon) {
    return ConfigFactory.parseString(hocon).resolve();
  }

  @Test
  void staticIsTheDefaultAndServesTheCataloguesBackends() {
    try (ReplicaDriver d = driver(ConfigFactory.empty(), new Catalog(List.of(EXTERNAL_MODEL)))) {
      assertEquals("static", d.name());
      assertEquals(List.of(new ReplicaStatus("external", ReplicaPhase.READY, EXTERNAL)), d.replicas("external-large"));
    }
  }

  @Test
  void theRootConfigIsAcceptedAsWellAsThePickspinBlock() {
    Config root = pickspin("pickspin.scaling.driver = static");
    try (ReplicaDriver d = driver(root, new Catalog(List.of(EXTERNAL_MODEL)))) {
      assertEquals("static", d.name());
    }
  }

  @Test
  void badDriversAndUnservableModelsAreConfigurationErrors() {
    Catalog catalog = new Catalog(List.of(EXTERNAL_MODEL));
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class, () -> DriverSettings.fromConfig(pickspin("scaling.driver = docker")));
    assertTrue(unknown.getMessage().contains("process"), unknown.getMessage());

    Catalog bare = new Catalog(List.of(model("bare", List.of())));
    IllegalArgumentException nothing =
        assertThrows(IllegalArgumentException.class, () -> driver(pickspin("scaling.driver = process"), bare));
    assertTrue(nothing.getMessage().contains("bare"), nothing.getMessage());

    IllegalArgumentException badCommand =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                DriverSettings.fromConfig(
                    pickspin("scaling.driver = process\nmodels = [{ id = bare, process.command = [\"x\", \"{nope}\"] }]")));
    assertTrue(badCommand.getMessage().contains("nope"), badCommand.getMessage());
  }

  @Test
  void theProcessDriverRunsModelsWithACommandAndServesTheOthersStatically() {
    Catalog catalog = new Catalog(List.of(model("local", List.of()), EXTERNAL_MODEL));
    Config config =
        pickspin(
            "scaling.driver = process\n"
                + "process { command = [\"/bin/sh\", \"-c\", \"exec sleep 60\"], start-timeout = 3s, stop-grace = 1s }\n"
                + "models = [{ id = local, process { kind = llamacpp, ready-path = \"/v1/models\", env { A = 1 } } }]");
    try (ReplicaDriver d = driver(config, catalog)) {
      assertEquals("process", d.name());
      assertEquals(List.of(), d.replicas("local"), "nothing started before a scale");
      assertEquals(List.of(new ReplicaStatus("external", ReplicaPhase.READY, EXTERNAL)), d.replicas("external-large"));
      d.scale(catalog.get("local"), 1);
      ReplicaStatus r = d.replicas("local").get(0);
      assertEquals(ReplicaPhase.STARTING, r.phase());
      assertEquals("llamacpp", r.endpoint().kind());
    }
  }

  @Test
  void theKubernetesDriverScalesTheModelsWithAKubernetesBlockAsTheHelmChartRendersIt() throws Exception {
    client.apps().deployments().inNamespace("models").resource(
            new DeploymentBuilder()
                .withNewMetadata().withName("pickspin-small").withNamespace("models").endMetadata()
                .withNewSpec().withReplicas(0).endSpec()
                .build())
        .create();
    ModelSpec small = model("small", List.of(SERVICE));
    Catalog catalog = new Catalog(List.of(small, EXTERNAL_MODEL));
    // the block templates/configmap-catalog.yaml writes, with the namespace from templates/configmap-node.yaml
    Config config =
        pickspin(
            "scaling.driver = kubernetes\n"
                + "kubernetes.namespace = \"models\"\n"
                + "models = [\n"
                + "  { id = \"small\", tier = low\n"
                + "    backends = [{ id = \"service\", kind = \"vllm\", base-url = \"http://pickspin-small.models.svc.cluster.local:8000\" }]\n"
                + "    kubernetes {\n"
                + "      kind = deployment, name = \"pickspin-small\"\n"
                + "      namespace = \"models\", service-url = \"http://pickspin-small.models.svc.cluster.local:8000\"\n"
                + "    }\n"
                + "  },\n"
                + "  { id = \"external-large\", tier = high, backends = [{ id = \"external\", base-url = \"http://10.1.2.3:8000\" }] }\n"
                + "]");
    try (ReplicaDriver d = ReplicaDrivers.create(DriverSettings.fromConfig(config), catalog, client)) {
      assertEquals("kubernetes", d.name());
      d.scale(small, 2);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (d.replicas("small").size() != 2 && System.nanoTime() < deadline) Thread.sleep(20);
      List<ReplicaStatus> replicas = d.replicas("small");
      assertEquals(List.of(ReplicaPhase.STARTING, ReplicaPhase.STARTING), replicas.stream().map(ReplicaStatus::phase).toList());
      assertEquals(SERVICE.baseUrl(), replicas.get(0).endpoint().baseUrl());
      assertEquals(List.of(new ReplicaStatus("external", ReplicaPhase.READY, EXTERNAL)), d.replicas("external-large"));
      d.scale(EXTERNAL_MODEL, 3); // static: accepted, changes nothing
      assertEquals(1, d.replicas("external-large").size());
    }
    assertEquals(2, client.apps().deployments().inNamespace("models").withName("pickspin-small").get().getSpec().getReplicas());
  }

  @Test
  void theKubernetesBlockNeedsAKnownKind() {
    Catalog catalog = new Catalog(List.of(model("small", List.of(SERVICE))));
    Config config =
        pickspin("scaling.driver = kubernetes\nmodels = [{ id = small, kubernetes { kind = statefulset, name = x } }]");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DriverSettings.fromConfig(config));
    assertTrue(e.getMessage().contains("statefulset"), e.getMessage());
    assertInstanceOf(IllegalArgumentException.class, e);
  }
}
