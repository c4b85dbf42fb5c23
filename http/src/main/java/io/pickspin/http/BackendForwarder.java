package io.pickspin.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.api.ApiError;
import io.pickspin.concurrent.Failures;
import io.pickspin.keys.ApiKey;
import io.pickspin.keys.KeyGuard;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.Lease;
import io.pickspin.pool.LeaseProvider;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.pool.Outcome;
import io.pickspin.pool.PoolException;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteExplanation;
import io.pickspin.routing.RoutingTelemetry;
import io.pickspin.routing.rl.PoolStateView;
import io.pickspin.scaling.Spill;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.Graph;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpEntity.ChunkStreamPart;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.AbruptStageTerminationException;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BufferOverflowException;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SubscriptionWithCancelException;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a routed request to a replica over Pekko HTTP's client and streams the answer back without buffering it. Each
 * replica (host:port) has one of Pekko's cached connection pools, bounded by {@code backend-max-connections}; its
 * connections are kept open for later requests.
 *
 * <p>No accepted request is dropped while nothing has been streamed: a replica that refuses the connection, times out
 * before its first byte, or answers 5xx is released as faulty and the request goes to another replica of the same
 * model, then to the router's fallback models, up to {@code max-attempts} sends. A request whose open connection the
 * replica closed or reset before answering (most often a kept connection the replica's keep-alive timer closed just as
 * the request went out) is sent to the same replica once more, over a new connection, before the replica is blamed.
 * Once answer bytes flow to the client the request is committed: if the replica of a streamed answer dies then, the
 * answer resumes on another replica of the model (held, as any request, while none is ready), which continues the text
 * already sent ({@link StreamSplice}), up to {@code resume.max-attempts} times; past that, or when the answer cannot be
 * continued, it ends with an error event and [DONE].
 */
final class BackendForwarder {
  private static final Logger log = LoggerFactory.getLogger(BackendForwarder.class);
  /**
   * Runs a callback on the thread that completes the stage. Pekko's CompletionStages (Scala futures converted) run
   * their non-async callbacks asynchronously on the common pool, which on a machine with two or fewer cores starts a
   * new thread per callback; our callbacks are short and never block, so they take this executor instead.
   */
  static final Executor SAME_THREAD = Runnable::run;
  /** Backends whose parsed URIs are kept at most (replicas come and go). */
  private static final int MAX_CACHED_URIS = 4096;
  private static final String[] TIER_NAMES = tierNames();

  private final Http http;
  private final HttpsConnectionContext https;
  private final Materializer materializer;
  private final ActorSystem<?> system;
  private final ConnectionPoolSettings pool;
  private final GatewaySettings settings;
  private final Catalog catalog;
  private final LeaseProvider leases;
  private final RoutingTelemetry telemetry;
  private final GatewayObserver observer;
  private final ObjectMapper json;
  /** The keys' limits and usage; null when clients do not authenticate. */
  private final KeyGuard keys;
  private final BackendCredentials credentials;
  private final org.apache.pekko.event.LoggingAdapter clientLog;
  /** Backend URIs by base URL and endpoint: parsing a URI string costs more than building the rest of a request. */
  private final Map<java.net.URI, Uri[]> uris = new ConcurrentHashMap<>();
  /** Tokens per prompt block when the pools choose replicas by prompt prefix (pickspin.pool.replica-choice), else 0. */
  private final int promptBlockTokens;
  /** Requests between {@link #forward} and their one end (answer streamed out, or failed): what a drain waits for. */
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Ready replicas per model as this node last saw them (the cold start a spill avoids). */
  private final PoolStateView pools;
  /** Output tokens a request is assumed to ask for before the answer says (pickspin.scaling.assumed-output-tokens). */
  private final int assumedOutputTokens;

  BackendForwarder(
      ActorSystem<?> system,
      GatewaySettings settings,
      Catalog catalog,
      LeaseProvider leases,
      RoutingTelemetry telemetry,
      GatewayObserver observer,
      ObjectMapper json,
      KeyGuard keys,
      BackendCredentials credentials,
      PoolStateView pools) {
    this.keys = keys;
    this.pools = pools;
    this.assumedOutputTokens = system.settings().config().getInt("pickspin.scaling.assumed-output-tokens");
    this.credentials = credentials;
    this.http = Http.get(system);
    this.https = http.defaultClientHttpsContext();
    this.system = system;
    this.materializer = Materializer.matFromSystem(system);
    this.settings = settings;
    this.catalog = catalog;
    this.leases = leases;
    this.telemetry = telemetry;
    this.observer = observer;
    this.json = json;
    this.clientLog = system.classicSystem().log();
    io.pickspin.pool.PoolSettings poolSettings =
        io.pickspin.pool.PoolSettings.fromConfig(system.settings().config().getConfig("pickspin.pool"));
    this.promptBlockTokens = poolSettings.replicaChoice().usesPrefixes() ? poolSettings.prefixBlockTokens() : 0;
    int maxConnections = settings.backendMaxConnections();
    this.pool =
        ConnectionPoolSettings.create(system.classicSystem())
            .withMaxConnections(maxConnections)
            // must be a power of two, and at least max-connections so bursts queue in the pool, not fail
            .withMaxOpenRequests(Integer.highestOneBit(Math.max(1, maxConnections - 1)) << 1)
            // no backoff after a failed connect: the failed request goes to another replica at once, and Pekko's
            // backoff (up to minutes) would only hold back the next requests the lease desk sends to this one
            .withBaseConnectionBackoff(Duration.ZERO)
            .withConnectionSettings(
                ClientConnectionSettings.create(system.classicSystem())
                    .withConnectingTimeout(toScala(settings.connectTimeout()))
                    .withIdleTimeout(toScala(settings.idleTimeout().plus(settings.firstByteTimeout()))));
  }

  /** The client closed its connection before the answer started: no replica is to blame, and no one waits for a retry. */
  static final class ClientGone extends RuntimeException {
    ClientGone() {
      super("the client closed its connection before the answer started", null, false, false);
    }
  }

  /**
   * The gateway's half of {@link Spill}: when the router's choice has no ready replica and a cold start would take the
   * request past its deadline, the first fallback with a ready replica goes first (the cold model stays a later
   * fallback). The router already prices a cold start into its ranking; this covers a choice made when nothing fit.
   */
  private void spillFromCold(List<String> models, long deadlineMs) {
    if (models.size() < 2 || pools.load(models.get(0)).replicas() > 0) return;
    ModelSpec cold = catalog.find(models.get(0)).orElse(null);
    if (cold == null) return;
    if (!Spill.coldStartMisses(cold, assumedOutputTokens, deadlineMs, cold.latency().coldStartMs())) return;
    for (int i = 1; i < models.size(); i++) {
      if (pools.load(models.get(i)).replicas() > 0) {
        models.add(0, models.remove(i));
        observer.spilled(cold.id(), models.get(0));
        return;
      }
    }
  }

  /** One request's way through replicas and fallback models. */
  private final class Attempt {
    final CompletionRequest request;
    final CompletionStage<Done> clientGone;
    final RouteDecision decision;
    /** The prompt's complexity for the x-pickspin-complexity header, or null. */
    final String complexity;
    final long startNanos;
    final long routeNanos;
    /** The client's key, or null without authentication. */
    final ApiKey key;
    final List<String> models = new ArrayList<>();
    final Map<String, Set<String>> tried = new HashMap<>();
    int modelIndex;
    int sends;
    /** A lease was not to be had at once. */
    boolean waitedForReplica;
    ApiError lastError;
    /** The body of a broken stream's continuation, or null for the client's request. */
    final byte[] continuation;
    /** The lease whose replica answered a continuation, and when it was sent. */
    Lease answeredBy;
    long answerSentNanos;

    /** The continuation of a stream whose replica broke off: the same model, not on a replica that broke. */
    Attempt(Attempt original, String model, Set<String> broken, byte[] continuation, CompletionStage<Done> streamGone) {
      this.request = original.request;
      this.clientGone = streamGone;
      this.decision = original.decision;
      this.complexity = original.complexity;
      this.startNanos = System.nanoTime();
      this.routeNanos = original.routeNanos;
      this.key = original.key;
      this.continuation = continuation;
      models.add(model);
      tried.put(model, new HashSet<>(broken));
    }

    private long[] promptBlocks;

    Attempt(
        CompletionRequest request, CompletionStage<Done> clientGone, RouteExplanation route, long startNanos, long routeNanos,
        ApiKey key) {
      this.key = key;
      this.continuation = null;
      this.request = request;
      this.clientGone = clientGone;
      this.decision = route.decision();
      this.complexity = route.complexity() == null ? null : fraction3(route.complexity());
      this.startNanos = startNanos;
      this.routeNanos = routeNanos;
      // only the models the key may use; the gateway refused the request when none is left
      if (key == null || key.allows(decision.model())) models.add(decision.model());
      for (String f : decision.fallbacks()) if (!models.contains(f) && (key == null || key.allows(f))) models.add(f);
      if (models.isEmpty()) models.add(decision.model());
      if (request.route().isAuto()) spillFromCold(models, request.route().deadlineMs());
    }

    String model() {
      return models.get(modelIndex);
    }

    Tier tier() {
      return catalog.find(model()).map(ModelSpec::tier).orElse(decision.tier());
    }

    boolean nextModel() {
      if (modelIndex + 1 >= models.size()) return false;
      modelIndex++;
      return true;
    }

    /** The prompt's block hashes for a prefix-aware pool (hashed once, on the first lease); empty when not needed. */
    long[] promptBlocks() {
      if (promptBlocks == null) {
        promptBlocks = promptBlockTokens == 0 ? new long[0]
            : io.pickspin.prefix.OpenAiPromptBlocks.of(request.body(request.route().requestedModel()), promptBlockTokens);
      }
      return promptBlocks;
    }

    Duration holdLeft() {
      Duration left = settings.maxHold().minusNanos(System.nanoTime() - startNanos);
      return left.isNegative() ? Duration.ZERO : left;
    }
  }

  /**
   * @param clientGone completes if the client goes away before the answer went out
   * @param startNanos when the gateway received the request
   * @param routeNanos how long the routing decision took
   */
  Forwarded forward(
      CompletionRequest request, CompletionStage<Done> clientGone, RouteExplanation route, long startNanos, long routeNanos,
      ApiKey key) {
    inFlight.incrementAndGet();
    Attempt a = new Attempt(request, clientGone, route, startNanos, routeNanos, key);
    CompletionStage<HttpResponse> answer = acquire(a);
    return new Forwarded(answer, a.waitedForReplica);
  }

  /**
   * @param answer the response, with its answer still streaming
   * @param waitingForReplica no replica could be leased at once: the request waits for one (a model scaling from zero)
   */
  record Forwarded(CompletionStage<HttpResponse> answer, boolean waitingForReplica) {}

  private CompletionStage<HttpResponse> acquire(Attempt a) {
    String model = a.model();
    if (a.key != null && a.continuation == null) {
      // on every model, fallbacks included: a fallback must not serve what the key may not use or cannot pay for
      try {
        KeyGuard.checkModel(a.key, model);
        keys.checkQuota(a.key);
      } catch (ApiError e) {
        return CompletableFuture.completedFuture(fail(a, e));
      }
    }
    long askedNanos = System.nanoTime();
    Set<String> exclude = a.tried.getOrDefault(model, Set.of());
    // the model the client named is not one the router may move: the pool's consolidation must know
    boolean named = !a.request.route().isAuto() && a.modelIndex == 0;
    CompletionStage<Lease> leased =
        leases.acquire(new LeaseRequest(model, exclude, a.holdLeft(), a.promptBlocks(), named));
    if (!leased.toCompletableFuture().isDone()) a.waitedForReplica = true;
    return leased
        .handleAsync(
            (lease, err) -> {
              if (err == null) {
                long heldNanos = System.nanoTime() - askedNanos;
                if (heldNanos > 1_000_000) observer.held(model, heldNanos);
                return send(a, lease);
              }
              Throwable cause = Failures.unwrap(err);
              if (cause instanceof PoolException pe) {
                if (pe.reason() == PoolException.Reason.UNAVAILABLE) {
                  if (a.nextModel()) return acquire(a);
                  // every replica was tried: what went wrong with them says more than "none left"
                  if (a.lastError != null) return CompletableFuture.completedFuture(fail(a, a.lastError));
                }
                return CompletableFuture.completedFuture(fail(a, poolError(model, pe)));
              }
              log.error("lease for {} failed", model, cause);
              return CompletableFuture.completedFuture(
                  fail(a, ApiError.serverError(500, "internal_error", "Could not lease a replica of " + model + ": " + cause)));
            },
            SAME_THREAD)
        .thenCompose(s -> s);
  }

  private CompletionStage<HttpResponse> send(Attempt a, Lease lease) {
    a.sends++;
    ModelSpec spec = catalog.get(lease.model());
    byte[] body = a.continuation != null ? a.continuation : a.request.body(spec.servedName());
    HttpRequest backendRequest =
        HttpRequest.create()
            .withMethod(HttpMethods.POST)
            .withUri(uri(lease.backend().baseUrl(), a.request.endpoint()))
            .addHeaders(a.request.forwardHeaders())
            .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body));
    HttpHeader backendKey = credentials.header(lease.model(), lease.backend().id());
    if (backendKey != null) backendRequest = backendRequest.addHeader(backendKey);
    long sentNanos = System.nanoTime();
    CompletableFuture<HttpResponse> answered = responseHead(backendRequest, a.clientGone);
    return answered
        .handle(
            (response, err) -> {
              if (err != null) {
                Throwable cause = Failures.unwrap(err);
                if (cause instanceof ClientGone) {
                  releaseOnce(lease, Outcome.failure(millisSince(sentNanos), "client-gone", false), new AtomicBoolean());
                  return CompletableFuture.completedFuture(fail(a, ApiError.serverError(400, "client_gone", cause.getMessage())));
                }
                boolean timedOut = cause instanceof TimeoutException;
                releaseOnce(lease, Outcome.failure(millisSince(sentNanos), timedOut ? "timeout" : "connect", true), new AtomicBoolean());
                ApiError e =
                    timedOut
                        ? ApiError.serverError(
                            504,
                            "backend_timeout",
                            "Replica " + lease.backend().id() + " of " + lease.model() + " sent nothing within " + settings.firstByteTimeout().toMillis() + " ms.")
                        : ApiError.serverError(
                            502,
                            "backend_unreachable",
                            "Replica " + lease.backend().id() + " of " + lease.model() + " is unreachable: " + cause.getMessage());
                return retry(a, lease, e);
              }
              if (response.status().intValue() >= 500) {
                response.discardEntityBytes(materializer);
                releaseOnce(lease, Outcome.failure(millisSince(sentNanos), "backend-" + response.status().intValue(), true), new AtomicBoolean());
                return retry(
                    a,
                    lease,
                    ApiError.serverError(
                        502,
                        "backend_error",
                        "Replica " + lease.backend().id() + " of " + lease.model() + " answered " + response.status().intValue() + "."));
              }
              if (a.continuation != null) {
                a.answeredBy = lease;
                a.answerSentNanos = sentNanos;
                return CompletableFuture.completedFuture(response);
              }
              return CompletableFuture.completedFuture(relay(a, lease, response, sentNanos));
            })
        .thenCompose(s -> s);
  }

  /**
   * The replica's response head, its entity still streaming. It fails with a {@link TimeoutException} when no head
   * arrived within the first-byte timeout, with {@link ClientGone} when the client left first, else as the exchange
   * failed. A head that arrives after either is drained, so that its pooled connection serves again.
   */
  private CompletableFuture<HttpResponse> responseHead(HttpRequest request, CompletionStage<Done> clientGone) {
    CompletableFuture<HttpResponse> head = new CompletableFuture<>();
    Cancellable firstByte =
        system.scheduler().scheduleOnce(settings.firstByteTimeout(), () -> head.completeExceptionally(new TimeoutException()), system.executionContext());
    head.whenComplete((r, err) -> firstByte.cancel());
    clientGone.thenRun(() -> head.completeExceptionally(new ClientGone()));
    exchange(request, head, true);
    return head;
  }

  /** @param mayResend whether a connection lost before the answer may send the request once more */
  private void exchange(HttpRequest request, CompletableFuture<HttpResponse> head, boolean mayResend) {
    if (head.isDone()) return; // the client has gone, or the first-byte timeout passed
    http.singleRequest(request, https, pool, clientLog)
        .whenCompleteAsync(
            (response, err) -> {
              if (err != null && mayResend && lostBeforeAnswer(Failures.unwrap(err))) {
                exchange(request, head, false);
                return;
              }
              boolean taken = err != null ? head.completeExceptionally(err) : head.complete(response);
              if (!taken && response != null) response.discardEntityBytes(materializer);
            },
            SAME_THREAD);
  }

  /**
   * Whether the request reached an open connection that then ended before the replica answered: not a failure to
   * connect (refused, unreachable, unknown host, connect timeout), nor a full pool.
   */
  static boolean lostBeforeAnswer(Throwable error) {
    if (error instanceof BufferOverflowException || error instanceof TimeoutException || error instanceof ClientGone) return false;
    for (Throwable c = error; c != null; c = c.getCause()) {
      if (c instanceof ConnectException || c instanceof UnknownHostException || c instanceof NoRouteToHostException) return false;
    }
    return true;
  }

  /** Another replica of the same model, else the next fallback model, while sends remain. */
  private CompletionStage<HttpResponse> retry(Attempt a, Lease failed, ApiError error) {
    a.lastError = error;
    a.tried.computeIfAbsent(failed.model(), k -> new HashSet<>()).add(failed.backend().id());
    if (a.sends >= settings.maxAttempts()) {
      return CompletableFuture.completedFuture(fail(a, error));
    }
    log.info("retrying request for {} after: {}", a.model(), error.getMessage());
    return acquire(a);
  }

  /** Streams the replica's answer to the client; the lease ends when the stream does. */
  private HttpResponse relay(Attempt a, Lease lease, HttpResponse response, long sentNanos) {
    ResponseEntity entity = response.entity();
    boolean success = response.status().isSuccess();
    AtomicBoolean released = new AtomicBoolean();
    List<HttpHeader> headers = decisionHeaders(a, lease);
    boolean sse = entity.getContentType().mediaType().toString().startsWith("text/event-stream");
    if (sse && success && a.request.stream() && !entity.isStrict() && settings.resumeMaxAttempts() > 0) {
      return relaySpliced(a, lease, response, sentNanos);
    }
    // usage counts only in answers that succeeded; the usage event goes when the gateway asked for it, not the client
    UsageTap tap =
        success ? new UsageTap(json, sse, settings.streamUsage() && !a.request.clientWantsStreamUsage(), budget(a)) : null;
    if (entity.isStrict()) {
      long ms = millisSince(sentNanos);
      ResponseEntity strict = entity;
      if (tap != null) {
        ByteString data = ((HttpEntity.Strict) entity).getData();
        ByteString passed = tap.onBytes(data).concat(tap.onEnd());
        if (passed.size() != data.size()) strict = HttpEntities.create(entity.getContentType(), passed);
      }
      finish(a, lease, released, success, ms, ms, success ? null : "backend-" + response.status().intValue(), tap);
      return HttpResponse.create().withStatus(response.status()).withEntity(strict).addHeaders(headers);
    }
    // a broken SSE answer still ends as SSE: an error event and [DONE], which clients understand
    Supplier<List<ByteString>> closing = sse ? () -> List.of(sseError(lease, "the replica stopped mid-answer"), SseEvents.DONE) : null;
    Relay.Ended ended =
        (firstByteNanos, err) -> {
          long ms = millisSince(sentNanos);
          long ttft = firstByteNanos < 0 ? -1 : (firstByteNanos - sentNanos) / 1_000_000;
          String error = err != null ? "stream-" + err.getClass().getSimpleName() : success ? null : "backend-" + response.status().intValue();
          finish(a, lease, released, error == null, ms, ttft, error, tap);
        };
    ResponseEntity relayed;
    if (entity instanceof org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked chunked) {
      Source<org.apache.pekko.http.scaladsl.model.HttpEntity.ChunkStreamPart, Object> chunks =
          chunked.getChunks().via(Relay.ofChunks(settings.idleTimeout(), closing, ended, tap));
      relayed = new org.apache.pekko.http.scaladsl.model.HttpEntity.Chunked(chunked.contentType(), chunks.asScala());
    } else {
      Source<ByteString, ?> bytes = entity.getDataBytes().via(Relay.ofBytes(settings.idleTimeout(), closing, ended, tap));
      relayed =
          entity.getContentLengthOption().isPresent() && !sse
              ? HttpEntities.create(entity.getContentType(), entity.getContentLengthOption().getAsLong(), bytes)
              : HttpEntities.createChunked(entity.getContentType(), bytes);
    }
    return HttpResponse.create().withStatus(response.status()).withEntity(relayed).addHeaders(headers);
  }

  /** The budget a streamed answer's tokens are taken from as they go out: its key's, when it has one; else null. */
  private UsageTap.Budget budget(Attempt a) {
    ApiKey key = a.key;
    if (key == null || key.maxTokensTotal() <= 0 || !a.request.stream()) return null;
    return new UsageTap.Budget() {
      @Override
      public boolean take() {
        return keys.takeStreamedToken(key);
      }

      @Override
      public ApiError spent() {
        return KeyGuard.budgetSpent(key);
      }
    };
  }

  /**
   * A streamed answer that survives its replica: the replica's events pass through a {@link StreamSplice}, and when the
   * answer breaks off, its continuation from another replica takes over ({@link #resumed}), up to
   * {@code resume.max-attempts} times. Each replica's lease ends with its segment; the request counts once, at the end.
   */
  private HttpResponse relaySpliced(Attempt a, Lease lease, HttpResponse response, long sentNanos) {
    StreamSplice splice = new StreamSplice(json, a.request.endpoint());
    Splicing s = new Splicing(lease, sentNanos);
    UsageTap tap = new UsageTap(json, true, settings.streamUsage() && !a.request.clientWantsStreamUsage(), budget(a));
    Source<ByteString, NotUsed> answer =
        segment(response.entity().getDataBytes(), splice)
            .recoverWithRetries(
                settings.resumeMaxAttempts(),
                new PFBuilder<Throwable, Graph<SourceShape<ByteString>, NotUsed>>()
                    .matchAny(failure -> resumed(a, s, splice, failure))
                    .build());
    Supplier<List<ByteString>> closing =
        () -> List.of(
            sseError(s.lastLease, "the replica stopped mid-answer, and the answer had resumed " + splice.breaks()
                + " times before, the most allowed (pickspin.gateway.resume.max-attempts)"),
            SseEvents.DONE);
    Relay.Ended ended =
        (firstByteNanos, err) -> {
          long ms = millisSince(sentNanos);
          long ttft = firstByteNanos < 0 ? -1 : (firstByteNanos - sentNanos) / 1_000_000;
          Lease current = s.end();
          String error = err != null ? "stream-" + err.getClass().getSimpleName() : s.failure;
          Outcome outcome = outcome(a, error == null, ms, ttft, error, tap);
          if (current != null) releaseOnce(current, outcome, s.released);
          account(a, current != null ? current : s.lastLease, outcome, error == null, ms, ttft, tap);
        };
    Source<ByteString, NotUsed> relayed = answer.via(Relay.ofSplicedBytes(closing, ended, tap));
    return HttpResponse.create()
        .withStatus(response.status())
        .withEntity(HttpEntities.createChunked(response.entity().getContentType(), relayed))
        .addHeaders(decisionHeaders(a, lease));
  }

  /** One replica's part of a spliced answer: cut when silent for the idle timeout, whole events only. */
  private Source<ByteString, NotUsed> segment(Source<ByteString, ?> bytes, StreamSplice splice) {
    return bytes.idleTimeout(settings.idleTimeout()).map(splice::onBytes).mapMaterializedValue(m -> NotUsed.notUsed());
  }

  /**
   * What follows a segment that broke off: its replica's lease ends as faulty, and the answer goes on from a
   * continuation on another replica of the model, or closes when its text was whole, or ends with an error event.
   */
  private Source<ByteString, NotUsed> resumed(Attempt a, Splicing s, StreamSplice splice, Throwable failure) {
    Lease broken = s.broke();
    Outcome faulty = Outcome.failure(millisSince(s.sentNanos), "stream-" + failure.getClass().getSimpleName(), true);
    releaseOnce(broken, faulty, s.released);
    telemetry.record(broken.model(), broken.backend().kind(), faulty);
    StreamSplice.Next next = splice.broke(a.request.body(catalog.get(broken.model()).servedName()));
    switch (next.step()) {
      case COMPLETE:
        return Source.empty();
      case FINISH:
        return Source.single(splice.closingEvents());
      case CANNOT:
        s.failure = "stream-not-resumable";
        return Source.from(List.of(sseError(broken, "the replica stopped mid-answer, and " + next.why()), SseEvents.DONE));
      default:
        break;
    }
    log.info("resuming a stream of {} after {} tokens: replica {} broke off ({})", broken.model(), splice.tokensSent(),
        broken.backend().id(), failure.toString());
    observer.resumed(broken.model(), splice.tokensSent());
    CompletableFuture<Done> streamGone = new CompletableFuture<>();
    s.waitFor(streamGone);
    Attempt continuation = new Attempt(a, broken.model(), s.broken, next.body(), streamGone);
    CompletionStage<Source<ByteString, NotUsed>> continued =
        acquire(continuation)
            .thenApply(response -> continuationSource(continuation, s, splice, response));
    return Source.completionStageSource(continued)
        .keepAlive(settings.keepAliveInterval(), () -> SseEvents.KEEP_ALIVE)
        .mapMaterializedValue(m -> NotUsed.notUsed());
  }

  /** The continuation's events, or its error as an event and [DONE] when no replica would continue the answer. */
  private Source<ByteString, NotUsed> continuationSource(
      Attempt continuation, Splicing s, StreamSplice splice, HttpResponse response) {
    Lease lease = continuation.answeredBy;
    if (lease != null && !s.adopt(lease, continuation.answerSentNanos)) {
      // the client left while the continuation was on its way
      response.discardEntityBytes(materializer);
      releaseOnce(lease, Outcome.failure(millisSince(continuation.answerSentNanos), "client-gone", false), new AtomicBoolean());
      return Source.empty();
    }
    if (!response.status().isSuccess()) {
      if (lease != null) releaseOnce(lease, Outcome.failure(millisSince(continuation.answerSentNanos), "backend-" + response.status().intValue(), false), s.released);
      s.failure = "resume-" + response.status().intValue();
      Lease broken = s.lastLease;
      return response.entity().getDataBytes()
          .fold(ByteString.emptyByteString(), ByteString::concat)
          .map(err -> sseError(broken, "the replica stopped mid-answer, and no replica continued it: " + errorMessage(err)).concat(SseEvents.DONE))
          .mapMaterializedValue(m -> NotUsed.notUsed());
    }
    return Source.single(splice.resumedNote(lease.backend().id())).concat(segment(response.entity().getDataBytes(), splice));
  }

  /** The message of an OpenAI error body, else the body as text. */
  private String errorMessage(ByteString body) {
    try {
      com.fasterxml.jackson.databind.JsonNode message = json.readTree(body.toArray()).path("error").path("message");
      if (message.isTextual()) return message.textValue();
    } catch (java.io.IOException notJson) {
      // said as it is
    }
    return body.utf8String();
  }

  /**
   * The replicas of one spliced answer: whose segment streams now, and when the answer ended. The stream's end and a
   * continuation's arrival may race (the client leaves while a replica is found), so both go through this lock.
   */
  private static final class Splicing {
    /** Replicas whose segments broke off: a continuation goes elsewhere. */
    final Set<String> broken = new HashSet<>();
    /** The replica streaming now, null while a continuation is on its way. */
    private Lease lease;
    /** The last replica that streamed, for error events and the request's count. */
    volatile Lease lastLease;
    volatile long sentNanos;
    volatile AtomicBoolean released = new AtomicBoolean();
    /** Why the answer ended badly though its stream did not fail, or null. */
    volatile String failure;
    private boolean over;
    private CompletableFuture<Done> continuationGone;

    Splicing(Lease lease, long sentNanos) {
      this.lease = lease;
      this.lastLease = lease;
      this.sentNanos = sentNanos;
    }

    /** The streaming replica broke off; returns its lease. */
    synchronized Lease broke() {
      Lease l = lease == null ? lastLease : lease;
      lease = null;
      broken.add(l.backend().id());
      return l;
    }

    /** A continuation is being sought; {@code gone} completes if the answer ends meanwhile. */
    synchronized void waitFor(CompletableFuture<Done> gone) {
      continuationGone = gone;
    }

    /** The continuation's replica streams now; false when the answer had ended (the caller releases the lease). */
    synchronized boolean adopt(Lease l, long sent) {
      if (over) return false;
      lease = l;
      lastLease = l;
      sentNanos = sent;
      released = new AtomicBoolean();
      continuationGone = null;
      return true;
    }

    /** The answer ended; returns the lease still to release, or null. */
    synchronized Lease end() {
      over = true;
      if (continuationGone != null) continuationGone.complete(Done.getInstance());
      return lease;
    }
  }

  /**
   * The relayed answer's stream stage: it notes the first byte, replaces a failure by the given closing events if any,
   * and reports how the answer ended, exactly once. One stage instead of map + recoverWithRetries + watchTermination:
   * every streamed answer materialises it, so fewer stages is less work per request. Pekko's {@code idleTimeout}
   * ahead of it fails an answer that stays silent for longer than the idle timeout (see {@link #ofBytes}).
   *
   * <p>It also coalesces: while the client side is still busy with the previous chunk, chunks that arrive meanwhile
   * (up to {@link #COALESCE_BYTES}) are joined and go out as one. A burst of tokens then costs one chunk and one socket
   * write instead of one each, and a token that arrives while the client side is idle still goes out at once.
   *
   * <p>It takes and gives either bytes ({@link #ofBytes}) or the HTTP chunks of a chunked answer ({@link #ofChunks}):
   * relaying chunks as chunks spares two conversion stages per answer, each materialised per request and passed per
   * chunk. An empty part (the last chunk) is dropped; the client side ends the answer with its own last chunk.
   *
   * @param <I> what the replica's answer is made of
   * @param <O> what the client's answer is made of
   */
  static final class Relay<I, O> extends GraphStage<FlowShape<I, O>> {
    /** The most bytes held back while the client side is busy; beyond it, back-pressure reaches the replica. */
    static final int COALESCE_BYTES = 64 * 1024;

    /** How the answer ended: {@code error} is null when it completed (or a failure was replaced by closing events). */
    interface Ended {
      void ended(long firstByteNanos, Throwable error);
    }

    private final Inlet<I> in = Inlet.create("Relay.in");
    private final Outlet<O> out = Outlet.create("Relay.out");
    private final FlowShape<I, O> shape = FlowShape.of(in, out);
    private final Function<I, ByteString> bytesOf;
    private final Function<ByteString, O> partOf;
    private final Supplier<List<ByteString>> closingOnFailure;
    private final Ended ended;
    /** Reads the answer's usage on its way (and may take out its usage event), or null. */
    private final UsageTap tap;

    private Relay(
        Function<I, ByteString> bytesOf, Function<ByteString, O> partOf, Supplier<List<ByteString>> closingOnFailure,
        Ended ended, UsageTap tap) {
      this.bytesOf = bytesOf;
      this.partOf = partOf;
      this.closingOnFailure = closingOnFailure;
      this.ended = ended;
      this.tap = tap;
    }

    /**
     * The relay of an answer's bytes, failed (or closed) by a {@link org.apache.pekko.stream.StreamIdleTimeoutException}
     * when no bytes arrive for {@code idleTimeout}.
     *
     * @param closingOnFailure what to send instead of failing the stream (built only then), or null to fail it
     */
    static Flow<ByteString, ByteString, NotUsed> ofBytes(
        Duration idleTimeout, Supplier<List<ByteString>> closingOnFailure, Ended ended) {
      return ofBytes(idleTimeout, closingOnFailure, ended, null);
    }

    /** As above, with the answer's usage read by {@code tap} (null: none). */
    static Flow<ByteString, ByteString, NotUsed> ofBytes(
        Duration idleTimeout, Supplier<List<ByteString>> closingOnFailure, Ended ended, UsageTap tap) {
      return Flow.<ByteString>create().idleTimeout(idleTimeout).via(new Relay<>(b -> b, b -> b, closingOnFailure, ended, tap));
    }

    /** The relay of a spliced answer's bytes: its segments have idle timeouts of their own. */
    static Flow<ByteString, ByteString, NotUsed> ofSplicedBytes(
        Supplier<List<ByteString>> closingOnFailure, Ended ended, UsageTap tap) {
      return Flow.fromGraph(new Relay<>(b -> b, b -> b, closingOnFailure, ended, tap));
    }

    /**
     * The relay of a chunked answer's chunks, as {@link #ofBytes}.
     *
     * @param closingOnFailure what to send instead of failing the stream (built only then), or null to fail it
     */
    static Flow<ChunkStreamPart, org.apache.pekko.http.scaladsl.model.HttpEntity.ChunkStreamPart, NotUsed> ofChunks(
        Duration idleTimeout, Supplier<List<ByteString>> closingOnFailure, Ended ended) {
      return ofChunks(idleTimeout, closingOnFailure, ended, null);
    }

    /** As above, with the answer's usage read by {@code tap} (null: none). */
    static Flow<ChunkStreamPart, org.apache.pekko.http.scaladsl.model.HttpEntity.ChunkStreamPart, NotUsed> ofChunks(
        Duration idleTimeout, Supplier<List<ByteString>> closingOnFailure, Ended ended, UsageTap tap) {
      // Scala API chunks: Pekko's Java API builds chunked entities from bytes only
      return Flow.<ChunkStreamPart>create()
          .idleTimeout(idleTimeout)
          .via(new Relay<>(
              ChunkStreamPart::data, b -> new org.apache.pekko.http.scaladsl.model.HttpEntity.Chunk(b, ""), closingOnFailure,
              ended, tap));
    }

    @Override
    public FlowShape<I, O> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new GraphStageLogic(shape) {
        private long firstByteNanos = -1;
        private boolean reported;
        private ByteString pending = ByteString.emptyByteString(); // received, not yet taken by the client side

        {
          setHandler(in, new AbstractInHandler() {
            @Override
            public void onPush() {
              ByteString chunk = bytesOf.apply(grab(in));
              if (!chunk.isEmpty() && firstByteNanos < 0) firstByteNanos = System.nanoTime();
              if (tap != null) chunk = tap.onBytes(chunk);
              if (tap != null && tap.cut()) {
                endForBudget(chunk);
                return;
              }
              if (chunk.isEmpty()) {
                pull(in);
                return;
              }
              if (pending.isEmpty() && isAvailable(out)) push(out, partOf.apply(chunk));
              else pending = pending.concat(chunk);
              if (pending.size() < COALESCE_BYTES) pull(in);
            }

            @Override
            public void onUpstreamFinish() {
              if (tap != null) pending = pending.concat(tap.onEnd());
              report(null);
              if (pending.isEmpty()) {
                completeStage();
              } else {
                emit(out, takePending(), () -> completeStage());
              }
            }

            @Override
            public void onUpstreamFailure(Throwable cause) {
              failOrClose(cause);
            }
          });
          setHandler(out, new AbstractOutHandler() {
            @Override
            public void onPull() {
              if (!pending.isEmpty()) push(out, takePending());
              if (!isClosed(in) && !hasBeenPulled(in)) pull(in);
            }

            @Override
            public void onDownstreamFinish(Throwable cause) throws Exception {
              // as watchTermination: a plain cancel is a normal end, a cancel with a cause is that failure
              report(cause instanceof SubscriptionWithCancelException.NonFailureCancellation ? null : cause);
              super.onDownstreamFinish(cause);
            }
          });
        }

        private O takePending() {
          ByteString p = pending;
          pending = ByteString.emptyByteString();
          return partOf.apply(p);
        }

        /**
         * The key's budget ran out mid-answer: what it paid for goes out, then the tap's closing events; the replica's
         * rest is not wanted, so it stops generating. The answer ended well as far as the replica is concerned.
         */
        private void endForBudget(ByteString last) {
          cancel(in);
          report(null);
          List<O> closing = new ArrayList<>(3);
          if (!pending.isEmpty()) closing.add(takePending());
          if (!last.isEmpty()) closing.add(partOf.apply(last));
          closing.add(partOf.apply(tap.cutEvents()));
          emitMultiple(out, closing.iterator(), this::completeStage);
        }

        private void failOrClose(Throwable cause) {
          report(cause);
          if (closingOnFailure == null) {
            failStage(cause);
          } else {
            // what arrived before the failure still goes out, ahead of the closing events
            List<O> closing = new ArrayList<>();
            if (!pending.isEmpty()) closing.add(takePending());
            for (ByteString event : closingOnFailure.get()) closing.add(partOf.apply(event));
            emitMultiple(out, closing.iterator(), this::completeStage);
          }
        }

        @Override
        public void postStop() {
          if (!reported) report(new AbruptStageTerminationException(this));
        }

        private void report(Throwable error) {
          if (reported) return;
          reported = true;
          ended.ended(firstByteNanos, error);
        }
      };
    }
  }

  private ByteString sseError(Lease lease, String why) {
    ApiError e =
        ApiError.serverError(
            502,
            "backend_stream_error",
            "Replica " + lease.backend().id() + " of " + lease.model() + " failed after the answer started: " + why + ".");
    return ByteString.fromString("data: " + e.json() + "\n\n");
  }

  /** @param tap the answer's usage, or null */
  private void finish(
      Attempt a, Lease lease, AtomicBoolean released, boolean ok, long ms, long ttftMs, String error, UsageTap tap) {
    Outcome outcome = outcome(a, ok, ms, ttftMs, error, tap);
    if (!releaseOnce(lease, outcome, released)) return;
    account(a, lease, outcome, ok, ms, ttftMs, tap);
  }

  /**
   * How a request ended, for its lease. The answer's own length (its usage) lets the service matrix and the pool's
   * deadline samples compare it with the profile; the deadline and the time since arrival tell the scaler whether the
   * request was on time.
   */
  private static Outcome outcome(Attempt a, boolean ok, long ms, long ttftMs, String error, UsageTap tap) {
    if (!ok) return Outcome.failure(ms, error, error != null && error.startsWith("stream-"));
    int outputTokens = tap != null && tap.found() ? (int) tap.completionTokens() : 0;
    return Outcome.success(ms, ttftMs, outputTokens)
        .withDeadline(a.request.route().deadlineMs(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - a.startNanos));
  }

  /** Counts a request once at its end: in flight, tokens for its key and the metrics, telemetry, the observer. */
  private void account(Attempt a, Lease lease, Outcome outcome, boolean ok, long ms, long ttftMs, UsageTap tap) {
    inFlight.decrementAndGet();
    if (tap != null && tap.found()) {
      observer.tokens(lease.model(), tap.promptTokens(), tap.completionTokens());
    }
    // a key's request counts once it was sent, with the tokens its answer reported (none when it reported none)
    if (a.key != null) {
      keys.record(
          a.key.name(), lease.model(), tap != null ? tap.promptTokens() : 0, tap != null ? tap.completionTokens() : 0,
          tap != null ? tap.budgetTaken() : 0);
    }
    telemetry.record(lease.model(), lease.backend().kind(), outcome);
    long total = System.nanoTime() - a.startNanos;
    observer.finished(
        lease.model(),
        a.tier(),
        a.request.route().profile(),
        ok ? GatewayObserver.Outcome.OK : GatewayObserver.Outcome.BACKEND_ERROR,
        total,
        ttftMs < 0 ? -1 : total - TimeUnit.MILLISECONDS.toNanos(ms - ttftMs));
  }

  private boolean releaseOnce(Lease lease, Outcome outcome, AtomicBoolean released) {
    if (!released.compareAndSet(false, true)) return false;
    try {
      leases.release(lease, outcome);
    } catch (RuntimeException e) {
      log.warn("releasing lease {} of {} failed: {}", lease.id(), lease.model(), e.toString());
    }
    return true;
  }

  private HttpResponse fail(Attempt a, ApiError error) {
    if (a.continuation != null) return ErrorResponses.of(error); // the stream it continues ends, and counts, once
    inFlight.decrementAndGet();
    GatewayObserver.Outcome outcome =
        switch (error.status()) {
          case 400 -> GatewayObserver.Outcome.CLIENT_ERROR;
          case 429 -> GatewayObserver.Outcome.OVERLOADED;
          case 503 -> GatewayObserver.Outcome.UNAVAILABLE;
          case 504 -> GatewayObserver.Outcome.TIMEOUT;
          default -> GatewayObserver.Outcome.BACKEND_ERROR;
        };
    observer.finished(a.model(), a.tier(), a.request.route().profile(), outcome, System.nanoTime() - a.startNanos, -1);
    return ErrorResponses.of(error).addHeaders(decisionHeaders(a, null));
  }

  private static ApiError poolError(String model, PoolException e) {
    return switch (e.reason()) {
      case OVERLOADED ->
          new ApiError(
              429,
              "rate_limit_error",
              "model_overloaded",
              null,
              "Model " + model + " is at capacity and its wait queue is full: " + e.getMessage(),
              Math.max(1, e.retryAfterSeconds()));
      case TIMED_OUT ->
          new ApiError(
              503,
              "server_error",
              "model_not_ready",
              null,
              "No replica of " + model + " became ready in time: " + e.getMessage(),
              Math.max(1, e.retryAfterSeconds()));
      case UNAVAILABLE ->
          new ApiError(
              503,
              "server_error",
              "model_unavailable",
              null,
              "Model " + model + " has no replica to serve this request: " + e.getMessage(),
              e.retryAfterSeconds());
    };
  }

  private List<HttpHeader> decisionHeaders(Attempt a, Lease lease) {
    List<HttpHeader> h = new ArrayList<>(8);
    h.add(RawHeader.create("x-pickspin-model", a.model()));
    h.add(RawHeader.create("x-pickspin-tier", TIER_NAMES[a.tier().ordinal()]));
    h.add(RawHeader.create("x-pickspin-router", a.decision.router()));
    h.add(RawHeader.create("x-pickspin-route-ms", millis3(a.routeNanos)));
    if (a.complexity != null) h.add(RawHeader.create("x-pickspin-complexity", a.complexity));
    if (a.decision.reason() != null) h.add(RawHeader.create("x-pickspin-route-reason", a.decision.reason()));
    if (lease != null) h.add(RawHeader.create("x-pickspin-backend", lease.backend().id()));
    if (a.sends > 1) h.add(RawHeader.create("x-pickspin-attempts", Integer.toString(a.sends)));
    return h;
  }

  /** The backend's URI of an endpoint, parsed once per backend. */
  private Uri uri(java.net.URI baseUrl, CompletionRequest.Endpoint endpoint) {
    Uri[] forBackend = uris.get(baseUrl);
    if (forBackend == null) {
      if (uris.size() >= MAX_CACHED_URIS) uris.clear(); // replicas come and go: bound the cache
      CompletionRequest.Endpoint[] all = CompletionRequest.Endpoint.values();
      forBackend = new Uri[all.length];
      for (CompletionRequest.Endpoint e : all) forBackend[e.ordinal()] = Uri.create(baseUrl.toString() + e.path);
      uris.put(baseUrl, forBackend);
    }
    return forBackend[endpoint.ordinal()];
  }

  /** Requests forwarded and not yet ended; a streamed answer counts until its last byte. */
  int inFlight() {
    return inFlight.get();
  }

  /** Nanoseconds as milliseconds with three decimals ("0.042"), without String.format's cost. */
  static String millis3(long nanos) {
    long micros = Math.max(0, (nanos + 500) / 1000);
    long frac = micros % 1000;
    return (micros / 1000) + (frac < 10 ? ".00" : frac < 100 ? ".0" : ".") + frac;
  }

  /** A fraction in [0,1] with three decimals ("0.042"), without String.format's cost. */
  static String fraction3(double x) {
    long thousandths = Math.round(Math.max(0, Math.min(1, x)) * 1000);
    if (thousandths == 1000) return "1.000";
    return "0." + (thousandths < 10 ? "00" : thousandths < 100 ? "0" : "") + thousandths;
  }

  private static String[] tierNames() {
    Tier[] tiers = Tier.values();
    String[] names = new String[tiers.length];
    for (Tier t : tiers) names[t.ordinal()] = t.name().toLowerCase(java.util.Locale.ROOT);
    return names;
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  private static scala.concurrent.duration.FiniteDuration toScala(Duration d) {
    return scala.concurrent.duration.FiniteDuration.apply(d.toNanos(), TimeUnit.NANOSECONDS);
  }
}
