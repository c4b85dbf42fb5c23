package io.pickspin.http.admin;

import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.NotUsed;
import io.pickspin.http.HttpListener;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pickspin.actors.AdminAudit;
import io.pickspin.actors.ApiKeyStore;
import io.pickspin.actors.ModelPool;
import io.pickspin.actors.PoolMonitor;
import io.pickspin.actors.ScalingSupervisor;
import io.pickspin.api.ApiError;
import io.pickspin.concurrent.Failures;
import io.pickspin.http.ErrorResponses;
import io.pickspin.http.RoutingDefaults;
import io.pickspin.http.status.ClusterView;
import io.pickspin.http.status.OpsJson;
import io.pickspin.keys.ApiKey;
import io.pickspin.keys.ApiKeySecrets;
import io.pickspin.keys.KeyBook;
import io.pickspin.keys.KeyGuard;
import io.pickspin.keys.TokenUsage;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolStatus;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import io.pickspin.scaling.ModelMemory;
import io.pickspin.scaling.ReplicaLimits;
import io.pickspin.scaling.ScalingSettings;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Leave;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator API on its own port ({@code pickspin.admin}), JSON in and out, every request authenticated with the
 * admin bearer token. Every change is written to the {@link AdminAudit} trail before it is carried out and completed
 * with its outcome after; a change the trail cannot record is not made (503).
 *
 * <pre>
 * GET  /alive                                   liveness: 200 while the process serves (no token)
 * GET  /admin                                   this list
 * GET  /admin/cluster                           members, leader, where the singletons run
 * POST /admin/cluster/leave                     {"address": "pekko://pickspin@host:port"}: drain a node (cluster leave)
 * GET  /admin/models                            every model: limits, desired, pool, replicas
 * GET  /admin/models/{model}
 * PUT  /admin/models/{model}/limits             {"min": 0, "max": 4, "warm": 1} (any subset)
 * PUT  /admin/models/{model}/replicas/{replica} {"mode": "drained" | "pinned" | "normal"}
 * GET  /admin/routing                           the profile and router of requests that name none
 * PUT  /admin/routing                           {"profile": "cost", "router": "rl"} (either or both), on every node
 * GET  /admin/scaling/decisions?limit=50        the supervisor's recent decisions, newest first
 * GET  /admin/audit?limit=100                   audited changes, newest first
 * POST /admin/keys                              {"name", "models": ["*"], "rpm", "tpm", "max_tokens_total"}: a client
 *                                               API key; the answer shows its secret, once
 * GET  /admin/keys                              every key: models, limits, usage
 * GET  /admin/keys/{name}                       one key, with its usage by model
 * DELETE /admin/keys/{name}                     revokes a key
 * </pre>
 *
 * PUT and POST are both accepted for changes. Errors are OpenAI-style JSON: 400 bad values, 401 missing or wrong
 * token, 404 unknown model/replica/member, 405, 413, 415, and 503 when the cluster does not answer in time.
 */
public final class AdminApi {
  private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
  private static final int MAX_LIMIT = 1000;
  private static final Set<String> LIMIT_FIELDS = Set.of("min", "max", "warm");
  private static final Set<String> ROUTING_FIELDS = Set.of("profile", "router");

  /**
   * What the admin API reads and changes.
   *
   * @param pools the (sharded) pool of a model id
   * @param supervisor the scaling supervisor (singleton proxy)
   * @param audit the audit trail (singleton proxy)
   * @param routingSync this node's {@link RoutingDefaultsSync}
   * @param routingDefaults this node's routing defaults
   * @param singletonRole the role the singletons run on ("" = any member)
   * @param keyStore the API key store (singleton proxy), or null: the key endpoints then answer 503
   * @param keys this node's key guard, told of a change at once (other nodes hear of it at their next sync), or null
   */
  public record Deps(
      Catalog catalog,
      PoolMonitor.Board board,
      Function<String, RecipientRef<ModelPool.Command>> pools,
      ActorRef<ScalingSupervisor.Command> supervisor,
      ActorRef<AdminAudit.Command> audit,
      ActorRef<RoutingDefaultsSync.Command> routingSync,
      RoutingDefaults routingDefaults,
      ScalingSettings scaling,
      String singletonRole,
      ActorRef<ApiKeyStore.Command> keyStore,
      KeyGuard keys) {

    /** Without the key store. */
    public Deps(
        Catalog catalog,
        PoolMonitor.Board board,
        Function<String, RecipientRef<ModelPool.Command>> pools,
        ActorRef<ScalingSupervisor.Command> supervisor,
        ActorRef<AdminAudit.Command> audit,
        ActorRef<RoutingDefaultsSync.Command> routingSync,
        RoutingDefaults routingDefaults,
        ScalingSettings scaling,
        String singletonRole) {
      this(catalog, board, pools, supervisor, audit, routingSync, routingDefaults, scaling, singletonRole, null, null);
    }
  }

  private final ActorSystem<?> system;
  private final AdminSettings settings;
  private final Deps deps;
  private final BearerAuth auth;
  private final Materializer materializer;
  private final Clock clock = Clock.systemUTC();
  private final ObjectMapper json = new ObjectMapper();
  private volatile HttpListener listener;
  /** Requests being answered: stop() waits for them before it closes the connections. */
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

  private AdminApi(ActorSystem<?> system, AdminSettings settings, Deps deps) {
    this.system = system;
    this.settings = settings;
    this.deps = deps;
    this.auth = new BearerAuth(settings.token());
    this.materializer = Materializer.matFromSystem(system);
  }

  /**
   * Opens the admin port.
   *
   * @throws IllegalStateException when there is no token and dev mode is off
   */
  public static CompletionStage<AdminApi> start(ActorSystem<?> system, AdminSettings settings, Deps deps) {
    if (!settings.hasToken()) {
      if (settings.devMode() && !loopback(settings.host())) {
        throw new IllegalStateException(
            "the admin API in dev mode (no token) serves only on a loopback address, not on " + settings.host()
                + ": set PICKSPIN_ADMIN_TOKEN (pickspin.admin.token), or PICKSPIN_ADMIN_HOST=127.0.0.1");
      }
      if (!settings.devMode()) {
        throw new IllegalStateException(
            "the admin API needs a token: set PICKSPIN_ADMIN_TOKEN (pickspin.admin.token), or pickspin.admin.dev-mode = on"
                + " to serve it without authentication, or pickspin.admin.enabled = off");
      }
      log.warn(
          "\n#############################################################################\n"
              + "# ADMIN API IN DEV MODE: NO AUTHENTICATION on http://{}:{}/admin\n"
              + "# Anyone who reaches this port can change scaling limits, drain replicas and\n"
              + "# remove nodes. Set PICKSPIN_ADMIN_TOKEN for anything but local development.\n"
              + "#############################################################################",
          settings.host(),
          settings.port());
    } else if (settings.devMode()) {
      log.warn("pickspin.admin.dev-mode is on but a token is set: the token is still required");
    }
    AdminApi api = new AdminApi(system, settings, deps);
    ServerSettings server = ServerSettings.create(system.classicSystem()).withRemoteAddressAttribute(true);
    // one request at a time per connection, as Pekko HTTP's bind(handler) serves it
    Flow<HttpRequest, HttpResponse, NotUsed> perConnection = Flow.<HttpRequest>create().mapAsync(1, api::counted);
    return HttpListener.bind(system, settings.host(), settings.port(), settings.tls(), settings.headerTimeout(), server,
            () -> perConnection)
        .thenApply(
            b -> {
              api.listener = b;
              log.info(
                  "admin API on {}://{}:{}/admin", settings.tls() == null ? "http" : "https", settings.host(),
                  b.localAddress().getPort());
              return api;
            });
  }

  public int port() {
    return listener.localAddress().getPort();
  }

  /** Whether {@code host} names only this machine: a loopback address, or a name that resolves to loopback only. */
  static boolean loopback(String host) {
    try {
      InetAddress[] all = InetAddress.getAllByName(host);
      for (InetAddress a : all) if (!a.isLoopbackAddress()) return false;
      return all.length > 0;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** Stops accepting connections, gives the requests being answered up to 5 s, then closes the connections left. */
  public CompletionStage<Done> stop() {
    HttpListener l = listener;
    if (l == null) return CompletableFuture.completedFuture(Done.getInstance());
    return l.stop(Duration.ofSeconds(5), inFlight::get);
  }

  private CompletionStage<HttpResponse> counted(HttpRequest request) {
    inFlight.incrementAndGet();
    CompletionStage<HttpResponse> answer;
    try {
      answer = handle(request);
    } catch (RuntimeException e) {
      inFlight.decrementAndGet();
      throw e;
    }
    return answer.whenComplete((r, err) -> inFlight.decrementAndGet());
  }

  // ---- dispatch

  CompletionStage<HttpResponse> handle(HttpRequest request) {
    try {
      if (request.getUri().path().equals("/alive")) {
        // the liveness probe: the process serves; no token, no state, nothing else on this path
        request.discardEntityBytes(materializer);
        return done(json(StatusCodes.OK, json.createObjectNode().put("status", "ok")));
      }
      Optional<BearerAuth.Refusal> refused =
          auth.check(request.getHeader("Authorization").map(h -> h.value()));
      if (refused.isPresent()) {
        request.discardEntityBytes(materializer);
        return done(unauthorized(refused.get()));
      }
      List<String> path = segments(request.getUri().path());
      HttpMethod method = request.method();
      if (path.isEmpty()) return get(request, method, this::index);
      switch (path.get(0)) {
        case "cluster":
          if (path.size() == 1) return get(request, method, this::cluster);
          if (path.size() == 2 && path.get(1).equals("leave")) return change(request, method, body -> leave(request, body));
          break;
        case "models":
          if (path.size() == 1) return get(request, method, this::models);
          ModelSpec spec = model(path.get(1));
          if (path.size() == 2) return get(request, method, () -> models(List.of(spec)).thenApply(a -> a.get(0)));
          if (path.size() == 3 && path.get(2).equals("limits")) return change(request, method, body -> setLimits(request, spec, body));
          if (path.size() == 4 && path.get(2).equals("replicas")) {
            return change(request, method, body -> setReplicaMode(request, spec, path.get(3), body));
          }
          break;
        case "routing":
          if (path.size() == 1) {
            if (method == HttpMethods.GET) return get(request, method, this::routing);
            return change(request, method, body -> setRouting(request, body));
          }
          break;
        case "scaling":
          if (path.size() == 2 && path.get(1).equals("decisions")) return get(request, method, () -> decisions(request));
          break;
        case "audit":
          if (path.size() == 1) return get(request, method, () -> audit(request));
          break;
        case "keys":
          if (path.size() == 1) {
            if (method == HttpMethods.GET) return get(request, method, this::keys);
            return change(request, method, body -> createKey(request, body));
          }
          if (path.size() == 2) {
            String name = path.get(1);
            if (method == HttpMethods.DELETE) {
              request.discardEntityBytes(materializer);
              return respond(() -> revokeKey(request, name), StatusCodes.OK);
            }
            if (method == HttpMethods.GET) return get(request, method, () -> key(name));
            throw ApiError.methodNotAllowed(method.value(), request.getUri().path(), "GET or DELETE");
          }
          break;
        default:
          break;
      }
      throw ApiError.notFound("No such admin endpoint: " + method.value() + " " + request.getUri().path() + ". GET /admin lists them.");
    } catch (ApiError e) {
      request.discardEntityBytes(materializer);
      return done(ErrorResponses.of(e));
    }
  }

  /** The path below /admin, split; anything outside /admin is unknown. */
  private static List<String> segments(String path) {
    if (!path.equals("/admin") && !path.startsWith("/admin/")) {
      throw ApiError.notFound("No such endpoint: " + path + ". The admin API lives under /admin.");
    }
    return Arrays.stream(path.substring("/admin".length()).split("/")).filter(s -> !s.isEmpty()).toList();
  }

  private CompletionStage<HttpResponse> get(HttpRequest request, HttpMethod method, Supplier<CompletionStage<? extends JsonNode>> body) {
    request.discardEntityBytes(materializer);
    if (method != HttpMethods.GET) throw ApiError.methodNotAllowed(method.value(), request.getUri().path(), "GET");
    return respond(body, StatusCodes.OK);
  }

  private CompletionStage<HttpResponse> change(
      HttpRequest request, HttpMethod method, Function<ObjectNode, CompletionStage<? extends JsonNode>> apply) {
    if (method != HttpMethods.PUT && method != HttpMethods.POST) throw ApiError.methodNotAllowed(method.value(), request.getUri().path(), "PUT or POST");
    return readObject(request)
        .thenCompose(body -> respond(() -> apply.apply(body), StatusCodes.OK))
        .exceptionally(t -> errorResponse(t));
  }

  private CompletionStage<HttpResponse> respond(Supplier<CompletionStage<? extends JsonNode>> body, StatusCode status) {
    CompletionStage<? extends JsonNode> answer;
    try {
      answer = body.get();
    } catch (RuntimeException e) {
      return done(errorResponse(e));
    }
    return answer.handle((node, error) -> error != null ? errorResponse(error) : json(status, node));
  }

  // ---- reads

  private CompletionStage<JsonNode> index() {
    ObjectNode n = json.createObjectNode();
    ArrayNode e = n.putArray("endpoints");
    for (String s :
        List.of(
            "GET /admin/cluster",
            "POST /admin/cluster/leave {\"address\"}",
            "GET /admin/models",
            "GET /admin/models/{model}",
            "PUT /admin/models/{model}/limits {\"min\",\"max\",\"warm\"}",
            "PUT /admin/models/{model}/replicas/{replica} {\"mode\": \"drained\"|\"pinned\"|\"normal\"}",
            "GET /admin/routing",
            "PUT /admin/routing {\"profile\",\"router\"}",
            "GET /admin/scaling/decisions?limit=50",
            "GET /admin/audit?limit=100",
            "POST /admin/keys {\"name\",\"models\",\"rpm\",\"tpm\",\"max_tokens_total\"}",
            "GET /admin/keys",
            "GET /admin/keys/{name}",
            "DELETE /admin/keys/{name}")) {
      e.add(s);
    }
    return done(n);
  }

  private CompletionStage<JsonNode> cluster() {
    return done(ClusterView.toJson(system, Map.of("scaling-supervisor", deps.singletonRole(), "admin-audit", deps.singletonRole())));
  }

  private CompletionStage<JsonNode> models() {
    return models(deps.catalog().models())
        .thenApply(
            list -> {
              ObjectNode n = json.createObjectNode();
              n.putArray("models").addAll(list);
              return n;
            });
  }

  /** The models with their pools (this node's board) and their limits and desired count (the supervisor's state). */
  private CompletionStage<List<ObjectNode>> models(List<ModelSpec> specs) {
    return supervisorState()
        .handle(
            (state, error) -> {
              List<ObjectNode> out = new ArrayList<>();
              for (ModelSpec spec : specs) {
                ObjectNode m = OpsJson.model(spec, deps.board().get(spec.id()), true);
                if (error != null) {
                  m.putObject("scaling").put("error", describe(error));
                } else {
                  ObjectNode s = m.putObject("scaling");
                  s.put("desired", state.desired(spec.id()));
                  ModelMemory memory = state.models().get(spec.id());
                  ReplicaLimits limits = limits(spec, state);
                  ObjectNode l = limitsJson(limits);
                  l.put("source", memory != null && memory.limits() != null ? "operator" : "catalogue");
                  s.set("limits", l);
                }
                out.add(m);
              }
              return out;
            });
  }

  private CompletionStage<JsonNode> routing() {
    return done(routingJson(deps.routingDefaults().get()));
  }

  private CompletionStage<JsonNode> decisions(HttpRequest request) {
    int limit = limitParam(request, 50, MAX_LIMIT);
    return AskPattern.<ScalingSupervisor.Command, ScalingSupervisor.Decisions>ask(
            deps.supervisor(), r -> new ScalingSupervisor.RecentDecisions(limit, r), settings.askTimeout(), system.scheduler())
        .thenApply(
            d -> {
              ObjectNode n = json.createObjectNode();
              ArrayNode list = n.putArray("decisions");
              List<ScalingSupervisor.ScaleDecided> newestFirst = new ArrayList<>(d.decisions());
              Collections.reverse(newestFirst);
              newestFirst.forEach(x -> list.add(OpsJson.decision(x)));
              return (JsonNode) n;
            })
        .exceptionally(t -> { throw unavailable("the scaling supervisor", t); });
  }

  private CompletionStage<JsonNode> audit(HttpRequest request) {
    int limit = limitParam(request, 100, settings.auditKeep());
    return AskPattern.<AdminAudit.Command, AdminAudit.Entries>ask(
            deps.audit(), r -> new AdminAudit.GetRecent(limit, r), settings.askTimeout(), system.scheduler())
        .thenApply(
            entries -> {
              ObjectNode n = json.createObjectNode();
              n.put("total", entries.total());
              ArrayNode list = n.putArray("entries");
              for (AdminAudit.Entry e : entries.entries()) list.add(entryJson(e));
              return (JsonNode) n;
            })
        .exceptionally(t -> { throw unavailable("the audit trail", t); });
  }

  // ---- API keys

  private static final Set<String> KEY_FIELDS = Set.of("name", "models", "rpm", "tpm", "max_tokens_total");

  private ActorRef<ApiKeyStore.Command> keyStore() {
    if (deps.keyStore() == null) throw ApiError.serverError(503, "unavailable", "This node has no API key store.");
    return deps.keyStore();
  }

  private CompletionStage<KeyBook> keyBook() {
    return AskPattern.<ApiKeyStore.Command, KeyBook>ask(keyStore(), ApiKeyStore.Get::new, settings.askTimeout(), system.scheduler())
        .exceptionally(t -> { throw unavailable("the API key store", t); });
  }

  private CompletionStage<JsonNode> keys() {
    return keyBook()
        .thenApply(
            book -> {
              ObjectNode n = json.createObjectNode();
              ArrayNode list = n.putArray("keys");
              book.keys().values().stream()
                  .sorted(java.util.Comparator.comparing(ApiKey::name))
                  .forEach(k -> list.add(keyJson(k, book, false)));
              return n;
            });
  }

  private CompletionStage<JsonNode> key(String name) {
    return keyBook()
        .thenApply(
            book -> {
              ApiKey k = book.keys().get(name);
              if (k == null) throw new CompletionException(keyNotFound(name));
              return keyJson(k, book, true);
            });
  }

  private CompletionStage<JsonNode> createKey(HttpRequest request, ObjectNode body) {
    onlyFields(body, KEY_FIELDS);
    JsonNode nameNode = body.get("name");
    if (nameNode == null || !nameNode.isTextual()) throw ApiError.invalid("name", "Give the key a \"name\".");
    List<String> models = new ArrayList<>();
    JsonNode m = body.get("models");
    if (m != null) {
      if (!m.isArray() || m.isEmpty()) throw ApiError.invalid("models", "\"models\" must be a non-empty array of model ids or \"*\".");
      for (JsonNode id : m) {
        if (!id.isTextual() || (!id.asText().equals(ApiKey.ANY_MODEL) && deps.catalog().find(id.asText()).isEmpty())) {
          throw ApiError.invalid("models", "Unknown model " + id + "; GET /admin/models lists them, \"*\" is every model.");
        }
        models.add(id.asText());
      }
    }
    String secret = ApiKeySecrets.newSecret();
    ApiKey key;
    try {
      key =
          new ApiKey(
              nameNode.asText(), ApiKeySecrets.hash(secret), models, longField(body, "rpm"), longField(body, "tpm"),
              longField(body, "max_tokens_total"), clock.millis());
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("name", e.getMessage() + ".");
    }
    ObjectNode details = keyJson(key, KeyBook.EMPTY, false); // the secret is never audited
    details.remove("usage");
    return audited(
        request,
        "create-key",
        key.name(),
        details,
        () ->
            AskPattern.<ApiKeyStore.Command, ApiKey>askWithStatus(
                    keyStore(), r -> new ApiKeyStore.Create(key, r), settings.askTimeout(), system.scheduler())
                .exceptionally(t -> { throw refusedOrUnavailable("the API key store", t, 409, "key_exists"); })
                .thenApply(
                    created -> {
                      if (deps.keys() != null) deps.keys().put(created);
                      ObjectNode n = json.createObjectNode();
                      n.put("name", created.name());
                      n.put("key", secret);
                      n.put("note", "the key is shown this once; only its hash is kept");
                      n.setAll(keyJson(created, KeyBook.EMPTY, false));
                      n.remove("usage");
                      return n;
                    }));
  }

  private CompletionStage<JsonNode> revokeKey(HttpRequest request, String name) {
    ObjectNode details = json.createObjectNode();
    details.put("name", name);
    return audited(
        request,
        "revoke-key",
        name,
        details,
        () ->
            AskPattern.<ApiKeyStore.Command, Done>askWithStatus(
                    keyStore(), r -> new ApiKeyStore.Revoke(name, r), settings.askTimeout(), system.scheduler())
                .exceptionally(t -> { throw refusedOrUnavailable("the API key store", t, 404, "key_not_found"); })
                .thenApply(
                    d -> {
                      if (deps.keys() != null) deps.keys().remove(name);
                      ObjectNode n = json.createObjectNode();
                      n.put("name", name);
                      n.put("revoked", true);
                      return n;
                    }));
  }

  private ObjectNode keyJson(ApiKey k, KeyBook book, boolean byModel) {
    ObjectNode n = json.createObjectNode();
    n.put("name", k.name());
    ArrayNode models = n.putArray("models");
    k.models().forEach(models::add);
    n.put("rpm", k.rpm());
    n.put("tpm", k.tpm());
    n.put("max_tokens_total", k.maxTokensTotal());
    n.put("created", Instant.ofEpochMilli(k.createdAtMs()).toString());
    ObjectNode usage = usageJson(book.totalOf(k.name()));
    if (byModel) {
      ObjectNode per = usage.putObject("by_model");
      book.usageOf(k.name()).forEach((model, u) -> per.set(model, usageJson(u)));
    }
    n.set("usage", usage);
    return n;
  }

  private ObjectNode usageJson(TokenUsage u) {
    ObjectNode n = json.createObjectNode();
    n.put("requests", u.requests());
    n.put("prompt_tokens", u.promptTokens());
    n.put("completion_tokens", u.completionTokens());
    n.put("total_tokens", u.tokens());
    return n;
  }

  private static long longField(ObjectNode body, String name) {
    JsonNode v = body.get(name);
    if (v == null || v.isNull()) return 0;
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
      throw ApiError.invalid(name, "\"" + name + "\" must be a whole number >= 0 (0 = no limit), not " + v + ".");
    }
    return v.asLong();
  }

  private static ApiError keyNotFound(String name) {
    return new ApiError(404, "invalid_request_error", "key_not_found", "name", "No API key named '" + name + "'. GET /admin/keys lists them.", 0);
  }

  // ---- changes

  private CompletionStage<JsonNode> setLimits(HttpRequest request, ModelSpec spec, ObjectNode body) {
    onlyFields(body, LIMIT_FIELDS);
    if (body.isEmpty()) throw ApiError.invalid(null, "Give at least one of \"min\", \"max\", \"warm\".");
    Integer min = intField(body, "min");
    Integer max = intField(body, "max");
    Integer warm = intField(body, "warm");
    return supervisorState()
        .exceptionally(t -> { throw unavailable("the scaling supervisor", t); })
        .thenCompose(
            state -> {
              ReplicaLimits before = limits(spec, state);
              ReplicaLimits after;
              try {
                after =
                    new ReplicaLimits(
                        min != null ? min : before.minReplicas(),
                        max != null ? max : before.maxReplicas(),
                        warm != null ? warm : before.warm());
              } catch (IllegalArgumentException e) {
                throw ApiError.invalid(null, "Bad limits for model " + spec.id() + ": " + e.getMessage() + ".");
              }
              ReplicaLimits next = after;
              return audited(
                  request,
                  "set-limits",
                  spec.id(),
                  limitsJson(next),
                  () ->
                      AskPattern.<ScalingSupervisor.Command, Done>askWithStatus(
                              deps.supervisor(),
                              r -> new ScalingSupervisor.SetLimits(spec.id(), next.minReplicas(), next.maxReplicas(), next.warm(), r),
                              settings.askTimeout(),
                              system.scheduler())
                          .exceptionally(t -> { throw refusedOrUnavailable("the scaling supervisor", t, 400, "invalid_value"); })
                          .thenApply(
                              d -> {
                                ObjectNode n = json.createObjectNode();
                                n.put("model", spec.id());
                                n.set("limits", limitsJson(next));
                                n.set("previous", limitsJson(before));
                                return n;
                              }));
            });
  }

  private CompletionStage<JsonNode> setReplicaMode(HttpRequest request, ModelSpec spec, String replicaId, ObjectNode body) {
    onlyFields(body, Set.of("mode"));
    PoolCore.Mode mode = modeField(body);
    PoolStatus seen = deps.board().get(spec.id());
    if (seen != null && seen.replicas().stream().noneMatch(r -> r.id().equals(replicaId))) {
      throw replicaNotFound(spec, replicaId, seen);
    }
    ObjectNode details = json.createObjectNode();
    details.put("mode", mode.name().toLowerCase(Locale.ROOT));
    return audited(
        request,
        "replica-mode",
        spec.id() + "/" + replicaId,
        details,
        () ->
            // through the supervisor, which persists the mode before the pool applies it: it survives the pool
            AskPattern.<ScalingSupervisor.Command, PoolStatus>askWithStatus(
                    deps.supervisor(),
                    r -> new ScalingSupervisor.SetReplicaMode(spec.id(), replicaId, mode, r),
                    settings.askTimeout(),
                    system.scheduler())
                .exceptionally(t -> { throw refusedOrUnavailable("the pool of " + spec.id(), t, 404, "replica_not_found"); })
                .thenApply(status -> OpsJson.model(spec, status, true)));
  }

  private CompletionStage<JsonNode> setRouting(HttpRequest request, ObjectNode body) {
    onlyFields(body, ROUTING_FIELDS);
    if (body.isEmpty()) throw ApiError.invalid(null, "Give \"profile\", \"router\" or both.");
    RoutingDefaults.Choice before = deps.routingDefaults().get();
    Profile profile = body.has("profile") ? enumField(body, "profile", Profile::parse) : before.profile();
    RouterKind router = body.has("router") ? enumField(body, "router", RouterKind::parse) : before.router();
    RoutingDefaults.Choice next = new RoutingDefaults.Choice(profile, router);
    return audited(
        request,
        RoutingDefaultsSync.ACTION,
        "routing",
        routingJson(next),
        () -> {
          long now = clock.millis();
          // here at once, so that the answer is true on this node; everywhere else through the topic
          deps.routingDefaults().set(next);
          deps.routingSync().tell(new RoutingDefaultsSync.Publish(new RoutingDefaultsSync.Switched(profile.wireName(), router.wireName(), now)));
          ObjectNode n = routingJson(next);
          n.set("previous", routingJson(before));
          return done(n);
        });
  }

  private CompletionStage<JsonNode> leave(HttpRequest request, ObjectNode body) {
    onlyFields(body, Set.of("address"));
    JsonNode a = body.get("address");
    if (a == null || !a.isTextual() || a.asText().isBlank()) {
      throw ApiError.invalid("address", "Give the member's \"address\", e.g. \"pekko://pickspin@10.0.0.5:25520\" (GET /admin/cluster lists them).");
    }
    Address address;
    try {
      address = AddressFromURIString.parse(a.asText().trim());
    } catch (Exception e) { // Scala throws the checked MalformedURLException undeclared
      throw ApiError.invalid("address", "\"" + a.asText() + "\" is not a cluster address like \"pekko://pickspin@10.0.0.5:25520\".");
    }
    if (address.host().isEmpty() || ClusterView.member(system, address).isEmpty()) {
      throw new ApiError(
          404, "invalid_request_error", "member_not_found", "address",
          "No cluster member has the address " + address + ". GET /admin/cluster lists the members.", 0);
    }
    ObjectNode details = json.createObjectNode();
    details.put("address", address.toString());
    return audited(
        request,
        "leave-node",
        address.toString(),
        details,
        () -> {
          Cluster cluster = Cluster.get(system);
          cluster.manager().tell(Leave.create(address));
          ObjectNode n = json.createObjectNode();
          n.put("address", address.toString());
          n.put("status", "leaving");
          n.put("self", address.equals(cluster.selfMember().address()));
          n.put("note", "the member hands over its shards and singletons, then leaves and shuts down");
          return done(n);
        });
  }

  /**
   * Records the change, carries it out, records the outcome. The change is not made when the audit trail cannot
   * record it.
   */
  private CompletionStage<JsonNode> audited(
      HttpRequest request, String action, String target, ObjectNode details, Supplier<CompletionStage<? extends JsonNode>> apply) {
    AdminAudit.Change change = new AdminAudit.Change(operator(request), client(request), action, target, details.toString());
    return AskPattern.<AdminAudit.Command, AdminAudit.Entry>askWithStatus(
            deps.audit(), r -> new AdminAudit.Record(change, r), settings.askTimeout(), system.scheduler())
        .exceptionally(t -> { throw unavailable("the audit trail (the change was not made)", t); })
        .thenCompose(
            entry -> {
              CompletionStage<? extends JsonNode> result;
              try {
                result = apply.get();
              } catch (RuntimeException e) {
                result = CompletableFuture.failedFuture(e);
              }
              return result.handle(
                      (node, error) -> {
                        String outcome = error == null ? AdminAudit.APPLIED : "failed: " + describe(error);
                        return AskPattern.<AdminAudit.Command, Done>askWithStatus(
                                deps.audit(), r -> new AdminAudit.Complete(entry.id(), outcome, r), settings.askTimeout(), system.scheduler())
                            .handle(
                                (d, auditError) -> {
                                  if (auditError != null) {
                                    log.warn("admin change {} ({}) ended '{}' but its outcome was not audited: {}", entry.id(), action, outcome, auditError.toString());
                                  }
                                  if (error != null) throw new CompletionException(Failures.unwrap(error));
                                  ObjectNode n = node.isObject() ? ((ObjectNode) node).deepCopy() : json.createObjectNode();
                                  n.put("auditId", entry.id());
                                  return (JsonNode) n;
                                });
                      })
                  .thenCompose(s -> s);
            });
  }

  // ---- request parts

  private ModelSpec model(String id) {
    return deps.catalog().find(id).orElseThrow(() -> ApiError.modelNotFound(id));
  }

  private CompletionStage<ScalingSupervisor.State> supervisorState() {
    return AskPattern.ask(deps.supervisor(), ScalingSupervisor.GetState::new, settings.askTimeout(), system.scheduler());
  }

  /** The limits the supervisor plans with: an operator's, else the catalogue's with the tier's warm pool. */
  private ReplicaLimits limits(ModelSpec spec, ScalingSupervisor.State state) {
    ModelMemory m = state.models().get(spec.id());
    if (m != null && m.limits() != null) return m.limits();
    return ReplicaLimits.of(spec, deps.scaling().warmPool().getOrDefault(spec.tier(), 0));
  }

  private CompletionStage<ObjectNode> readObject(HttpRequest request) {
    HttpEntity entity = request.entity();
    if (entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() == 0) {
      throw ApiError.invalid(null, "The request needs a JSON object body.");
    }
    if (entity.getContentType().mediaType() != MediaTypes.APPLICATION_JSON) {
      throw ApiError.unsupportedMediaType(entity.getContentType().toString());
    }
    return entity
        .withSizeLimit(settings.maxBodyBytes())
        .toStrict(settings.askTimeout().toMillis(), materializer)
        .handle(
            (strict, error) -> {
              if (error != null) {
                Throwable cause = Failures.unwrap(error);
                if (cause instanceof EntityStreamSizeException) {
                  throw new CompletionException(ApiError.tooLarge(settings.maxBodyBytes(), "pickspin.admin.max-body-bytes"));
                }
                throw new CompletionException(ApiError.invalid(null, "The body could not be read: " + cause.getMessage()));
              }
              JsonNode node;
              try {
                node = json.readTree(strict.getData().toArray());
              } catch (Exception e) {
                throw new CompletionException(ApiError.invalid(null, "The body is not valid JSON: " + e.getMessage().lines().findFirst().orElse("")));
              }
              if (node == null || !node.isObject()) throw new CompletionException(ApiError.invalid(null, "The body must be a JSON object."));
              return (ObjectNode) node;
            });
  }

  private static void onlyFields(ObjectNode body, Set<String> allowed) {
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw ApiError.invalid(f, "Unknown field \"" + f + "\"; expected " + String.join(", ", allowed.stream().sorted().toList()) + ".");
      }
    }
  }

  private static Integer intField(ObjectNode body, String name) {
    JsonNode v = body.get(name);
    if (v == null) return null;
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
      throw ApiError.invalid(name, "\"" + name + "\" must be a whole number >= 0, not " + v + ".");
    }
    return v.asInt();
  }

  private static <E> E enumField(ObjectNode body, String name, Function<String, E> parse) {
    JsonNode v = body.get(name);
    if (!v.isTextual()) throw ApiError.invalid(name, "\"" + name + "\" must be a string, not " + v + ".");
    try {
      return parse.apply(v.asText());
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid(name, e.getMessage() + ".");
    }
  }

  private static PoolCore.Mode modeField(ObjectNode body) {
    JsonNode v = body.get("mode");
    String expected = "\"drained\" (no new requests), \"pinned\" (preferred) or \"normal\"";
    if (v == null || !v.isTextual()) throw ApiError.invalid("mode", "Give \"mode\": " + expected + ".");
    return switch (v.asText().trim().toLowerCase(Locale.ROOT)) {
      case "drained" -> PoolCore.Mode.DRAINED;
      case "pinned" -> PoolCore.Mode.PINNED;
      case "normal" -> PoolCore.Mode.NORMAL;
      default -> throw ApiError.invalid("mode", "Unknown mode \"" + v.asText() + "\"; expected " + expected + ".");
    };
  }

  private static int limitParam(HttpRequest request, int dflt, int max) {
    Optional<String> v = request.getUri().query().get("limit");
    if (v.isEmpty()) return Math.min(dflt, max);
    try {
      int n = Integer.parseInt(v.get().trim());
      if (n >= 1 && n <= max) return n;
    } catch (NumberFormatException ignored) {
      // falls through to the error
    }
    throw ApiError.invalid("limit", "limit must be a whole number in 1.." + max + ", not \"" + v.get() + "\".");
  }

  /** The token's fingerprint, and the name the client gave in x-pickspin-operator, if any. */
  private String operator(HttpRequest request) {
    String name =
        request
            .getHeader("x-pickspin-operator")
            .map(h -> h.value().replaceAll("[^\\p{Graph} ]", "").trim())
            .map(s -> s.length() > 64 ? s.substring(0, 64) : s)
            .orElse("");
    return name.isEmpty() ? auth.fingerprint() : auth.fingerprint() + " (" + name + ")";
  }

  private static String client(HttpRequest request) {
    return request
        .getAttribute(AttributeKeys.remoteAddress)
        .flatMap(RemoteAddress::getAddress)
        .map(InetAddress::getHostAddress)
        .orElse("");
  }

  // ---- responses

  private ObjectNode entryJson(AdminAudit.Entry e) {
    ObjectNode n = json.createObjectNode();
    n.put("id", e.id());
    n.put("at", Instant.ofEpochMilli(e.atMs()).toString());
    n.put("operator", e.change().operator());
    n.put("client", e.change().client());
    n.put("action", e.change().action());
    n.put("target", e.change().target());
    try {
      n.set("details", json.readTree(e.change().details()));
    } catch (Exception ex) {
      n.put("details", e.change().details());
    }
    n.put("outcome", e.outcome());
    if (e.completedAtMs() >= 0) n.put("completedAt", Instant.ofEpochMilli(e.completedAtMs()).toString());
    return n;
  }

  private ObjectNode limitsJson(ReplicaLimits l) {
    ObjectNode n = json.createObjectNode();
    n.put("min", l.minReplicas());
    n.put("max", l.maxReplicas());
    n.put("warm", l.warm());
    return n;
  }

  private ObjectNode routingJson(RoutingDefaults.Choice c) {
    ObjectNode n = json.createObjectNode();
    n.put("profile", c.profile().wireName());
    n.put("router", c.router().wireName());
    return n;
  }

  private static ApiError unauthorizedError(BearerAuth.Refusal r) {
    return new ApiError(
        401, "authentication_error", r == BearerAuth.Refusal.WRONG ? "invalid_token" : "missing_token", null, r.message, 0);
  }

  private static HttpResponse unauthorized(BearerAuth.Refusal r) {
    return ErrorResponses.of(unauthorizedError(r)).addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"pickspin-admin\""));
  }

  private static ApiError replicaNotFound(ModelSpec spec, String replicaId, PoolStatus seen) {
    return new ApiError(
        404, "invalid_request_error", "replica_not_found", "replica",
        "Model " + spec.id() + " has no replica '" + replicaId + "' (replicas: "
            + String.join(", ", seen.replicas().stream().map(PoolStatus.ReplicaView::id).toList()) + ").",
        0);
  }

  /** A refusal from an actor (StatusReply error) becomes {@code status}; no answer becomes 503. */
  private static CompletionException refusedOrUnavailable(String who, Throwable t, int status, String code) {
    Throwable cause = Failures.unwrap(t);
    if (cause instanceof StatusReply.ErrorMessage e) {
      return new CompletionException(new ApiError(status, "invalid_request_error", code, null, e.getMessage(), 0));
    }
    return unavailable(who, t);
  }

  private static CompletionException unavailable(String who, Throwable t) {
    Throwable cause = Failures.unwrap(t);
    if (cause instanceof ApiError e) return new CompletionException(e);
    String why = cause instanceof TimeoutException ? "did not answer in time" : "failed: " + cause.getMessage();
    return new CompletionException(
        ApiError.serverError(503, "unavailable", who + " " + why + ". Try again."));
  }

  private HttpResponse errorResponse(Throwable t) {
    Throwable cause = Failures.unwrap(t);
    if (cause instanceof ApiError e) return ErrorResponses.of(e);
    log.error("admin request failed", cause);
    return ErrorResponses.of(ApiError.serverError(500, "internal_error", "Internal error: " + cause));
  }

  private static String describe(Throwable t) {
    Throwable cause = Failures.unwrap(t);
    return cause instanceof TimeoutException ? "no answer in time" : String.valueOf(cause.getMessage());
  }

  private HttpResponse json(StatusCode status, JsonNode body) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body.toString()));
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
