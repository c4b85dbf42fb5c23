package io.pickspin.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pickspin.api.ApiError;
import io.pickspin.concurrent.Failures;
import io.pickspin.keys.ApiKey;
import io.pickspin.keys.KeyGuard;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.LeaseProvider;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteExplanation;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.RoutingSettings;
import io.pickspin.routing.RoutingTelemetry;
import io.pickspin.routing.UnknownModelException;
import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.rl.PoolStateView;
import java.net.BindException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible front door: {@code POST /v1/chat/completions}, {@code POST /v1/completions},
 * {@code POST /v1/embeddings} (to the catalogue's embeddings models), {@code GET /v1/models}, {@code GET /alive},
 * {@code GET /ready}, and {@code POST /v1/route}, which answers the routing decision for a chat or completion body
 * without forwarding it. It validates, asks the routing policy for a model (through
 * {@link ClassifierDispatcher}, which keeps the learned classifier off Pekko's threads), and hands the request to
 * {@link BackendForwarder}. Errors use OpenAI's error JSON.
 *
 * <p>It serves on Pekko HTTP's server layer ({@link HttpListener}, which adds a request-head timeout) with one
 * {@link ConnectionHandler} blueprint for every connection. A plain request handler rather than the routing DSL: the hot path is a few string compares.
 */
public final class Gateway {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  private static final ContentType EVENT_STREAM = MediaTypes.TEXT_EVENT_STREAM.toContentType();

  private final GatewaySettings settings;
  private final Catalog catalog;
  private final ClassifierDispatcher dispatcher;
  private final GatewayObserver observer;
  private final BackendForwarder forwarder;
  private final Materializer materializer;
  /** Where a request goes on once a classifier thread has routed it: off the classifier's threads. */
  private final Executor afterClassifier;
  private final Map<String, Function<HttpRequest, CompletionStage<HttpResponse>>> pages;
  private final RoutingDefaults defaults;
  private final ObjectMapper json = new ObjectMapper();
  private final byte[] modelList;
  /** The keys' limits and usage; null when clients do not authenticate. */
  private final KeyGuard keys;
  private final Supplier<CompletionStage<List<String>>> readiness;
  private volatile HttpListener server;
  /** Set when stopping begins: a request arriving on a kept connection then gets a 503 that closes the connection. */
  private volatile boolean stopping;

  /**
   * What a gateway needs beyond routing and leases.
   *
   * @param keys the API keys when {@code pickspin.gateway.auth = keys}, else null
   * @param backendCredentials the API keys backends need
   * @param readiness what keeps this node from serving ({@code GET /ready} answers 503 with it), empty when ready
   */
  public record Services(
      KeyGuard keys,
      BackendCredentials backendCredentials,
      Supplier<CompletionStage<List<String>>> readiness,
      PoolStateView pools) {
    public static final Services NONE =
        new Services(null, BackendCredentials.NONE, () -> CompletableFuture.completedFuture(List.of()), m -> PoolStateView.ModelLoad.IDLE);

    public Services {
      if (pools == null) pools = m -> PoolStateView.ModelLoad.IDLE;
    }

    public Services(KeyGuard keys, BackendCredentials backendCredentials, Supplier<CompletionStage<List<String>>> readiness) {
      this(keys, backendCredentials, readiness, null);
    }
  }

  private Gateway(
      ActorSystem<?> system,
      GatewaySettings settings,
      Catalog catalog,
      RoutingPolicy routing,
      LeaseProvider leases,
      GatewayObserver observer,
      RoutingDefaults defaults,
      Map<String, Function<HttpRequest, CompletionStage<HttpResponse>>> pages,
      Services services) {
    if (settings.auth() == GatewaySettings.Auth.KEYS && services.keys() == null) {
      throw new IllegalArgumentException("pickspin.gateway.auth = keys needs the key store");
    }
    this.keys = settings.auth() == GatewaySettings.Auth.KEYS ? services.keys() : null;
    this.readiness = services.readiness();
    this.settings = settings;
    this.defaults = defaults;
    this.catalog = catalog;
    this.dispatcher =
        new ClassifierDispatcher(routing, settings.classifierThreads(), settings.classifierQueueSize(),
            settings.classifierMaxWait(), observer::classifierFallback);
    this.observer = observer;
    this.pages = Map.copyOf(pages);
    this.materializer = Materializer.matFromSystem(system);
    this.afterClassifier = system.executionContext();
    RoutingTelemetry telemetry = routing instanceof RoutingTelemetry t ? t : (m, k, o) -> {};
    this.forwarder =
        new BackendForwarder(system, settings, catalog, leases, telemetry, observer, json, keys, services.backendCredentials(),
            services.pools());
    this.modelList = modelListJson();
  }

  /** A gateway with the routing defaults of the actor system's {@code pickspin.routing}, no observer and no pages. */
  public static CompletionStage<Gateway> start(
      ActorSystem<?> system, GatewaySettings settings, Catalog catalog, RoutingPolicy routing, LeaseProvider leases) {
    RoutingDefaults defaults =
        RoutingDefaults.of(RoutingSettings.fromConfig(system.settings().config().getConfig("pickspin.routing")));
    return start(system, settings, catalog, routing, leases, GatewayObserver.NONE, defaults, Map.of());
  }

  /**
   * @param defaults the profile and router of requests that name none; the admin API may switch them
   * @param pages extra GET pages by exact path (the status page and its JSON), served beside the API
   */
  public static CompletionStage<Gateway> start(
      ActorSystem<?> system,
      GatewaySettings settings,
      Catalog catalog,
      RoutingPolicy routing,
      LeaseProvider leases,
      GatewayObserver observer,
      RoutingDefaults defaults,
      Map<String, Function<HttpRequest, CompletionStage<HttpResponse>>> pages) {
    return start(system, settings, catalog, routing, leases, observer, defaults, pages, Services.NONE);
  }

  /** As above, with the API keys, backend credentials and readiness check of {@code services}. */
  public static CompletionStage<Gateway> start(
      ActorSystem<?> system,
      GatewaySettings settings,
      Catalog catalog,
      RoutingPolicy routing,
      LeaseProvider leases,
      GatewayObserver observer,
      RoutingDefaults defaults,
      Map<String, Function<HttpRequest, CompletionStage<HttpResponse>>> pages,
      Services services) {
    Gateway g = new Gateway(system, settings, catalog, routing, leases, observer, defaults, pages, services);
    // one blueprint for every connection (each run makes its own stage logic)
    Flow<HttpRequest, HttpResponse, ?> perConnection =
        Flow.fromGraph(new ConnectionHandler(g::handle, Gateway::unexpected, g.materializer));
    CompletionStage<HttpListener> bound;
    try {
      bound = HttpListener.bind(system, settings.host(), settings.port(), settings.tls(), settings.headerTimeout(),
          ServerSettings.create(system.classicSystem()), () -> perConnection);
    } catch (RuntimeException e) {
      bound = CompletableFuture.failedFuture(e);
    }
    return bound
        .handle(
            (b, err) -> {
              if (err != null) {
                g.dispatcher.close();
                Throwable cause = Failures.unwrap(err);
                BindException failure =
                    new BindException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + cause.getMessage());
                failure.initCause(cause);
                throw new CompletionException(failure);
              }
              g.server = b;
              return g;
            });
  }

  public int port() {
    return server.localAddress().getPort();
  }

  /**
   * Stops accepting connections and gives requests in flight up to {@code drain} to finish, streamed answers to their
   * last byte (a request counts until its answer's last byte, not only its response headers), then closes the
   * connections left.
   */
  public CompletionStage<Done> stop(Duration drain) {
    HttpListener s = server;
    if (s == null) return CompletableFuture.completedFuture(Done.getInstance());
    stopping = true;
    // past the drain, or with nothing left in flight, the connections left (idle ones, cut streams) close
    return s.stop(drain, forwarder::inFlight)
        .thenApply(
            t -> {
              dispatcher.close();
              return Done.getInstance();
            });
  }

  public CompletionStage<Done> stop() {
    return stop(Duration.ofSeconds(10));
  }

  /** The answer when handling a request failed in a way the handler did not turn into an error response itself. */
  private static HttpResponse unexpected(Throwable error) {
    log.error("request failed unexpectedly", error);
    return internalError(error);
  }

  private static HttpResponse internalError(Throwable error) {
    return ErrorResponses.of(ApiError.serverError(500, "internal_error", "Internal error: " + Failures.unwrap(error)));
  }

  /** @param clientGone completes if the client goes away before the answer went out */
  CompletionStage<HttpResponse> handle(HttpRequest request, CompletionStage<Done> clientGone) {
    if (stopping) {
      // as Pekko HTTP's graceful termination answers: the client learns to retry elsewhere instead of seeing a bare close
      request.discardEntityBytes(materializer);
      return CompletableFuture.completedFuture(
          ErrorResponses.of(ApiError.shuttingDown()).addHeader(Connection.create("close")));
    }
    String path = request.getUri().path();
    try {
      switch (path) {
        case "/v1/chat/completions":
          return completion(request, CompletionRequest.Endpoint.CHAT, clientGone, admitted(request));
        case "/v1/completions":
          return completion(request, CompletionRequest.Endpoint.TEXT, clientGone, admitted(request));
        case "/v1/embeddings":
          return completion(request, CompletionRequest.Endpoint.EMBEDDINGS, clientGone, admitted(request));
        case "/v1/route":
          authenticated(request);
          return post(request, path, bytes -> route(request, bytes));
        case "/v1/models":
          authenticated(request);
          requireGet(request, path);
          return jsonResponse(modelList);
        case "/health":
        case "/alive":
          // the process serves: what a liveness probe asks
          requireGet(request, path);
          return jsonResponse("{\"status\":\"ok\"}".getBytes());
        case "/ready":
          requireGet(request, path);
          return ready();
        default:
          if (path.startsWith("/v1/models/")) {
            authenticated(request);
            requireGet(request, path);
            return model(path.substring("/v1/models/".length()));
          }
          Function<HttpRequest, CompletionStage<HttpResponse>> page = pages.get(path);
          if (page != null) {
            requireGet(request, path);
            return page.apply(request);
          }
          request.discardEntityBytes(materializer);
          throw ApiError.notFound(
              "No such endpoint: " + request.method().value() + " " + path
                  + ". This gateway serves POST /v1/chat/completions, POST /v1/completions, POST /v1/embeddings,"
                  + " POST /v1/route and GET /v1/models.");
      }
    } catch (ApiError e) {
      request.discardEntityBytes(materializer);
      return CompletableFuture.completedFuture(ErrorResponses.of(e));
    }
  }

  /** The request's key, or null without authentication; throws the 401 of a missing or unknown key. */
  private ApiKey authenticated(HttpRequest request) {
    if (keys == null) return null;
    return keys.authenticate(request.getHeader("Authorization").map(HttpHeader::value));
  }

  /** The request's key once its limits admit it, or null without authentication; throws the 401, or the 429. */
  private ApiKey admitted(HttpRequest request) {
    ApiKey key = authenticated(request);
    if (key != null) keys.admit(key);
    return key;
  }

  /** {@code GET /ready}: 200 when this node can serve, else 503 with what keeps it from serving. */
  private CompletionStage<HttpResponse> ready() {
    return readiness
        .get()
        .handle(
            (problems, err) -> {
              List<String> why = err != null ? List.of("readiness check failed: " + Failures.unwrap(err)) : problems;
              ObjectNode n = json.createObjectNode();
              n.put("status", why.isEmpty() ? "ready" : "not-ready");
              ArrayNode a = n.putArray("problems");
              why.forEach(a::add);
              return HttpResponse.create()
                  .withStatus(why.isEmpty() ? 200 : 503)
                  .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, n.toString()));
            });
  }

  private CompletionStage<HttpResponse> completion(
      HttpRequest request, CompletionRequest.Endpoint endpoint, CompletionStage<Done> clientGone, ApiKey key) {
    long start = System.nanoTime();
    return post(request, endpoint.path, bytes -> {
      try {
        return complete(request, endpoint, bytes, clientGone, start, key);
      } catch (ApiError e) {
        return refused(e, start);
      }
    });
  }

  /**
   * Checks a POST's method, content type and size, reads its body and hands it to {@code handle}; a body that cannot be
   * read is answered here.
   */
  private CompletionStage<HttpResponse> post(
      HttpRequest request, String path, Function<byte[], CompletionStage<HttpResponse>> handle) {
    if (request.method() != HttpMethods.POST) {
      throw ApiError.methodNotAllowed(request.method().value(), path, "POST");
    }
    RequestEntity entity = request.entity();
    if (entity.getContentType().mediaType() != MediaTypes.APPLICATION_JSON) {
      throw ApiError.unsupportedMediaType(entity.getContentType().toString());
    }
    if (entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() > settings.maxBodyBytes()) {
      throw tooLarge();
    }
    CompletionStage<byte[]> body =
        entity.isStrict()
            ? CompletableFuture.completedFuture(((org.apache.pekko.http.javadsl.model.HttpEntity.Strict) entity).getData().toArray())
            : entity
                .withSizeLimit(settings.maxBodyBytes())
                .toStrict(settings.bodyTimeout().toMillis(), materializer)
                .thenApplyAsync(s -> s.getData().toArray(), BackendForwarder.SAME_THREAD);
    return body.handle(
            (bytes, err) -> {
              if (err != null) {
                Throwable cause = Failures.unwrap(err);
                ApiError e =
                    cause instanceof EntityStreamSizeException
                        ? tooLarge()
                        : ApiError.invalid(null, "The request body could not be read: " + cause.getMessage());
                return CompletableFuture.completedFuture(ErrorResponses.of(e));
              }
              return handle.apply(bytes);
            })
        .thenCompose(s -> s);
  }

  private CompletionStage<HttpResponse> refused(ApiError e, long start) {
    observer.finished("none", Tier.MEDIUM, GatewayObserver.Outcome.CLIENT_ERROR, System.nanoTime() - start, -1);
    return CompletableFuture.completedFuture(ErrorResponses.of(e));
  }

  private CompletionStage<HttpResponse> complete(
      HttpRequest http, CompletionRequest.Endpoint endpoint, byte[] bytes, CompletionStage<Done> clientGone, long start,
      ApiKey key) {
    CompletionRequest request = CompletionRequest.parse(json, endpoint, bytes, http, defaults.get(), settings.streamUsage());
    long routeStart = System.nanoTime();
    if (endpoint == CompletionRequest.Endpoint.EMBEDDINGS) {
      // nothing to route: the client names the embeddings model
      RouteExplanation named = RouteExplanation.of(embeddingsDecision(request.route().requestedModel()), request.route().profile());
      return routed(request, CompletableFuture.completedFuture(named), clientGone, start, routeStart, key);
    }
    String model = request.route().requestedModel();
    if (catalog.find(model).filter(ModelSpec::embeddings).isPresent()) {
      throw ApiError.invalid(
          "model", "Model '" + model + "' is an embeddings model: it serves POST /v1/embeddings only, not " + endpoint.path + ".");
    }
    return whenExplained(
        dispatcher.explain(request.route()), explained -> routed(request, explained, clientGone, start, routeStart, key));
  }

  /**
   * Goes on with a routing decision: at once when it was made on this thread, else from the classifier thread that made
   * it on Pekko's dispatcher.
   */
  private CompletionStage<HttpResponse> whenExplained(
      CompletableFuture<RouteExplanation> explained,
      Function<CompletableFuture<RouteExplanation>, CompletionStage<HttpResponse>> next) {
    if (explained.isDone()) return next.apply(explained);
    return explained.handleAsync((x, err) -> next.apply(explained), afterClassifier).thenCompose(s -> s);
  }

  /** The routing decision; throws the client error that routing found (an unknown model, a bad value) as an ApiError. */
  private static RouteExplanation explanation(CompletableFuture<RouteExplanation> explained, CompletionRequest request) {
    try {
      return explained.join();
    } catch (CompletionException e) {
      Throwable cause = Failures.unwrap(e);
      if (cause instanceof UnknownModelException) throw ApiError.modelNotFound(request.route().requestedModel());
      if (cause instanceof IllegalArgumentException) throw ApiError.invalid(null, cause.getMessage());
      throw e;
    }
  }

  /** Forwards a routed request, or answers why it could not be routed. */
  private CompletionStage<HttpResponse> routed(
      CompletionRequest request, CompletableFuture<RouteExplanation> explained, CompletionStage<Done> clientGone, long start,
      long routeStart, ApiKey key) {
    RouteExplanation route;
    try {
      route = explanation(explained, request);
      if (key != null) checkModels(key, route.decision(), request);
    } catch (ApiError e) {
      return refused(e, start);
    }
    RouteDecision decision = route.decision();
    long routeNanos = System.nanoTime() - routeStart;
    observer.routed(decision, routeNanos);
    // a streamed request's client may also leave after a held stream's 200 went out: the held stream's end tells
    CompletableFuture<Done> streamGone = request.stream() ? new CompletableFuture<>() : null;
    if (streamGone != null) clientGone.thenRun(() -> streamGone.complete(Done.getInstance()));
    BackendForwarder.Forwarded forwarded =
        forwarder.forward(request, streamGone != null ? streamGone : clientGone, route, start, routeNanos, key);
    CompletableFuture<HttpResponse> answer =
        forwarded
            .answer()
            .toCompletableFuture()
            .exceptionally(
                t -> {
                  log.error("request for {} failed unexpectedly", decision.model(), t);
                  return internalError(t);
                });
    if (!request.stream() || !forwarded.waitingForReplica()) return answer;
    // a streamed request that must wait for a replica gets its 200 after the grace and SSE comments while it waits,
    // so that clients and proxies with read timeouts keep the connection
    CompletableFuture<HttpResponse> early = answer.copy();
    early.completeOnTimeout(null, settings.streamHoldGrace().toMillis(), TimeUnit.MILLISECONDS);
    return early.thenApply(r -> r != null ? r : heldStream(answer, route, streamGone));
  }

  /**
   * The route of an embeddings request: the model it names, which must be an embeddings model of the catalogue.
   *
   * @throws ApiError 400 for "auto" or a completion model, 404 for a model the catalogue does not have
   */
  private RouteDecision embeddingsDecision(String model) {
    List<String> embeddingsModels = catalog.models().stream().filter(ModelSpec::embeddings).map(ModelSpec::id).toList();
    String which = embeddingsModels.isEmpty()
        ? "This gateway's catalogue has no embeddings model (a model with embeddings = true)."
        : "Its embeddings models: " + String.join(", ", embeddingsModels) + ".";
    if (RouteRequest.AUTO.equals(model)) {
      throw ApiError.invalid("model", "POST /v1/embeddings needs a named model, not \"auto\". " + which);
    }
    ModelSpec spec = catalog.find(model).orElseThrow(() -> ApiError.modelNotFound(model));
    if (!spec.embeddings()) {
      throw ApiError.invalid("model", "Model '" + model + "' is not an embeddings model. " + which);
    }
    return new RouteDecision(spec.id(), spec.tier(), "explicit", List.of());
  }

  /**
   * Refuses (403) a request whose key may use neither the model it named nor, for "auto", any model the router chose or
   * would fall back to. The forwarder checks every model again before it is tried.
   */
  private static void checkModels(ApiKey key, RouteDecision decision, CompletionRequest request) {
    if (key.allows(decision.model())) return;
    boolean named = !RouteRequest.AUTO.equals(request.route().requestedModel());
    if (named || decision.fallbacks().stream().noneMatch(key::allows)) KeyGuard.checkModel(key, decision.model());
  }

  /** {@code POST /v1/route}: the decision for a chat or completion body, without forwarding it or starting a replica. */
  private CompletionStage<HttpResponse> route(HttpRequest http, byte[] bytes) {
    CompletionRequest request;
    try {
      request = CompletionRequest.parseChatOrText(json, bytes, http, defaults.get());
    } catch (ApiError e) {
      return CompletableFuture.completedFuture(ErrorResponses.of(e));
    }
    return whenExplained(dispatcher.explain(request.route()), explained -> {
      try {
        return jsonResponse(routeJson(explanation(explained, request)));
      } catch (ApiError e) {
        return CompletableFuture.completedFuture(ErrorResponses.of(e));
      }
    });
  }

  /**
   * The route API's answer: model, tier, router, profile, complexity (null for a named model), probabilities (one-hot
   * on the tier for the keyword rules; null for a named model), scores by model, fallbacks, and the reason and the
   * keyword phrase when there are any.
   */
  private byte[] routeJson(RouteExplanation x) {
    RouteDecision d = x.decision();
    ObjectNode n = json.createObjectNode();
    n.put("object", "pickspin.route");
    n.put("model", d.model());
    n.put("tier", d.tier().name().toLowerCase(Locale.ROOT));
    n.put("router", d.router());
    n.put("profile", x.profile() == null ? null : x.profile().wireName());
    Classification c = x.classification();
    if (c == null) {
      n.putNull("complexity");
      n.putNull("probabilities");
    } else {
      n.put("complexity", c.complexity());
      ObjectNode p = n.putObject("probabilities");
      float[] given = c.probabilities() != null && c.probabilities().length == Tier.values().length ? c.probabilities() : null;
      for (Tier t : Tier.values()) {
        p.put(t.name().toLowerCase(Locale.ROOT), given != null ? given[t.ordinal()] : t == c.tier() ? 1.0 : 0.0);
      }
      if (c.evidence() != null) n.put("keyword", c.evidence());
    }
    ObjectNode scores = n.putObject("scores");
    x.scores().forEach(scores::put);
    ArrayNode fallbacks = n.putArray("fallbacks");
    d.fallbacks().forEach(fallbacks::add);
    if (d.reason() != null) n.put("reason", d.reason());
    return n.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * @param clientGone completed here when the client leaves before the answer came: the forwarder then stops waiting
   *     for a replica, and an answer that still comes is run to its end, so that its lease is released
   */
  private HttpResponse heldStream(
      CompletableFuture<HttpResponse> answer, RouteExplanation route, CompletableFuture<Done> clientGone) {
    RouteDecision decision = route.decision();
    AtomicBoolean relayed = new AtomicBoolean();
    Source<ByteString, ?> events =
        Source.completionStage(answer)
            .flatMapConcat(
                r -> {
                  relayed.set(true);
                  return r.status().isSuccess()
                      ? r.entity().getDataBytes()
                      : r.entity().getDataBytes().fold(ByteString.emptyByteString(), ByteString::concat)
                          .map(err -> ByteString.fromString("data: ").concat(err).concat(ByteString.fromString("\n\n")).concat(SseEvents.DONE));
                })
            .keepAlive(settings.keepAliveInterval(), () -> SseEvents.KEEP_ALIVE)
            .watchTermination(
                (mat, done) -> {
                  done.whenComplete(
                      (d, err) -> {
                        if (relayed.get()) return;
                        clientGone.complete(Done.getInstance());
                        answer.thenAccept(r -> r.discardEntityBytes(materializer));
                      });
                  return mat;
                });
    List<HttpHeader> headers = new ArrayList<>(6);
    headers.add(RawHeader.create("x-pickspin-model", decision.model()));
    headers.add(RawHeader.create("x-pickspin-tier", decision.tier().name().toLowerCase(Locale.ROOT)));
    headers.add(RawHeader.create("x-pickspin-router", decision.router()));
    if (route.complexity() != null) {
      headers.add(RawHeader.create("x-pickspin-complexity", BackendForwarder.fraction3(route.complexity())));
    }
    if (decision.reason() != null) headers.add(RawHeader.create("x-pickspin-route-reason", decision.reason()));
    headers.add(RawHeader.create("x-pickspin-held", "true"));
    return HttpResponse.create().withEntity(HttpEntities.createChunked(EVENT_STREAM, events)).addHeaders(headers);
  }

  private CompletionStage<HttpResponse> model(String id) {
    if (RouteRequest.AUTO.equals(id)) return jsonResponse(modelJson(id, "pickspin").toString().getBytes());
    ModelSpec spec = catalog.find(id).orElseThrow(() -> ApiError.modelNotFound(id));
    return jsonResponse(modelJson(spec.id(), "pickspin").toString().getBytes());
  }

  private byte[] modelListJson() {
    ObjectNode root = json.createObjectNode();
    root.put("object", "list");
    ArrayNode data = root.putArray("data");
    data.add(modelJson(RouteRequest.AUTO, "pickspin"));
    for (ModelSpec m : catalog.models()) {
      ObjectNode n = modelJson(m.id(), "pickspin");
      n.put("tier", m.tier().name().toLowerCase(Locale.ROOT));
      n.put("served_name", m.servedName());
      if (m.embeddings()) n.put("embeddings", true);
      data.add(n);
    }
    return root.toString().getBytes();
  }

  private ObjectNode modelJson(String id, String owner) {
    ObjectNode n = json.createObjectNode();
    n.put("id", id);
    n.put("object", "model");
    n.put("created", 0);
    n.put("owned_by", owner);
    return n;
  }

  private static void requireGet(HttpRequest request, String path) {
    if (request.method() != HttpMethods.GET) {
      throw ApiError.methodNotAllowed(request.method().value(), path, "GET");
    }
  }

  private ApiError tooLarge() {
    return ApiError.tooLarge(settings.maxBodyBytes(), "pickspin.gateway.max-body-bytes");
  }

  private static CompletionStage<HttpResponse> jsonResponse(byte[] body) {
    return CompletableFuture.completedFuture(
        HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body)));
  }
}
