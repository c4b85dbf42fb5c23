package io.pickspin.http.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.actors.KeySync;
import io.pickspin.api.ApiError;
import io.pickspin.http.RoutingDefaults;
import io.pickspin.http.status.TestNode;
import io.pickspin.keys.ApiKey;
import io.pickspin.keys.KeyGuard;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import io.pickspin.testing.Eventually;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * API keys through the admin API: made (the secret shown once), listed with their usage, revoked; the store and a
 * node's guard kept in step by {@link KeySync}.
 */
class AdminKeysTest {
  static final String TOKEN = "admin-token-for-keys";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static TestNode node;
  static AdminApi api;
  static KeyGuard guard;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start("admin-keys-test", "");
    guard = new KeyGuard(Clock.systemUTC());
    node.system.systemActorOf(KeySync.create(node.keyStore, guard, Duration.ofMillis(200)), "key-sync", Props.empty());
    RoutingDefaults defaults = new RoutingDefaults(Profile.BALANCED, RouterKind.HYBRID);
    var sync = node.system.systemActorOf(
        RoutingDefaultsSync.create(defaults, node.audit, 100, Duration.ofSeconds(3)), "routing-sync", Props.empty());
    AdminApi.Deps deps = new AdminApi.Deps(
        node.catalog, node.board, node.leases::pool, node.leases.supervisor(), node.audit, sync, defaults, node.scaling, "",
        node.keyStore, guard);
    AdminSettings settings =
        AdminSettings.fromConfig(node.system.settings().config().getConfig("pickspin")).withPort(0).withToken(TOKEN, false);
    api = AdminApi.start(node.system, settings, deps).toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + api.port();
  }

  @AfterAll
  static void stop() throws Exception {
    if (api != null) api.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (node != null) node.close();
  }

  record Answer(int status, JsonNode body, String raw) {}

  static Answer admin(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15))
        .header("Authorization", "Bearer " + TOKEN)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) b.header("Content-Type", "application/json");
    HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()), r.body());
  }

  static ApiKey authenticated(String secret) {
    return guard.authenticate(Optional.of("Bearer " + secret));
  }

  @Test
  void aKeyIsShownOnceListedWithItsUsageAndRevoked() throws Exception {
    Answer made = admin("POST", "/admin/keys", "{\"name\":\"team-a\",\"models\":[\"small\"],\"rpm\":60,\"tpm\":1000,\"max_tokens_total\":50000}");
    assertEquals(200, made.status(), made.raw());
    String secret = made.body().path("key").asText();
    assertTrue(secret.startsWith("sk-ps-"), made.raw());
    assertEquals("team-a", authenticated(secret).name(), "usable on this node at once");

    Answer list = admin("GET", "/admin/keys", null);
    assertEquals(200, list.status(), list.raw());
    assertFalse(list.raw().contains(secret), "the secret is never shown again");
    assertEquals(60, list.body().path("keys").get(0).path("rpm").asLong());
    Answer audit = admin("GET", "/admin/audit", null);
    assertFalse(audit.raw().contains(secret), "nor audited");
    assertTrue(audit.raw().contains("create-key"), audit.raw());

    assertEquals(409, admin("POST", "/admin/keys", "{\"name\":\"team-a\"}").status(), "names are unique");
    assertEquals(400, admin("POST", "/admin/keys", "{\"name\":\"x\",\"models\":[\"nope\"]}").status());
    assertEquals(400, admin("POST", "/admin/keys", "{\"name\":\"bad name!\"}").status());
    assertEquals(400, admin("POST", "/admin/keys", "{\"name\":\"x\",\"rpm\":-1}").status());

    // usage counted on a gateway node reaches the store with the next sync
    guard.record("team-a", "small", 12, 30);
    JsonNode usage = Eventually.awaitValue(
        "usage in the store", Duration.ofSeconds(10),
        () -> { try { return admin("GET", "/admin/keys/team-a", null).body(); } catch (Exception e) { throw new RuntimeException(e); } },
        b -> b.path("usage").path("total_tokens").asLong() == 42);
    assertEquals(30, usage.path("usage").path("by_model").path("small").path("completion_tokens").asLong());
    assertEquals(1, usage.path("usage").path("requests").asLong());

    Answer revoked = admin("DELETE", "/admin/keys/team-a", null);
    assertEquals(200, revoked.status(), revoked.raw());
    ApiError e = assertThrows(ApiError.class, () -> authenticated(secret));
    assertEquals(401, e.status());
    assertEquals(404, admin("DELETE", "/admin/keys/team-a", null).status());
    assertEquals(404, admin("GET", "/admin/keys/team-a", null).status());
  }

  @Test
  void aliveNeedsNoTokenButEverythingElseDoes() throws Exception {
    HttpResponse<String> alive = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/alive")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, alive.statusCode(), alive.body());
    HttpResponse<String> keys = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/admin/keys")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, keys.statusCode(), keys.body());
  }

  @Test
  void aKeyMadeInTheStoreReachesANodesGuardWithTheNextSync() throws Exception {
    // made through another node: straight in the store
    String secret = io.pickspin.keys.ApiKeySecrets.newSecret();
    ApiKey key = new ApiKey("team-b", io.pickspin.keys.ApiKeySecrets.hash(secret), java.util.List.of("*"), 0, 0, 0, 0);
    org.apache.pekko.actor.typed.javadsl.AskPattern.<io.pickspin.actors.ApiKeyStore.Command, ApiKey>askWithStatus(
            node.keyStore, r -> new io.pickspin.actors.ApiKeyStore.Create(key, r), Duration.ofSeconds(5), node.system.scheduler())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    Eventually.await("the key synced", Duration.ofSeconds(10), () -> {
      try {
        return authenticated(secret) != null;
      } catch (ApiError notYet) {
        return false;
      }
    });
  }
}
