package io.pickspin.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.pickspin.helm.Chart.ValuesSet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The control plane: StatefulSet, Services, seed nodes, ports, probes, configuration and the admin secret. */
class ControlPlaneTest {
  private static final String HEADLESS = Chart.RELEASE + "-headless";
  private static final String POD_DOMAIN = HEADLESS + "." + Chart.NAMESPACE + ".svc.cluster.local";

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void statefulSetRunsTheConfiguredPodsBehindAHeadlessService(ValuesSet set) {
    JsonNode values = set.helmValues();
    Rendered r = set.render();
    StatefulSet sts = r.controlPlane();

    assertEquals(values.get("replicaCount").asInt(), sts.getSpec().getReplicas());
    assertEquals(HEADLESS, sts.getSpec().getServiceName());
    Map<String, String> selector = sts.getSpec().getSelector().getMatchLabels();
    assertTrue(sts.getSpec().getTemplate().getMetadata().getLabels().entrySet().containsAll(selector.entrySet()));

    Service headless = r.get(Service.class, HEADLESS);
    assertEquals("None", headless.getSpec().getClusterIP());
    assertTrue(headless.getSpec().getPublishNotReadyAddresses(), "pods must resolve each other before they are ready");
    assertEquals(selector, headless.getSpec().getSelector());
    assertEquals(List.of(25520), headless.getSpec().getPorts().stream().map(ServicePort::getPort).toList());

    PodSpec pod = sts.getSpec().getTemplate().getSpec();
    assertEquals(30L, pod.getTerminationGracePeriodSeconds());
    assertEquals(r.get(ServiceAccount.class, Chart.RELEASE).getMetadata().getName(), pod.getServiceAccountName());
    assertTrue(pod.getSecurityContext().getRunAsNonRoot());
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void seedNodesAreTheFirstPodsStableDnsNames(ValuesSet set) {
    JsonNode values = set.helmValues();
    Rendered r = set.render();
    int seeds = Math.min(values.get("replicaCount").asInt(), values.at("/cluster/seedNodes").asInt());

    List<String> expected = new ArrayList<>();
    for (int i = 0; i < seeds; i++) expected.add("pekko://pickspin@" + Chart.RELEASE + "-" + i + "." + POD_DOMAIN + ":25520");
    assertEquals(expected, Arrays.asList(r.env().get("PICKSPIN_SEED_NODES").split(",")));

    // each pod advertises the very name the seed list uses for it
    EnvVar podName = r.envVar("POD_NAME");
    assertEquals("metadata.name", podName.getValueFrom().getFieldRef().getFieldPath());
    String remoteHost = r.env().get("PICKSPIN_REMOTE_HOST");
    for (int i = 0; i < seeds; i++) {
      String advertised = remoteHost.replace("$(POD_NAME)", Chart.RELEASE + "-" + i);
      assertEquals(expected.get(i), "pekko://pickspin@" + advertised + ":" + r.env().get("PICKSPIN_REMOTE_PORT"));
    }
  }

  @Test
  void defaultsSeedTheClusterFromThreePods() {
    assertEquals(
        "pekko://pickspin@pickspin-0.pickspin-headless.ai.svc.cluster.local:25520,"
            + "pekko://pickspin@pickspin-1.pickspin-headless.ai.svc.cluster.local:25520,"
            + "pekko://pickspin@pickspin-2.pickspin-headless.ai.svc.cluster.local:25520",
        ValuesSet.DEFAULTS.render().env().get("PICKSPIN_SEED_NODES"));
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void portsAndHealthProbes(ValuesSet set) {
    Rendered r = set.render();
    Container c = r.controlPlaneContainer();
    Map<String, Integer> ports = c.getPorts().stream().collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
    assertEquals(Map.of("http", 8080, "admin", 8081, "metrics", 9095, "remoting", 25520), ports);

    // liveness and start-up on the admin port, so that a gateway port saturated by clients does not restart the pod;
    // readiness on the gateway port
    for (Probe probe : List.of(c.getLivenessProbe(), c.getStartupProbe())) {
      assertEquals("/alive", probe.getHttpGet().getPath());
      assertEquals(8081, ports.get(probe.getHttpGet().getPort().getStrVal()));
    }
    assertEquals("/ready", c.getReadinessProbe().getHttpGet().getPath());
    assertEquals(8080, ports.get(c.getReadinessProbe().getHttpGet().getPort().getStrVal()));
    assertTrue(c.getLivenessProbe().getFailureThreshold() * c.getLivenessProbe().getPeriodSeconds()
        > c.getReadinessProbe().getFailureThreshold() * c.getReadinessProbe().getPeriodSeconds(),
        "a busy node should leave the load balancer long before it is restarted");

    Map<String, String> env = r.env();
    assertEquals("0.0.0.0", env.get("PICKSPIN_GATEWAY_HOST"));
    assertEquals("8080", env.get("PICKSPIN_GATEWAY_PORT"));

    Service api = r.get(Service.class, Chart.RELEASE);
    assertEquals(r.controlPlane().getSpec().getSelector().getMatchLabels(), api.getSpec().getSelector());
    Map<String, Integer> servicePorts = new java.util.HashMap<>();
    for (ServicePort p : api.getSpec().getPorts()) {
      servicePorts.put(p.getName(), p.getPort());
      assertEquals(ports.get(p.getTargetPort().getStrVal()), p.getPort(), p.getName() + " targets the container port");
    }
    assertEquals(Map.of("http", 8080, "admin", 8081, "metrics", 9095), servicePorts);
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void nodeLoadsTheMountedConfigurationAndCatalogue(ValuesSet set, @TempDir Path work) {
    JsonNode values = set.helmValues();
    Rendered r = set.render();
    assertEquals("/etc/pickspin/conf/pickspin.conf", NodeConfig.configFilePath(r));

    Config node = NodeConfig.load(r, work);
    assertEquals("0.0.0.0", node.getString("pekko.remote.artery.bind.hostname"));
    assertEquals(8081, node.getInt("pickspin.admin.port"));
    assertEquals(9095, node.getInt("pickspin.metrics.port"));
    assertEquals(9095, node.getInt("kamon.prometheus.embedded-server.port"));
    assertEquals("0.0.0.0", node.getString("kamon.prometheus.embedded-server.hostname"));
    assertEquals(7, node.getDuration("pekko.cluster.split-brain-resolver.stable-after").toSeconds());
    assertEquals("kubernetes", node.getString("pickspin.scaling.driver"));
    String adminSecret = r.envVar("PICKSPIN_ADMIN_TOKEN").getValueFrom().getSecretKeyRef().getName();
    assertEquals("secret:" + adminSecret + "/" + values.at("/admin/existingSecretKey").asText(), node.getString("pickspin.admin.token"));
    assertEquals(values.get("models").size(), node.getConfigList("pickspin.models").size());
  }

  @Test
  void extraConfigIsAppendedLast(@TempDir Path work) {
    Rendered r = Chart.render(null, Map.of("extraConfig", "pickspin.gateway.max-body-bytes = 2097152"));
    assertEquals(2097152, NodeConfig.load(r, work).getInt("pickspin.gateway.max-body-bytes"));
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void adminTokenComesFromASecret(ValuesSet set) {
    JsonNode admin = set.helmValues().get("admin");
    Rendered r = set.render();
    var ref = r.envVar("PICKSPIN_ADMIN_TOKEN").getValueFrom().getSecretKeyRef();
    assertEquals(admin.get("existingSecretKey").asText(), ref.getKey());

    String existing = admin.get("existingSecret").asText();
    if (existing.isEmpty()) {
      Secret secret = r.get(Secret.class, Chart.RELEASE + "-admin");
      assertEquals(secret.getMetadata().getName(), ref.getName());
      String token = new String(Base64.getDecoder().decode(secret.getData().get(ref.getKey())), StandardCharsets.UTF_8);
      assertEquals(40, token.length(), "a generated token is 40 random characters");
    } else {
      assertEquals(existing, ref.getName());
      assertTrue(r.all(Secret.class).isEmpty(), "the chart must not create a Secret when an existing one is named");
    }
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void journalMatchesTheValues(ValuesSet set) {
    String journal = set.helmValues().get("journal").asText();
    Rendered r = set.render();
    Map<String, String> env = r.env();
    assertEquals(journal, env.get("PICKSPIN_JOURNAL"));
    StatefulSet sts = r.controlPlane();
    if (journal.equals("h2")) {
      assertEquals("data", sts.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName());
      assertTrue(env.get("PICKSPIN_H2_FILE").startsWith(NodeConfig.mountPath(r, "data") + "/"));
      assertFalse(env.containsKey("PICKSPIN_CASSANDRA_CONTACT_POINTS"));
    } else {
      assertTrue(sts.getSpec().getVolumeClaimTemplates().isEmpty(), "the Cassandra journal needs no local volume");
      assertFalse(env.get("PICKSPIN_CASSANDRA_CONTACT_POINTS").isBlank());
      assertFalse(env.containsKey("PICKSPIN_H2_FILE"));
    }
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void podDisruptionBudgetOnlyForAMultiNodeCluster(ValuesSet set) {
    Rendered r = set.render();
    var budgets = r.all(PodDisruptionBudget.class);
    if (set.helmValues().get("replicaCount").asInt() > 1) {
      assertEquals(1, budgets.size());
      assertEquals(1, budgets.get(0).getSpec().getMaxUnavailable().getIntVal());
      assertEquals(r.controlPlane().getSpec().getSelector().getMatchLabels(), budgets.get(0).getSpec().getSelector().getMatchLabels());
    } else {
      assertTrue(budgets.isEmpty(), "a one-pod PDB would block every node drain");
    }
  }

  @Test
  void podsPreferDifferentNodesByDefaultAndCanRequireThem() {
    Rendered soft = ValuesSet.DEFAULTS.render();
    var preferred = soft.controlPlane().getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
        .getPreferredDuringSchedulingIgnoredDuringExecution();
    assertEquals(1, preferred.size());
    WeightedPodAffinityTerm term = preferred.get(0);
    assertEquals("kubernetes.io/hostname", term.getPodAffinityTerm().getTopologyKey());
    assertEquals(soft.controlPlane().getSpec().getSelector().getMatchLabels(),
        term.getPodAffinityTerm().getLabelSelector().getMatchLabels());

    var hard = ValuesSet.CLUSTER_CASSANDRA.render().controlPlane().getSpec().getTemplate().getSpec().getAffinity()
        .getPodAntiAffinity();
    assertEquals("kubernetes.io/hostname", hard.getRequiredDuringSchedulingIgnoredDuringExecution().get(0).getTopologyKey());
    assertTrue(hard.getPreferredDuringSchedulingIgnoredDuringExecution().isEmpty());

    assertNull(Chart.render(null, Map.of("podAntiAffinity", "none")).controlPlane().getSpec().getTemplate().getSpec().getAffinity());
  }

  @Test
  void schedulingAndResourceValuesReachThePod() {
    Rendered r = Chart.render(null, Map.of(
        "nodeSelector.pool", "control",
        "tolerations[0].key", "dedicated",
        "tolerations[0].operator", "Exists",
        "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key", "zone",
        "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator", "Exists",
        "resources.limits.memory", "2Gi"));
    PodSpec pod = r.controlPlane().getSpec().getTemplate().getSpec();
    assertEquals(Map.of("pool", "control"), pod.getNodeSelector());
    assertEquals("dedicated", pod.getTolerations().get(0).getKey());
    assertNotNull(pod.getAffinity().getNodeAffinity(), "an explicit affinity replaces the default anti-affinity");
    assertNull(pod.getAffinity().getPodAntiAffinity());
    assertEquals("2Gi", r.controlPlaneContainer().getResources().getLimits().get("memory").toString());
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void podsRunLockedDown(ValuesSet set) {
    PodSpec pod = set.render().controlPlane().getSpec().getTemplate().getSpec();
    assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
    Container c = pod.getContainers().get(0);
    assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
    assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation());
    // what the process writes goes to the /tmp volume
    Rendered r = set.render();
    assertEquals("/tmp", NodeConfig.mountPath(r, "tmp"));
    assertTrue(r.env().get("DJL_CACHE_DIR").startsWith("/tmp/"));
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void gatewayAuthIsByKeysAndTheDrainFitsTheGracePeriod(ValuesSet set, @TempDir Path work) {
    JsonNode values = set.helmValues();
    Rendered r = set.render();
    assertEquals("keys", r.env().get("PICKSPIN_GATEWAY_AUTH"));
    Config node = NodeConfig.load(r, work);
    long drain = node.getDuration("pickspin.node.drain-timeout").toSeconds();
    assertEquals(values.get("drainTimeoutSeconds").asLong(), drain);
    assertTrue(drain + 10 <= r.controlPlane().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds());
  }

  @Test
  void tlsSecretsAreMountedAndTheServersAndProbesUseHttps() {
    Rendered plain = ValuesSet.DEFAULTS.render();
    assertFalse(plain.env().containsKey("PICKSPIN_GATEWAY_TLS_CERT_FILE"));
    assertEquals("HTTP", plain.controlPlaneContainer().getReadinessProbe().getHttpGet().getScheme());

    Rendered r = Chart.render(null, Map.of("gateway.tls.secretName", "gateway-cert", "admin.tls.secretName", "admin-cert"));
    PodSpec pod = r.controlPlane().getSpec().getTemplate().getSpec();
    Map<String, String> secretByVolume = pod.getVolumes().stream()
        .filter(v -> v.getSecret() != null)
        .collect(Collectors.toMap(v -> v.getName(), v -> v.getSecret().getSecretName()));
    assertEquals("gateway-cert", secretByVolume.get("gateway-tls"));
    assertEquals("admin-cert", secretByVolume.get("admin-tls"));
    Map<String, String> env = r.env();
    assertEquals(NodeConfig.mountPath(r, "gateway-tls") + "/tls.crt", env.get("PICKSPIN_GATEWAY_TLS_CERT_FILE"));
    assertEquals(NodeConfig.mountPath(r, "gateway-tls") + "/tls.key", env.get("PICKSPIN_GATEWAY_TLS_KEY_FILE"));
    assertEquals(NodeConfig.mountPath(r, "admin-tls") + "/tls.crt", env.get("PICKSPIN_ADMIN_TLS_CERT_FILE"));
    assertEquals(NodeConfig.mountPath(r, "admin-tls") + "/tls.key", env.get("PICKSPIN_ADMIN_TLS_KEY_FILE"));
    Container c = r.controlPlaneContainer();
    assertEquals("HTTPS", c.getReadinessProbe().getHttpGet().getScheme());
    assertEquals("HTTPS", c.getLivenessProbe().getHttpGet().getScheme());
  }

  @Test
  void theNetworkPolicyOpensTheGatewayAndKeepsRemotingAmongThePods() {
    Rendered r = ValuesSet.DEFAULTS.render();
    var policy = r.get(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class, Chart.RELEASE);
    Map<String, String> selector = r.controlPlane().getSpec().getSelector().getMatchLabels();
    assertEquals(selector, policy.getSpec().getPodSelector().getMatchLabels());
    assertEquals(List.of("Ingress"), policy.getSpec().getPolicyTypes());
    var rules = policy.getSpec().getIngress();
    assertEquals(8080, rules.get(0).getPorts().get(0).getPort().getIntVal());
    assertTrue(rules.get(0).getFrom().isEmpty(), "clients reach the gateway from anywhere by default");
    assertEquals(List.of(8081, 9095), rules.get(1).getPorts().stream().map(p -> p.getPort().getIntVal()).toList());
    assertEquals(Map.of(), rules.get(1).getFrom().get(0).getPodSelector().getMatchLabels(), "this namespace's pods only");
    assertEquals(25520, rules.get(2).getPorts().get(0).getPort().getIntVal());
    assertEquals(selector, rules.get(2).getFrom().get(0).getPodSelector().getMatchLabels());

    assertTrue(Chart.render(null, Map.of("networkPolicy.enabled", false))
        .all(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class).isEmpty());
  }
}
