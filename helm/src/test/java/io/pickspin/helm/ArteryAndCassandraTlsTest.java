package io.pickspin.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.marcnuri.helm.LintResult;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.pickspin.helm.Chart.ValuesSet;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * cluster.tls (Pekko Artery over TLS) and cassandra.tls (the DataStax driver's SSL engine factory): the Secret is
 * mounted read-only, the node configuration points at its files and takes the passwords from the environment, and the
 * environment takes them from the Secret. Nothing here runs TLS: the settings' names are checked against Pekko's
 * reference.conf and the driver's options, their effect is Pekko's and the driver's.
 */
class ArteryAndCassandraTlsTest {
  private static final String SSL_ENGINE = "pekko.remote.artery.ssl.config-ssl-engine";
  private static final String DRIVER_SSL = "datastax-java-driver.advanced.ssl-engine-factory";
  private static final Pattern ENV_SUBSTITUTION = Pattern.compile("^\\$\\{(PICKSPIN_[A-Z_]+)\\}$");

  /** An external Cassandra (keda-monitoring) with both TLS Secrets at their default keys. */
  private static Rendered withBoth(Map<String, Object> more) {
    Map<String, Object> set = new HashMap<>(Map.of("cluster.tls.secretName", "cluster-tls", "cassandra.tls.secretName", "cassandra-tls"));
    set.putAll(more);
    return Chart.render(ValuesSet.KEDA_MONITORING.file(), set);
  }

  @Test
  void clusterTlsMountsTheSecretAndRunsArteryOverTls(@TempDir Path work) {
    Rendered r = withBoth(Map.of());
    String dir = assertSecretMountedReadOnly(r, "cluster-tls", "cluster-tls");

    Config node = NodeConfig.load(r, work);
    assertEquals("tls-tcp", node.getString("pekko.remote.artery.transport"));
    assertEquals("org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider", node.getString("pekko.remote.artery.ssl.ssl-engine-provider"));
    Config ssl = node.getConfig(SSL_ENGINE);
    assertEquals(dir + "/keystore.p12", ssl.getString("key-store"));
    assertEquals(dir + "/truststore.p12", ssl.getString("trust-store"));
    assertEquals("secret:cluster-tls/password", ssl.getString("key-store-password"));
    assertEquals("secret:cluster-tls/password", ssl.getString("key-password"));
    assertEquals("secret:cluster-tls/password", ssl.getString("trust-store-password"));
    assertEquals("TLSv1.3", ssl.getString("protocol"));
    assertEquals(List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"), ssl.getStringList("enabled-algorithms"));
    assertTrue(ssl.getBoolean("require-mutual-authentication"));
    assertFalse(ssl.getBoolean("hostname-verification"));

    String conf = nodeConf(r);
    for (String key : List.of("key-store-password", "key-password", "trust-store-password")) {
      assertTrue(Pattern.compile("(?m)^\\s*" + key + " = \\$\\{PICKSPIN_CLUSTER_TLS_[A-Z_]+\\}$").matcher(conf).find(),
          () -> key + " is not a required substitution of an environment variable:\n" + conf);
    }
  }

  @Test
  void clusterTlsFollowsItsValues(@TempDir Path work) {
    Rendered r = Chart.renderYaml(work, """
        cluster:
          tls:
            secretName: artery-stores
            keyStoreKey: node.jks
            trustStoreKey: ca.jks
            keyStorePasswordKey: node-pass
            trustStorePasswordKey: ca-pass
            protocol: TLSv1.2
            enabledAlgorithms: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]
            hostnameVerification: true
        """);
    String dir = assertSecretMountedReadOnly(r, "cluster-tls", "artery-stores");
    Config ssl = NodeConfig.load(r, work).getConfig(SSL_ENGINE);
    assertEquals(dir + "/node.jks", ssl.getString("key-store"));
    assertEquals(dir + "/ca.jks", ssl.getString("trust-store"));
    assertEquals("secret:artery-stores/node-pass", ssl.getString("key-store-password"));
    assertEquals("secret:artery-stores/node-pass", ssl.getString("key-password"));
    assertEquals("secret:artery-stores/ca-pass", ssl.getString("trust-store-password"));
    assertEquals("TLSv1.2", ssl.getString("protocol"));
    assertEquals(List.of("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"), ssl.getStringList("enabled-algorithms"));
    assertTrue(ssl.getBoolean("hostname-verification"));
    // the chart's defaults use the in-chart Cassandra: cluster.tls alone leaves the driver alone
    assertFalse(NodeConfig.load(r, work).hasPath(DRIVER_SSL));
    assertTrue(mount(r, "cassandra-tls").isEmpty());
  }

  @Test
  void cassandraTlsMountsTheTrustStoreAndConfiguresTheDriver(@TempDir Path work) {
    Rendered r = withBoth(Map.of());
    String dir = assertSecretMountedReadOnly(r, "cassandra-tls", "cassandra-tls");

    Config ssl = NodeConfig.load(r, work).getConfig(DRIVER_SSL);
    assertEquals("DefaultSslEngineFactory", ssl.getString("class"));
    assertEquals(dir + "/truststore.p12", ssl.getString("truststore-path"));
    assertEquals("secret:cassandra-tls/password", ssl.getString("truststore-password"));
    assertTrue(ssl.getBoolean("hostname-validation"));
    assertFalse(ssl.hasPath("keystore-path"), "no client certificate unless cassandra.tls.keyStoreKey is set");
    assertFalse(r.env().containsKey("PICKSPIN_CASSANDRA_TLS_KEYSTORE_PASSWORD"));
    // the plain-text credentials stay as they were
    assertEquals("secret:cassandra-credentials/password", NodeConfig.load(r, work).getString("datastax-java-driver.advanced.auth-provider.password"));
    assertTrue(Pattern.compile("(?m)^\\s*truststore-password = \\$\\{PICKSPIN_CASSANDRA_TLS_TRUSTSTORE_PASSWORD\\}$").matcher(nodeConf(r)).find(),
        () -> nodeConf(r));
  }

  @Test
  void cassandraTlsWithAClientCertificate(@TempDir Path work) {
    Rendered r = withBoth(Map.of(
        "cassandra.tls.keyStoreKey", "client.p12",
        "cassandra.tls.keyStorePasswordKey", "client-password",
        "cassandra.tls.trustStoreKey", "ca.p12",
        "cassandra.tls.hostnameValidation", false));
    String dir = NodeConfig.mountPath(r, "cassandra-tls");
    Config ssl = NodeConfig.load(r, work).getConfig(DRIVER_SSL);
    assertEquals(dir + "/ca.p12", ssl.getString("truststore-path"));
    assertEquals(dir + "/client.p12", ssl.getString("keystore-path"));
    assertEquals("secret:cassandra-tls/client-password", ssl.getString("keystore-password"));
    assertEquals("secret:cassandra-tls/password", ssl.getString("truststore-password"));
    assertFalse(ssl.getBoolean("hostname-validation"));
  }

  /** Every setting the chart writes is one Pekko or the driver reads: a misspelt key would be silently ignored. */
  @Test
  void theSettingsAreOnesThatPekkoAndTheDriverKnow(@TempDir Path work) {
    Config node = NodeConfig.load(withBoth(Map.of("cassandra.tls.keyStoreKey", "client.p12")), work);
    Config pekko = pekkoRemoteReference();
    assertEquals(pekko.getString("pekko.remote.artery.ssl.ssl-engine-provider"), node.getString("pekko.remote.artery.ssl.ssl-engine-provider"));
    Set<String> written = node.getConfig(SSL_ENGINE).root().keySet();
    assertEquals(9, written.size(), written::toString);
    for (String key : written) {
      assertTrue(pekko.hasPath(SSL_ENGINE + "." + key), () -> key + " is not a setting of " + SSL_ENGINE);
      assertEquals(pekko.getValue(SSL_ENGINE + "." + key).valueType(), node.getValue(SSL_ENGINE + "." + key).valueType(), key);
    }

    Set<String> driverOptions = Arrays.stream(DefaultDriverOption.values()).map(DefaultDriverOption::getPath).collect(Collectors.toSet());
    Set<String> driverWritten = node.getConfig(DRIVER_SSL).root().keySet();
    assertEquals(Set.of("class", "truststore-path", "truststore-password", "keystore-path", "keystore-password", "hostname-validation"), driverWritten);
    for (String key : driverWritten) {
      assertTrue(driverOptions.contains("advanced.ssl-engine-factory." + key), () -> key + " is not an option of the driver");
    }
    String factory = "com.datastax.oss.driver.internal.core.ssl." + node.getString(DRIVER_SSL + ".class");
    assertNotNull(ArteryAndCassandraTlsTest.class.getClassLoader().getResource(factory.replace('.', '/') + ".class"), factory);
  }

  /** The passwords are in the Secret only: each password setting is an environment variable from a secretKeyRef. */
  @Test
  void passwordsComeFromTheSecretsAndAreInNoConfigMap() {
    Rendered r = withBoth(Map.of("cassandra.tls.keyStoreKey", "client.p12", "cassandra.tls.keyStorePasswordKey", "client-password",
        "cluster.tls.trustStorePasswordKey", "trust-password"));
    Map<String, EnvVar> env = r.controlPlaneContainer().getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    Map<String, String> expected = Map.of(
        "PICKSPIN_CLUSTER_TLS_KEY_STORE_PASSWORD", "cluster-tls/password",
        "PICKSPIN_CLUSTER_TLS_TRUST_STORE_PASSWORD", "cluster-tls/trust-password",
        "PICKSPIN_CASSANDRA_TLS_TRUSTSTORE_PASSWORD", "cassandra-tls/password",
        "PICKSPIN_CASSANDRA_TLS_KEYSTORE_PASSWORD", "cassandra-tls/client-password");
    expected.forEach((name, ref) -> {
      EnvVar e = env.get(name);
      assertNotNull(e, name);
      assertEquals(null, e.getValue(), name + " has a literal value");
      SecretKeySelector key = e.getValueFrom().getSecretKeyRef();
      assertEquals(ref, key.getName() + "/" + key.getKey(), name);
    });

    int passwords = 0;
    Pattern assignment = Pattern.compile("(?mi)^\\s*[-a-z.]*password\\s*[=:]\\s*(.*?)\\s*$");
    for (ConfigMap cm : r.all(ConfigMap.class)) {
      for (Map.Entry<String, String> entry : Optional.ofNullable(cm.getData()).orElse(Map.of()).entrySet()) {
        Matcher m = assignment.matcher(entry.getValue());
        while (m.find()) {
          passwords++;
          String where = cm.getMetadata().getName() + "/" + entry.getKey() + ": " + m.group();
          Matcher variable = ENV_SUBSTITUTION.matcher(m.group(1));
          assertTrue(variable.matches(), () -> "a password that is not an environment variable in " + where);
          EnvVar e = env.get(variable.group(1));
          assertTrue(e != null && e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null,
              () -> variable.group(1) + " does not come from a Secret (" + where + ")");
        }
      }
    }
    // key-store, key, trust-store (Artery); truststore, keystore (driver); the Cassandra login
    assertEquals(6, passwords);
    // the chart renders no Secret of its own for the stores: they are the user's
    assertTrue(r.find(io.fabric8.kubernetes.api.model.Secret.class, "cluster-tls").isEmpty());
    assertTrue(r.find(io.fabric8.kubernetes.api.model.Secret.class, "cassandra-tls").isEmpty());
  }

  /** Without the Secrets nothing of this is rendered, and the other TLS values change nothing on their own. */
  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void withoutTheSecretsNothingChanges(ValuesSet set, @TempDir Path work) {
    Rendered r = set.render();
    assertTrue(mount(r, "cluster-tls").isEmpty());
    assertTrue(mount(r, "cassandra-tls").isEmpty());
    assertTrue(r.controlPlane().getSpec().getTemplate().getSpec().getVolumes().stream()
        .noneMatch(v -> v.getName().equals("cluster-tls") || v.getName().equals("cassandra-tls")));
    assertTrue(r.env().keySet().stream().noneMatch(n -> n.startsWith("PICKSPIN_CLUSTER_TLS") || n.startsWith("PICKSPIN_CASSANDRA_TLS")));
    Config node = NodeConfig.load(r, work);
    assertFalse(node.hasPath("pekko.remote.artery.transport"), "Artery keeps the image's transport (tcp)");
    assertFalse(node.hasPath("pekko.remote.artery.ssl"));
    assertFalse(node.hasPath(DRIVER_SSL));

    Map<String, Object> fixed = Map.of("admin.token", "fixed"); // else the admin Secret differs per render
    Map<String, Object> tlsValuesWithoutSecrets = new HashMap<>(fixed);
    tlsValuesWithoutSecrets.putAll(Map.of("cluster.tls.keyStoreKey", "other.p12", "cluster.tls.protocol", "TLSv1.2",
        "cluster.tls.hostnameVerification", true, "cassandra.tls.keyStoreKey", "client.p12", "cassandra.tls.hostnameValidation", false));
    assertEquals(Chart.render(set.file(), fixed).yaml, Chart.render(set.file(), tlsValuesWithoutSecrets).yaml);
  }

  @Test
  void theJournalOnH2IgnoresCassandraTls(@TempDir Path work) {
    Rendered r = Chart.render(ValuesSet.MINIMAL.file(), Map.of("cassandra.tls.secretName", "cassandra-tls"));
    assertEquals("h2", r.env().get("PICKSPIN_JOURNAL"));
    assertTrue(mount(r, "cassandra-tls").isEmpty());
    assertFalse(r.env().containsKey("PICKSPIN_CASSANDRA_TLS_TRUSTSTORE_PASSWORD"));
    assertFalse(NodeConfig.load(r, work).hasPath(DRIVER_SSL));
  }

  @Test
  void strictLintPassesWithBothSecrets(@TempDir Path work) throws IOException {
    Path values = Files.writeString(work.resolve("tls-values.yaml"), """
        cassandra:
          enabled: false
          contactPoints: [cassandra.db.svc.cluster.local:9042]
          tls:
            secretName: cassandra-tls
            keyStoreKey: client.p12
        cluster:
          tls:
            secretName: cluster-tls
        """);
    LintResult result = Chart.lint(values, work);
    assertFalse(result.isFailed(), () -> result.getMessages().toString());
    assertTrue(result.getMessages().stream().noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]")), () -> result.getMessages().toString());
  }

  @Test
  void theSchemaRejectsAnUnknownProtocolAndAnEmptyKey() {
    IllegalStateException protocol = assertThrows(IllegalStateException.class,
        () -> Chart.render(null, Map.of("cluster.tls.secretName", "s", "cluster.tls.protocol", "SSLv3")));
    assertTrue(protocol.getMessage().contains("at '/cluster/tls/protocol'"), protocol.getMessage());
    IllegalStateException key = assertThrows(IllegalStateException.class,
        () -> Chart.render(null, Map.of("cluster.tls.secretName", "s", "cluster.tls.trustStoreKey", "")));
    assertTrue(key.getMessage().contains("at '/cluster/tls/trustStoreKey'"), key.getMessage());
  }

  /** Asserts the Secret is a volume mounted read-only in the control-plane container; returns the mount path. */
  private static String assertSecretMountedReadOnly(Rendered r, String volume, String secret) {
    Volume v = r.controlPlane().getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(x -> x.getName().equals(volume)).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + volume));
    assertNotNull(v.getSecret(), volume + " is not a Secret volume");
    assertEquals(secret, v.getSecret().getSecretName());
    VolumeMount m = mount(r, volume).orElseThrow(() -> new AssertionError("volume " + volume + " is not mounted"));
    assertEquals(Boolean.TRUE, m.getReadOnly(), volume + " is mounted writable");
    return m.getMountPath();
  }

  private static Optional<VolumeMount> mount(Rendered r, String volume) {
    return r.controlPlaneContainer().getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst();
  }

  private static String nodeConf(Rendered r) {
    return NodeConfig.mountedFile(r, NodeConfig.configFilePath(r));
  }

  /** reference.conf of the pekko-remote jar (other jars on the test class path have their own). */
  private static Config pekkoRemoteReference() {
    try {
      for (URL url : Collections.list(ArteryAndCassandraTlsTest.class.getClassLoader().getResources("reference.conf"))) {
        if (!url.toString().contains("pekko-remote")) continue;
        try (Reader in = new InputStreamReader(url.openStream(), StandardCharsets.UTF_8)) {
          return ConfigFactory.parseReader(in).resolve(ConfigResolveOptions.defaults().setAllowUnresolved(true));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new AssertionError("pekko-remote's reference.conf is not on the test class path");
  }
}
