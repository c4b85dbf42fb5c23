package io.pickspin.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.LeaseProvider;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.RoutingTelemetry;
import io.pickspin.routing.UnknownModelException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible front door: {@code POST /v1/chat/completions}, {@code POST /v1/completions},
 * {@code GET /v1/models}, {@code GET /health}. It validates, asks the routing policy for a model, and hands the request
 * to {@link BackendForwarder}. Errors use OpenAI's error JSON.
 *
 * <p>A plain request handler rather than the routing DSL: the hot path is a few string compares.
 */
public final class Gateway {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  private static final ByteString KEEP_ALIVE = ByteString.fromString(": pickspin: waiting for a replica\n\n");
  private static final ContentType EVENT_STREAM = MediaTypes.TEXT_EVENT_STREAM.toContentType();

  private final GatewaySettings settings;
  private final Catalog catalog;
  private final RoutingPolicy routing;
  private final GatewayObserver observer;
  private final BackendForwarder forwarder;
  private final Materializer materializer;
  private final Map<String, Function<HttpRequest, CompletionStage<HttpResponse>>> pages;
  private final RoutingDefaults defaults;
  private final ObjectMapper json = new ObjectMapper();
  private final byte[] modelList;
  private volatile ServerBinding binding;
  /** Where the gateway listens when its connections run on the selector transport (then there is no binding). */
  private volatile SelectorTransport.Listener listener;

  private Gateway(
      ActorSystem<?> system,
      GatewaySettings settings,
      Catalog catalog,
      RoutingPolicy routing,
      LeaseProvider leases,
      GatewayObserver observer,
      RoutingDefaults defaults,
      Map<String, Function<HttpRequest, CompletionStage<HttpResponse>>> pages) {
    this.settings = settings;
    this.defaults = defaults;
    this.catalog = catalog;
    this.routing = routing;
    this.observer = observer;
    this.pages = Map.copyOf(pages);
    this.materializer = Materializer.matFromSystem(system);
    RoutingTelemetry telemetry = routing instanceof RoutingTelemetry t ? t : (m, k, o) -> {};
    this.forwarder = new BackendForwarder(system, settings, catalog, leases, telemetry, observer, json);
    this.modelList = modelListJson();
  }

  public static CompletionStage<Gateway> start(
      ActorSystem<?> system, GatewaySettings settings, Catalog catalog, RoutingPolicy routing, LeaseProvider leases) {
    return start(system, settings, catalog, routing, leases, GatewayObserver.NONE, RoutingDefaults.of(settings), Map.of());
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
    Gateway g = new Gateway(system, settings, catalog, routing, leases, observer, defaults, pages);
    ClientConnection.Budget budget = new ClientConnection.Budget(settings.backendMaxConnections());
    ClientConnection perConnection =
        new ClientConnection(g::handle, Gateway::unexpected, g.forwarder::connectionTo, g.forwarder.sharedPool(), budget, g.materializer);
    SelectorTransport transport = g.forwarder.transport();
    if (transport != null) {
      // Pekko HTTP's server protocol over the gateway's own sockets: as bindFlow, without Pekko's TCP actors
      ServerSettings server = ServerSettings.create(system.classicSystem());
      @SuppressWarnings({"unchecked", "rawtypes"})
      BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> plainText = (BidiFlow) TLSPlacebo.getInstance();
      BidiFlow<ByteString, HttpRequest, HttpResponse, ByteString, NotUsed> http =
          Http.get(system).serverLayer(server, Optional.empty(), system.classicSystem().log()).atop(plainText).reversed();
      // one blueprint for every connection (each run makes its own stages): building it was part of a first request
      Flow<ByteString, ByteString, NotUsed> connectionFlow = http.join(Flow.fromGraph(perConnection));
      scala.concurrent.duration.Duration idle = server.getTimeouts().idleTimeout();
      try {
        g.listener =
            transport.listen(
                new InetSocketAddress(settings.host(), settings.port()),
                server.getMaxConnections(),
                idle.isFinite() ? Duration.ofNanos(idle.toNanos()) : null,
                connectionFlow,
                g.materializer,
                system.executionContext());
      } catch (IOException e) {
        g.forwarder.close();
        BindException failure = new BindException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage());
        failure.initCause(e);
        return CompletableFuture.failedFuture(failure);
      }
      return CompletableFuture.completedFuture(g);
    }
    return Http.get(system)
        .newServerAt(settings.host(), settings.port())
        .bindFlow(Flow.fromGraph(perConnection))
        .thenApply(
            b -> {
              g.binding = b;
              return g;
            });
  }

  public int port() {
    SelectorTransport.Listener l = listener;
    return l != null ? l.localAddress().getPort() : binding.localAddress().getPort();
  }

  /**
   * Stops accepting connections and gives requests in flight up to {@code drain} to finish, streamed answers to their
   * last byte: Pekko's own terminate counts a request as done once its response headers are out, and would cut a
   * stream that is still flowing.
   */
  public CompletionStage<Done> stop(Duration drain) {
    SelectorTransport.Listener l = listener;
    if (l != null) {
      long deadline = System.nanoTime() + drain.toNanos();
      return l.unbind()
          .thenCompose(unbound -> whenNothingInFlight(deadline))
          // what is left past the drain is cut; idle keep-alive connections just close
          .thenCompose(idle -> l.closeConnections(Duration.ofSeconds(5)))
          .thenApply(
              closed -> {
                forwarder.close();
                return Done.getInstance();
              });
    }
    ServerBinding b = binding;
    if (b == null) return CompletableFuture.completedFuture(Done.getInstance());
    long deadline = System.nanoTime() + drain.toNanos();
    return b.unbind()
        .thenCompose(unbound -> whenNothingInFlight(deadline))
        // terminate needs a positive deadline; past the drain, what is left is cut at once
        .thenCompose(idle -> b.terminate(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()))))
        .thenApply(
            t -> {
              forwarder.close();
              return Done.getInstance();
            });
  }

  private CompletionStage<Void> whenNothingInFlight(long deadlineNanos) {
    if (forwarder.inFlight() == 0 || System.nanoTime() >= deadlineNanos) return CompletableFuture.completedFuture(null);
    return CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS))
        .thenCompose(x -> whenNothingInFlight(deadlineNanos));
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
    return ApiError.backend(StatusCodes.INTERNAL_SERVER_ERROR, "internal_error", "Internal error: " + BackendForwarder.unwrap(error))
        .toResponse();
  }

  /** @param backends how this request's client connection reaches replicas */
  CompletionStage<HttpResponse> handle(HttpRequest request, BackendClient backends) {
    String path = request.getUri().path();
    try {
      switch (path) {
        case "/v1/chat/completions":
          return post(request, CompletionRequest.Endpoint.CHAT, backends);
        case "/v1/completions":
          return post(request, CompletionRequest.Endpoint.TEXT, backends);
        case "/v1/models":
          requireGet(request, path);
          return jsonResponse(modelList);
        case "/health":
          requireGet(request, path);
          return jsonResponse("{\"status\":\"ok\"}".getBytes());
        default:
          if (path.startsWith("/v1/models/")) {
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
                  + ". This gateway serves POST /v1/chat/completions, POST /v1/completions and GET /v1/models.");
      }
    } catch (ApiError e) {
      request.discardEntityBytes(materializer);
      return CompletableFuture.completedFuture(e.toResponse());
    }
  }

  private CompletionStage<HttpResponse> post(HttpRequest request, CompletionRequest.Endpoint endpoint, BackendClient backends) {
    long start = System.nanoTime();
    if (request.method() != HttpMethods.POST) {
      throw new ApiError(
          StatusCodes.METHOD_NOT_ALLOWED, "invalid_request_error", "method_not_allowed", null,
          request.method().value() + " is not allowed on " + endpoint.path + "; use POST.", 0);
    }
    RequestEntity entity = request.entity();
    if (entity.getContentType().mediaType() != MediaTypes.APPLICATION_JSON) {
      throw new ApiError(
          StatusCodes.UNSUPPORTED_MEDIA_TYPE, "invalid_request_error", "unsupported_media_type", null,
          "The request body must be JSON with Content-Type: application/json, not " + entity.getContentType() + ".", 0);
    }
    if (entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() > settings.maxBodyBytes()) {
      throw tooLarge();
    }
    CompletionStage<byte[]> body =
        entity.isStrict()
            ? CompletableFuture.completedFuture(((org.apache.pekko.http.javadsl.model.HttpEntity.Strict) entity).getData().toArray())
            : entity
                .withSizeLimit(settings.maxBodyBytes())
                .toStrict(settings.idleTimeout().toMillis(), materializer)
                .thenApplyAsync(s -> s.getData().toArray(), BackendForwarder.SAME_THREAD);
    return body.handle(
            (bytes, err) -> {
              if (err != null) {
                Throwable cause = BackendForwarder.unwrap(err);
                ApiError e =
                    cause instanceof EntityStreamSizeException
                        ? tooLarge()
                        : ApiError.invalid(null, "The request body could not be read: " + cause.getMessage());
                return CompletableFuture.completedFuture(e.toResponse());
              }
              try {
                return complete(request, endpoint, bytes, backends, start);
              } catch (ApiError e) {
                observer.finished("none", Tier.MEDIUM, GatewayObserver.Outcome.CLIENT_ERROR, System.nanoTime() - start, -1);
                return CompletableFuture.completedFuture(e.toResponse());
              }
            })
        .thenCompose(s -> s);
  }

  private CompletionStage<HttpResponse> complete(
      HttpRequest http, CompletionRequest.Endpoint endpoint, byte[] bytes, BackendClient backends, long start) {
    CompletionRequest request = CompletionRequest.parse(json, endpoint, bytes, http, defaults.get());
    RouteDecision decision;
    long routeStart = System.nanoTime();
    try {
      decision = routing.decide(request.route());
    } catch (UnknownModelException e) {
      throw ApiError.modelNotFound(request.route().requestedModel());
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid(null, e.getMessage());
    }
    long routeNanos = System.nanoTime() - routeStart;
    observer.routed(decision, routeNanos);
    BackendForwarder.Forwarded forwarded = forwarder.forward(request, backends, decision, start, routeNanos);
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
    return early.thenApply(r -> r != null ? r : heldStream(answer, decision));
  }

  private HttpResponse heldStream(CompletableFuture<HttpResponse> answer, RouteDecision decision) {
    Source<ByteString, ?> events =
        Source.completionStage(answer)
            .flatMapConcat(
                r -> r.status().isSuccess()
                    ? r.entity().getDataBytes()
                    : r.entity().getDataBytes().fold(ByteString.emptyByteString(), ByteString::concat)
                        .map(err -> ByteString.fromString("data: ").concat(err).concat(ByteString.fromString("\n\ndata: [DONE]\n\n"))))
            .keepAlive(settings.keepAliveInterval(), () -> KEEP_ALIVE);
    return HttpResponse.create()
        .withEntity(HttpEntities.createChunked(EVENT_STREAM, events))
        .addHeaders(
            List.of(
                RawHeader.create("x-pickspin-model", decision.model()),
                RawHeader.create("x-pickspin-tier", decision.tier().name().toLowerCase(Locale.ROOT)),
                RawHeader.create("x-pickspin-router", decision.router()),
                RawHeader.create("x-pickspin-held", "true")));
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
      throw new ApiError(
          StatusCodes.METHOD_NOT_ALLOWED, "invalid_request_error", "method_not_allowed", null,
          request.method().value() + " is not allowed on " + path + "; use GET.", 0);
    }
  }

  private ApiError tooLarge() {
    return new ApiError(
        StatusCodes.PAYLOAD_TOO_LARGE, "invalid_request_error", "request_too_large", null,
        "The request body is larger than the limit of " + settings.maxBodyBytes() + " bytes (pickspin.gateway.max-body-bytes).", 0);
  }

  private static CompletionStage<HttpResponse> jsonResponse(byte[] body) {
    return CompletableFuture.completedFuture(
        HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body)));
  }
}
