package io.pickspin.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.pickspin.helm.Chart.ValuesSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The journal's Cassandra: a StatefulSet in the release, or the contact points of an existing cluster. */
class CassandraTest {
  private static final String CASSANDRA = Chart.RELEASE + "-cassandra";

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void inChartCassandraOnlyWhenEnabledForTheCassandraJournal(ValuesSet set) {
    JsonNode values = set.helmValues();
    boolean inChart = values.at("/cassandra/enabled").asBoolean() && values.get("journal").asText().equals("cassandra");
    Rendered r = set.render();
    assertEquals(inChart, r.find(StatefulSet.class, CASSANDRA).isPresent());
    assertEquals(inChart, r.find(Service.class, CASSANDRA + "-headless").isPresent());
    assertEquals(1 + (inChart ? 1 : 0), r.all(StatefulSet.class).size());
  }

  @Test
  void inChartCassandraRingAndTheNodesContactPoints(@TempDir Path work) {
    JsonNode values = ValuesSet.CLUSTER_CASSANDRA.helmValues();
    Rendered r = ValuesSet.CLUSTER_CASSANDRA.render();
    StatefulSet sts = r.get(StatefulSet.class, CASSANDRA);
    assertEquals(3, sts.getSpec().getReplicas());
    Container c = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertTrue(c.getImage().startsWith("cassandra:5.0."), c.getImage());

    PersistentVolumeClaim pvc = sts.getSpec().getVolumeClaimTemplates().get(0);
    assertEquals("50Gi", pvc.getSpec().getResources().getRequests().get("storage").toString());
    assertEquals("fast-ssd", pvc.getSpec().getStorageClassName());
    assertEquals("/var/lib/cassandra", c.getVolumeMounts().stream()
        .filter(m -> m.getName().equals(pvc.getMetadata().getName())).findFirst().orElseThrow().getMountPath());

    Service headless = r.get(Service.class, sts.getSpec().getServiceName());
    assertEquals("None", headless.getSpec().getClusterIP());
    assertTrue(headless.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == 9042));
    assertEquals(sts.getSpec().getSelector().getMatchLabels(), headless.getSpec().getSelector());

    String domain = sts.getSpec().getServiceName() + "." + Chart.NAMESPACE + ".svc.cluster.local";
    List<String> pods = new ArrayList<>();
    for (int i = 0; i < 3; i++) pods.add(CASSANDRA + "-" + i + "." + domain);
    assertEquals(pods.stream().map(p -> p + ":9042").collect(Collectors.joining(",")), r.env().get("PICKSPIN_CASSANDRA_CONTACT_POINTS"));
    Map<String, String> cassandraEnv = c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    assertEquals(String.join(",", pods.subList(0, 2)), cassandraEnv.get("CASSANDRA_SEEDS"));

    Config node = NodeConfig.load(r, work);
    assertEquals(cassandraEnv.get("CASSANDRA_DC"), node.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"),
        "the driver's local datacenter must be the one Cassandra runs in");
    assertEquals(values.at("/cassandra/replicationFactor").asInt(), node.getInt("pekko.persistence.cassandra.journal.replication-factor"));
    assertEquals(3, node.getInt("pekko.persistence.cassandra.snapshot.replication-factor"));
  }

  @Test
  void externalCassandraWithCredentials(@TempDir Path work) {
    JsonNode values = ValuesSet.KEDA_MONITORING.helmValues();
    Rendered r = ValuesSet.KEDA_MONITORING.render();
    List<String> contactPoints = new ArrayList<>();
    values.at("/cassandra/contactPoints").forEach(p -> contactPoints.add(p.asText()));
    assertEquals(String.join(",", contactPoints), r.env().get("PICKSPIN_CASSANDRA_CONTACT_POINTS"));

    for (String var : List.of("PICKSPIN_CASSANDRA_USERNAME", "PICKSPIN_CASSANDRA_PASSWORD")) {
      assertEquals("cassandra-credentials", r.envVar(var).getValueFrom().getSecretKeyRef().getName());
    }
    Config node = NodeConfig.load(r, work);
    assertEquals("PlainTextAuthProvider", node.getString("datastax-java-driver.advanced.auth-provider.class"));
    assertEquals("secret:cassandra-credentials/username", node.getString("datastax-java-driver.advanced.auth-provider.username"));
    assertEquals("secret:cassandra-credentials/password", node.getString("datastax-java-driver.advanced.auth-provider.password"));
    assertEquals("dc-eu-1", node.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"));
  }

  @Test
  void h2JournalNeedsNoCassandraSettings(@TempDir Path work) {
    Rendered r = ValuesSet.MINIMAL.render();
    Config node = NodeConfig.load(r, work);
    assertFalse(node.hasPath("datastax-java-driver"));
    assertFalse(node.hasPath("pekko.persistence.cassandra"));
  }
}
