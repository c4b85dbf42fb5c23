package io.pickspin.http.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.actors.AdminAudit;
import io.pickspin.http.RoutingDefaults;
import io.pickspin.http.status.TestNode;
import io.pickspin.pool.PoolCore;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import io.pickspin.testing.Eventually;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin API over real HTTP on 127.0.0.1 against a real one-node cluster with an in-memory journal. */
class AdminApiTest {
  static final String TOKEN = "test-admin-token-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static TestNode node;
  static RoutingDefaults routingDefaults;
  static AdminApi api;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start("admin-test", "");
    routingDefaults = new RoutingDefaults(Profile.BALANCED, RouterKind.HYBRID);
    api = start(settings().withToken(TOKEN, false), routingDefaults);
    base = "http://127.0.0.1:" + api.port();
  }

  @AfterAll
  static void stop() throws Exception {
    if (api != null) api.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (node != null) node.close();
  }

  static AdminSettings settings() {
    return AdminSettings.fromConfig(node.system.settings().config().getConfig("pickspin")).withPort(0);
  }

  static AdminApi start(AdminSettings settings, RoutingDefaults defaults) throws Exception {
    ActorRef<RoutingDefaultsSync.Command> sync =
        node.system.systemActorOf(
            RoutingDefaultsSync.create(defaults, node.audit, 100, Duration.ofSeconds(3)),
            "routing-sync-" + System.nanoTime(),
            Props.empty());
    AdminApi.Deps deps =
        new AdminApi.Deps(
            node.catalog, node.board, node.leases::pool, node.leases.supervisor(), node.audit, sync, defaults, node.scaling, "");
    return AdminApi.start(node.system, settings, deps).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aRequestHeadSentAByteASecondIsCutAtTheHeaderTimeout() throws Exception {
    AdminSettings s = settings().withToken(TOKEN, false);
    AdminApi slowHeads = start(new AdminSettings(s.enabled(), s.host(), 0, s.token(), s.devMode(), s.askTimeout(),
        s.maxBodyBytes(), s.auditKeep(), s.tls(), Duration.ofSeconds(2)), routingDefaults);
    byte[] head = ("GET /admin/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n")
        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    try (java.net.Socket slow = new java.net.Socket("127.0.0.1", slowHeads.port())) {
      slow.setSoTimeout(10_000);
      long start = System.nanoTime();
      int read = -1;
      try {
        for (byte b : head) {
          slow.getOutputStream().write(b);
          slow.getOutputStream().flush();
          Thread.sleep(1_000);
        }
        read = slow.getInputStream().read();
      } catch (java.net.SocketException closed) {
        // closed while the head was still coming: what the timeout does
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(-1, read, "closed without an answer");
      assertTrue(ms >= 1_900 && ms < 6_000, "closed after " + ms + " ms");
    } finally {
      slowHeads.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  // ---- HTTP helpers

  record Answer(int status, JsonNode body, HttpResponse<String> raw) {}

  static Answer send(String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(15))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) b.headers(headers);
    HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = r.body().isEmpty() ? null : JSON.readTree(r.body());
    return new Answer(r.statusCode(), json, r);
  }

  static Answer admin(String method, String path, String body) throws Exception {
    return body == null
        ? send(method, path, null, "Authorization", "Bearer " + TOKEN)
        : send(method, path, body, "Authorization", "Bearer " + TOKEN, "Content-Type", "application/json", "x-pickspin-operator", "alice");
  }

  static void assertError(Answer a, int status, String code) {
    assertEquals(status, a.status(), () -> a.raw().body());
    assertEquals(code, a.body().path("error").path("code").asText(), () -> a.raw().body());
    assertFalse(a.body().path("error").path("message").asText().isBlank());
  }

  static JsonNode model(JsonNode models, String id) {
    return StreamSupport.stream(models.path("models").spliterator(), false)
        .filter(m -> m.path("id").asText().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no model " + id + " in " + models));
  }

  // ---- authentication

  @Test
  void everyEndpointNeedsTheBearerToken() throws Exception {
    Answer none = send("GET", "/admin/models", null);
    assertError(none, 401, "missing_token");
    assertTrue(none.raw().headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
    assertError(send("GET", "/admin/cluster", null, "Authorization", "Bearer wrong-token"), 401, "invalid_token");
    assertError(send("PUT", "/admin/models/small/limits", "{\"max\":1}", "Authorization", "Basic " + TOKEN, "Content-Type", "application/json"), 401, "missing_token");
    // a refused change changes nothing
    assertEquals(4, model(admin("GET", "/admin/models", null).body(), "large").path("scaling").path("limits").path("max").asInt());
    assertEquals(200, admin("GET", "/admin", null).status());
  }

  @Test
  void withoutATokenTheAdminPortRefusesToStartUnlessInDevMode() throws Exception {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> start(settings().withToken("", false), routingDefaults));
    assertTrue(e.getMessage().contains("PICKSPIN_ADMIN_TOKEN"), e.getMessage());
    // dev mode never serves beyond this machine
    IllegalStateException open =
        assertThrows(IllegalStateException.class, () -> start(settings().withToken("", true).withHost("0.0.0.0"), routingDefaults));
    assertTrue(open.getMessage().contains("loopback"), open.getMessage());
    assertTrue(AdminApi.loopback("localhost") && AdminApi.loopback("::1") && !AdminApi.loopback("0.0.0.0"));

    RoutingDefaults devDefaults = new RoutingDefaults(Profile.COST, RouterKind.RL);
    AdminApi dev = start(settings().withToken("", true), devDefaults);
    try {
      HttpResponse<String> r =
          CLIENT.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dev.port() + "/admin/routing")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals(devDefaults.get().profile().wireName(), JSON.readTree(r.body()).path("profile").asText());
    } finally {
      dev.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  // ---- reads

  @Test
  void clusterShowsTheMembersAndWhereTheSingletonsRun() throws Exception {
    Answer a = admin("GET", "/admin/cluster", null);
    assertEquals(200, a.status());
    String self = Cluster.get(node.system).selfMember().address().toString();
    assertEquals(self, a.body().path("self").asText());
    assertEquals(1, a.body().path("members").size());
    assertEquals("Up", a.body().path("members").get(0).path("status").asText());
    assertEquals(self, a.body().path("singletons").path("scaling-supervisor").path("host").asText());
  }

  @Test
  void modelsShowPoolsReplicasAndLimits() throws Exception {
    Answer a = admin("GET", "/admin/models", null);
    assertEquals(200, a.status(), a.raw().body());
    JsonNode large = model(a.body(), "large");
    assertEquals("high", large.path("tier").asText());
    assertEquals(1, large.path("pool").path("replicas").size());
    assertEquals("large-0", large.path("pool").path("replicas").get(0).path("id").asText());
    assertEquals("http://127.0.0.1:9/large-0", large.path("pool").path("replicas").get(0).path("url").asText());
    assertEquals(4, large.path("scaling").path("limits").path("max").asInt());
    JsonNode one = admin("GET", "/admin/models/large", null).body();
    assertEquals("large", one.path("id").asText());
    assertError(admin("GET", "/admin/models/nope", null), 404, "model_not_found");
  }

  // ---- changes

  @Test
  void limitsAreValidatedSetThroughTheSupervisorAndAudited() throws Exception {
    assertError(admin("PUT", "/admin/models/nope/limits", "{\"max\":2}"), 404, "model_not_found");
    assertError(admin("PUT", "/admin/models/small/limits", "{\"min\":3,\"max\":2}"), 400, "invalid_value");
    assertError(admin("PUT", "/admin/models/small/limits", "{\"max\":-1}"), 400, "invalid_value");
    assertError(admin("PUT", "/admin/models/small/limits", "{\"max\":2.5}"), 400, "invalid_value");
    assertError(admin("PUT", "/admin/models/small/limits", "{\"max\":\"3\"}"), 400, "invalid_value");
    assertError(admin("PUT", "/admin/models/small/limits", "{\"maxReplicas\":3}"), 400, "invalid_value");
    assertError(admin("PUT", "/admin/models/small/limits", "{}"), 400, "invalid_value");
    assertError(admin("PUT", "/admin/models/small/limits", "[1,2]"), 400, "invalid_value");
    assertError(admin("PUT", "/admin/models/small/limits", "{\"max\":"), 400, "invalid_value");
    assertError(
        send("PUT", "/admin/models/small/limits", "max=3", "Authorization", "Bearer " + TOKEN, "Content-Type", "text/plain"),
        415,
        "unsupported_media_type");
    long auditedBefore = audit(1000).path("total").asLong();

    Answer ok = admin("PUT", "/admin/models/small/limits", "{\"max\":3,\"warm\":1}");
    assertEquals(200, ok.status(), ok.raw().body());
    assertEquals(3, ok.body().path("limits").path("max").asInt());
    assertEquals(1, ok.body().path("limits").path("warm").asInt());
    assertEquals(0, ok.body().path("limits").path("min").asInt(), "unnamed bounds keep their value");
    assertEquals(4, ok.body().path("previous").path("max").asInt());

    JsonNode limits = model(admin("GET", "/admin/models", null).body(), "small").path("scaling").path("limits");
    assertEquals(3, limits.path("max").asInt());
    assertEquals("operator", limits.path("source").asText());
    // the supervisor tells the pool the new maximum
    Eventually.await("pool max 3", Duration.ofSeconds(10), () -> node.board.get("small").maxReplicas() == 3);

    JsonNode entries = audit(1000);
    assertEquals(auditedBefore + 1, entries.path("total").asLong(), "only the accepted change is audited");
    JsonNode e = entries.path("entries").get(0);
    assertEquals("set-limits", e.path("action").asText());
    assertEquals("small", e.path("target").asText());
    assertEquals(3, e.path("details").path("max").asInt());
    assertEquals(AdminAudit.APPLIED, e.path("outcome").asText());
    assertTrue(e.path("operator").asText().contains("alice"), e.toString());
    assertFalse(e.path("operator").asText().contains(TOKEN), "the token never appears in the trail");
    assertEquals("127.0.0.1", e.path("client").asText());
  }

  @Test
  void aReplicaIsDrainedPinnedAndRestoredInItsPool() throws Exception {
    assertError(admin("PUT", "/admin/models/small/replicas/small-9", "{\"mode\":\"drained\"}"), 404, "replica_not_found");
    assertError(admin("PUT", "/admin/models/small/replicas/small-0", "{\"mode\":\"asleep\"}"), 400, "invalid_value");
    assertError(admin("PUT", "/admin/models/small/replicas/small-0", "{}"), 400, "invalid_value");

    Answer drained = admin("PUT", "/admin/models/small/replicas/small-0", "{\"mode\":\"drained\"}");
    assertEquals(200, drained.status(), drained.raw().body());
    JsonNode r0 = replica(drained.body(), "small-0");
    assertEquals("drained", r0.path("mode").asText());
    assertEquals("draining", r0.path("state").asText());
    assertFalse(r0.path("inRotation").asBoolean());
    Eventually.await(
        "board shows the drain",
        Duration.ofSeconds(5),
        () -> node.board.get("small").replicas().stream().anyMatch(r -> r.id().equals("small-0") && r.mode() == PoolCore.Mode.DRAINED));

    Answer pinned = admin("POST", "/admin/models/small/replicas/small-1", "{\"mode\":\"pinned\"}");
    assertEquals("pinned", replica(pinned.body(), "small-1").path("mode").asText());
    Answer normal = admin("PUT", "/admin/models/small/replicas/small-0", "{\"mode\":\"normal\"}");
    assertEquals("ready", replica(normal.body(), "small-0").path("state").asText());
    assertEquals(200, admin("PUT", "/admin/models/small/replicas/small-1", "{\"mode\":\"normal\"}").status());

    List<String> targets =
        StreamSupport.stream(audit(4).path("entries").spliterator(), false).map(x -> x.path("target").asText()).toList();
    assertEquals(List.of("small/small-1", "small/small-0", "small/small-1", "small/small-0"), targets);
  }

  static JsonNode replica(JsonNode model, String id) {
    return StreamSupport.stream(model.path("pool").path("replicas").spliterator(), false)
        .filter(r -> r.path("id").asText().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no replica " + id + " in " + model));
  }

  @Test
  void routingDefaultsSwitchOnThisNodeAndAreAudited() throws Exception {
    assertError(admin("PUT", "/admin/routing", "{\"profile\":\"cheapest\"}"), 400, "invalid_value");
    assertError(admin("PUT", "/admin/routing", "{\"router\":7}"), 400, "invalid_value");
    assertEquals(Profile.BALANCED, routingDefaults.get().profile());

    Answer a = admin("PUT", "/admin/routing", "{\"profile\":\"speed\"}");
    assertEquals(200, a.status(), a.raw().body());
    assertEquals("speed", a.body().path("profile").asText());
    assertEquals("hybrid", a.body().path("router").asText());
    assertEquals(new RoutingDefaults.Choice(Profile.SPEED, RouterKind.HYBRID), routingDefaults.get());
    assertEquals("speed", admin("GET", "/admin/routing", null).body().path("profile").asText());

    // a node that starts later takes the latest switch from the audit trail
    RoutingDefaults later = new RoutingDefaults(Profile.BALANCED, RouterKind.KEYWORD);
    node.system.systemActorOf(
        RoutingDefaultsSync.create(later, node.audit, 100, Duration.ofSeconds(3)), "later-sync", Props.empty());
    Eventually.await("restored from the audit", Duration.ofSeconds(10), () -> later.get().profile() == Profile.SPEED);
    assertEquals(RouterKind.HYBRID, later.get().router());

    assertEquals(200, admin("PUT", "/admin/routing", "{\"profile\":\"balanced\",\"router\":\"hybrid\"}").status());
  }

  @Test
  void scalingDecisionsComeFromTheSupervisorJournal() throws Exception {
    // the static replicas sit idle: after the idle timeout (2 s) the supervisor scales both models down
    Eventually.await(
        "a scale-down decision",
        Duration.ofSeconds(20),
        () -> {
          try {
            return admin("GET", "/admin/scaling/decisions?limit=10", null).body().path("decisions").size() > 0;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
    JsonNode all = admin("GET", "/admin/scaling/decisions?limit=10", null).body().path("decisions");
    JsonNode d =
        StreamSupport.stream(all.spliterator(), false)
            .filter(x -> x.path("reason").asText().equals("idle-timeout"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no idle-timeout decision in " + all));
    assertTrue(d.path("model").asText().equals("small") || d.path("model").asText().equals("large"), d.toString());
    assertEquals("down", d.path("direction").asText());
    assertTrue(d.path("to").asInt() < d.path("from").asInt(), d.toString());
    assertTrue(d.path("inputs").has("ratePerSecond"));
    assertError(admin("GET", "/admin/scaling/decisions?limit=0", null), 400, "invalid_value");
    assertError(admin("GET", "/admin/scaling/decisions?limit=many", null), 400, "invalid_value");
  }

  @Test
  void auditedChangesArePersistedEventsInTheJournal() throws Exception {
    assertEquals(200, admin("PUT", "/admin/models/large/limits", "{\"warm\":0}").status());
    List<Object> events = PersistenceTestKit.create(node.system).persistedInStorage(AdminAudit.PERSISTENCE_ID.id());
    assertTrue(events.stream().anyMatch(e -> e instanceof AdminAudit.ChangeRequested r && r.change().target().equals("large")), events.toString());
    assertTrue(events.stream().anyMatch(e -> e instanceof AdminAudit.ChangeCompleted), events.toString());
    assertError(admin("GET", "/admin/audit?limit=100000", null), 400, "invalid_value");
  }

  @Test
  void wrongMethodsAndPathsAreRefusedAsJson() throws Exception {
    assertError(admin("DELETE", "/admin/models", null), 405, "method_not_allowed");
    assertError(admin("GET", "/admin/models/small/limits", null), 405, "method_not_allowed");
    assertError(admin("GET", "/admin/nothing", null), 404, "not_found");
    assertError(admin("GET", "/v1/models", null), 404, "not_found");
  }

  @Test
  void aNodeIsDrainedByLeavingTheCluster() throws Exception {
    assertError(admin("POST", "/admin/cluster/leave", "{\"address\":\"not an address\"}"), 400, "invalid_value");
    assertError(admin("POST", "/admin/cluster/leave", "{}"), 400, "invalid_value");
    assertError(admin("POST", "/admin/cluster/leave", "{\"address\":\"pekko://admin-test@127.0.0.1:1\"}"), 404, "member_not_found");

    ActorSystem<Void> second = ActorSystem.create(Behaviors.empty(), "admin-test", TestNode.config(""));
    try {
      Cluster.get(second).manager().tell(Join.create(Cluster.get(node.system).selfMember().address()));
      String address = Cluster.get(second).selfMember().address().toString();
      Eventually.await(
          "second member up",
          Duration.ofSeconds(30),
          () -> StreamSupport.stream(Cluster.get(node.system).state().getMembers().spliterator(), false)
              .anyMatch(m -> m.address().toString().equals(address) && m.status() == MemberStatus.up()));

      Answer a = admin("POST", "/admin/cluster/leave", "{\"address\":\"" + address + "\"}");
      assertEquals(200, a.status(), a.raw().body());
      assertEquals("leaving", a.body().path("status").asText());
      assertFalse(a.body().path("self").asBoolean());
      // the member leaves and its actor system shuts down
      second.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Eventually.await("member removed", Duration.ofSeconds(20), () -> clusterJson().path("members").size() == 1);
      assertEquals("leave-node", audit(1).path("entries").get(0).path("action").asText());
    } finally {
      second.terminate();
    }
  }

  static JsonNode clusterJson() {
    try {
      return admin("GET", "/admin/cluster", null).body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static JsonNode audit(int limit) throws Exception {
    Answer a = admin("GET", "/admin/audit?limit=" + limit, null);
    assertEquals(200, a.status(), a.raw().body());
    return a.body();
  }
}
