package io.pickspin.http.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.http.Gateway;
import io.pickspin.http.GatewayObserver;
import io.pickspin.http.GatewaySettings;
import io.pickspin.http.RoutingDefaults;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import io.pickspin.testing.Eventually;
import io.pickspin.http.MediumTierPolicy;
import java.awt.image.BufferedImage;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page served by the gateway: its JSON over real HTTP, and the page itself rendered by headless Chromium
 * (Debian packages chromium and chromium-driver), checked by a screenshot and by the DOM after its script ran.
 */
class StatusPageTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static TestNode node;
  static Gateway gateway;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start("status-test", "");
    GatewaySettings settings = GatewaySettings.fromConfig(node.system.settings().config().getConfig("pickspin")).withPort(0);
    RoutingDefaults defaults = new RoutingDefaults(Profile.QUALITY, RouterKind.KEYWORD);
    gateway =
        Gateway.start(
                node.system,
                settings,
                node.catalog,
                new MediumTierPolicy(node.catalog),
                node.leases,
                GatewayObserver.NONE,
                defaults,
                StatusPage.pages(
                    node.system, node.catalog, node.board, node.leases.supervisor(), defaults, "",
                    StatusPage.Settings.fromConfig(node.system.settings().config().getConfig("pickspin"))))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + gateway.port();
  }

  @AfterAll
  static void stop() throws Exception {
    if (gateway != null) gateway.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (node != null) node.close();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode model(JsonNode status, String id) {
    return StreamSupport.stream(status.path("models").spliterator(), false)
        .filter(m -> m.path("id").asText().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no model " + id + " in " + status));
  }

  @Test
  void statusJsonShowsModelsReplicasQueuesAndRecentDecisionsWithoutBackendAddresses() throws Exception {
    HttpResponse<String> r = get("/status.json");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    JsonNode s = JSON.readTree(r.body());
    assertEquals(2, model(s, "small").path("pool").path("replicasByState").path("ready").asInt());
    assertEquals(1, model(s, "large").path("pool").path("replicasByState").path("ready").asInt());
    assertEquals(0, model(s, "small").path("pool").path("queued").asInt());
    assertEquals(3, s.path("totals").path("ready").asInt());
    // 2 x 1 GPU + 1 x 4 GPUs, at $2.5 an hour
    assertEquals(15.0, s.path("totals").path("gpuCostPerHour").asDouble(), 1e-9);
    assertEquals("quality", s.path("routing").path("profile").asText());
    assertEquals(s.path("node").asText(), s.path("singletonHost").asText());
    assertFalse(r.body().contains("127.0.0.1:9/"), "backend addresses stay off the unauthenticated page");

    // the idle static replicas are scaled down after the idle timeout (2 s): the decision shows up
    Eventually.await("a decision on the status page", Duration.ofSeconds(20), () -> {
      try {
        return JSON.readTree(get("/status.json").body()).path("decisions").size() > 0;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    JsonNode d = JSON.readTree(get("/status.json").body()).path("decisions").get(0);
    assertEquals("down", d.path("direction").asText());
    assertFalse(d.path("reason").asText().isEmpty());
  }

  @Test
  void thePageIsSelfContained() throws Exception {
    HttpResponse<String> r = get("/status");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/html"));
    assertTrue(r.body().contains("<canvas"));
    assertFalse(r.body().contains("<script src"), "no external scripts");
    assertFalse(r.body().matches("(?s).*(href|src)=\"https?://.*"), "nothing loaded from elsewhere");
    assertEquals(405, CLIENT.send(
        HttpRequest.newBuilder(URI.create(base + "/status")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
  }

  @Test
  void chromiumRendersTheModelsTheReplicaCountsAndTheChart(@TempDir Path tmp) throws Exception {
    Assumptions.assumeTrue(
        chromiumAvailable(),
        "headless Chromium is not installed and apt-get could not install it: "
            + "apt-get install -y chromium chromium-driver (then this test runs)");
    String url = base + "/status";

    String dom = runChromium(tmp.resolve("dom-profile"), List.of("--dump-dom", url));
    assertTrue(dom.contains("data-loaded=\"true\""), "the page script ran and rendered status.json:\n" + dom);
    assertEquals("2", cell(dom, "small", "n ready"));
    assertEquals("1", cell(dom, "large", "n ready"));
    assertEquals("0", cell(dom, "small", "n queued"));
    assertTrue(dom.contains(">quality<"), "routing defaults shown");
    for (String replica : List.of("small-0", "small-1", "large-0")) assertTrue(dom.contains(replica), replica);

    Path png = tmp.resolve("status.png");
    runChromium(tmp.resolve("png-profile"), List.of("--screenshot=" + png, url));
    assertTrue(Files.size(png) > 0, "screenshot written");
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(1200, image.getWidth());
    assertEquals(900, image.getHeight());
    assertTrue(luminanceStdDev(image) > 20, "the screenshot is not blank: stddev " + luminanceStdDev(image));
    // the first model's colour (#3b6fd8): its chart lines, legend and table marker
    int series = countColour(image, 0x3b, 0x6f, 0xd8, 24);
    assertTrue(series > 150, "pixels in the first series colour: " + series);
  }

  /** The text of the cell with {@code cssClass} in the model's table row. */
  static String cell(String dom, String model, String cssClass) {
    Matcher row = Pattern.compile("<tr data-model=\"" + Pattern.quote(model) + "\">(.*?)</tr>", Pattern.DOTALL).matcher(dom);
    assertTrue(row.find(), "no row for " + model);
    Matcher c = Pattern.compile("<td class=\"" + Pattern.quote(cssClass) + "\">([^<]*)</td>").matcher(row.group(1));
    assertTrue(c.find(), "no cell " + cssClass + " for " + model + " in " + row.group(1));
    return c.group(1);
  }

  static double luminanceStdDev(BufferedImage image) {
    double sum = 0, sq = 0;
    long n = 0;
    for (int y = 0; y < image.getHeight(); y += 2) {
      for (int x = 0; x < image.getWidth(); x += 2) {
        int rgb = image.getRGB(x, y);
        double l = 0.2126 * ((rgb >> 16) & 0xff) + 0.7152 * ((rgb >> 8) & 0xff) + 0.0722 * (rgb & 0xff);
        sum += l;
        sq += l * l;
        n++;
      }
    }
    double mean = sum / n;
    return Math.sqrt(Math.max(0, sq / n - mean * mean));
  }

  static int countColour(BufferedImage image, int r, int g, int b, int tolerance) {
    int count = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y);
        if (Math.abs(((rgb >> 16) & 0xff) - r) <= tolerance
            && Math.abs(((rgb >> 8) & 0xff) - g) <= tolerance
            && Math.abs((rgb & 0xff) - b) <= tolerance) {
          count++;
        }
      }
    }
    return count;
  }

  /** Runs headless Chromium on 127.0.0.1 only and returns its standard output. */
  static String runChromium(Path profile, List<String> args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                CHROMIUM.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--user-data-dir=" + profile,
                "--window-size=1200,900",
                // lets the page's fetches and timers run (about ten polls) before the DOM or screenshot is taken
                "--virtual-time-budget=20000"));
    cmd.addAll(args);
    File err = Files.createTempFile(profile.getParent(), "chromium", ".log").toFile();
    Process p = new ProcessBuilder(cmd).redirectError(err).start();
    byte[] out;
    try {
      out = p.getInputStream().readAllBytes();
      if (!p.waitFor(90, TimeUnit.SECONDS)) throw new AssertionError("chromium did not finish within 90 s");
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    assertEquals(0, p.exitValue(), () -> "chromium failed: " + readQuietly(err));
    return new String(out, StandardCharsets.UTF_8);
  }

  private static String readQuietly(File f) {
    try {
      return Files.readString(f.toPath());
    } catch (Exception e) {
      return e.toString();
    }
  }

  /** True when Chromium is installed, installing it with apt-get first if it is missing and apt-get can run. */
  static synchronized boolean chromiumAvailable() throws Exception {
    if (Files.isExecutable(CHROMIUM)) return true;
    if (!Files.isExecutable(Path.of("/usr/bin/apt-get")) || !"root".equals(System.getProperty("user.name"))) return false;
    for (List<String> step :
        List.of(
            List.of("apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"),
            List.of("apt-get", "update", "-qq"),
            List.of("apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"))) {
      if (Files.isExecutable(CHROMIUM)) break;
      ProcessBuilder b = new ProcessBuilder(step).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
      b.environment().put("DEBIAN_FRONTEND", "noninteractive");
      Process p = b.start();
      if (!p.waitFor(15, TimeUnit.MINUTES)) p.destroyForcibly();
    }
    return Files.isExecutable(CHROMIUM);
  }
}
