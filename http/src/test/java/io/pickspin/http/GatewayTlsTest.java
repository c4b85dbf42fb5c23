package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.model.Catalog;
import io.pickspin.pool.StaticLeaseProvider;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gateway over HTTPS with the README's example certificate, trusted as the CA; its probes over plain paths. */
class GatewayTlsTest {
  static final Path CERT = Path.of("../examples/tls/example-cert.pem");
  static final Path KEY = Path.of("../examples/tls/example-key.pem");
  static ActorTestKit kit;
  static Gateway gateway;

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create("gateway-tls-test");
    Catalog catalog = new Catalog(List.of(new io.pickspin.model.ModelSpec(
        "small", io.pickspin.model.Tier.LOW, "small", 0.5, 1, 2.0, new io.pickspin.model.LatencyProfile(5, 1, 8, 0), 0, 1,
        List.of(new io.pickspin.model.BackendEndpoint("sim-0", "sim", URI.create("http://127.0.0.1:9"))))));
    GatewaySettings settings =
        TestGatewaySettings.of(kit.system(), "tls { cert-file = \"" + CERT + "\", key-file = \"" + KEY + "\" }");
    gateway = Gateway.start(kit.system(), settings, catalog, new MediumTierPolicy(catalog), new StaticLeaseProvider(catalog))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (gateway != null) gateway.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    kit.shutdownTestKit();
  }

  static SSLContext trusting(Path ca) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(ca)) {
      trust.setCertificateEntry("example-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }

  @Test
  void aClientThatTrustsTheExampleCaReachesTheGatewayOverHttps() throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(trusting(CERT)).connectTimeout(Duration.ofSeconds(5)).build();
    for (String host : List.of("127.0.0.1", "localhost")) {
      HttpResponse<String> models = client.send(
          HttpRequest.newBuilder(URI.create("https://" + host + ":" + gateway.port() + "/v1/models")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, models.statusCode(), models.body());
      assertTrue(models.body().contains("\"auto\""), models.body());
    }
    HttpResponse<String> ready = client.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + gateway.port() + "/ready")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ready.statusCode(), ready.body());
  }

  /**
   * The README's command, as it stands there (with the test gateway's port), run with the real curl from the
   * repository's root: it must reach the gateway and get the model list.
   */
  @Test
  void theReadmesCurlCacertCommandReachesTheGateway() throws Exception {
    Assumptions.assumeTrue(onPath("curl"), "curl is not on PATH: the README's curl --cacert command was not run");
    Path root = Path.of("..");
    for (Path doc : List.of(root.resolve("README.md"), root.resolve("examples/tls/README.md"))) {
      Matcher command = README_CURL.matcher(Files.readString(doc));
      assertTrue(command.find(), doc + " shows the curl --cacert command of the example certificate");
      List<String> args = new ArrayList<>(List.of(command.group().replace(":8080/", ":" + gateway.port() + "/").split(" ")));
      // besides: no progress meter, errors shown, bounded in time, the status after the body
      args.addAll(1, List.of("-sS", "--max-time", "10", "-w", "\n%{http_code}"));
      ProcessBuilder curl = new ProcessBuilder(args).directory(root.toFile()).redirectErrorStream(true);
      curl.environment().keySet().removeIf(k -> k.toLowerCase(java.util.Locale.ROOT).endsWith("_proxy"));
      Process p = curl.start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(p.waitFor(20, TimeUnit.SECONDS), "curl finished");
      assertEquals(0, p.exitValue(), String.join(" ", args) + " -> " + out);
      int status = out.lastIndexOf('\n');
      assertEquals("200", out.substring(status + 1), out);
      JsonNode list = new ObjectMapper().readTree(out.substring(0, status));
      assertEquals("list", list.get("object").asText(), out);
      List<String> ids = new ArrayList<>();
      list.get("data").forEach(m -> ids.add(m.get("id").asText()));
      assertEquals(List.of("auto", "small"), ids, out);
    }
  }

  /** The README's command: the example CA, the default port. */
  private static final Pattern README_CURL =
      Pattern.compile("(?m)^curl --cacert examples/tls/example-cert\\.pem https://127\\.0\\.0\\.1:8080/v1/models$");

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) return false;
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
    }
    return false;
  }

  @Test
  void aClientThatDoesNotTrustItIsRefusedAndPlainHttpGetsNoAnswer() throws Exception {
    HttpClient untrusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    assertThrows(SSLHandshakeException.class, () -> untrusting.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + gateway.port() + "/alive")).build(), HttpResponse.BodyHandlers.ofString()));
    assertThrows(java.io.IOException.class, () -> untrusting.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/alive")).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void halfATlsConfigurationIsAnErrorNamingWhatIsMissing() {
    var config = com.typesafe.config.ConfigFactory.parseString("cert-file = \"a.pem\", key-file = \"\"");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerTls.fromConfig(config));
    assertTrue(e.getMessage().contains("key-file"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ServerTls(Path.of("missing.pem"), KEY).connectionContext());
  }
}
