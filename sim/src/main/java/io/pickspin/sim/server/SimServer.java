package io.pickspin.sim.server;

import io.pickspin.api.ApiError;
import io.pickspin.concurrent.Failures;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated GPU model server that speaks the OpenAI API like vLLM. It stands in for real backends in tests, demos,
 * the chaos suite and the gateway-overhead benchmark, so it is honest about time: every delay it shows is one its
 * latency profile asks for, and never less.
 *
 * <h2>Endpoints</h2>
 * <ul>
 *   <li>{@code POST /v1/chat/completions} (messages) and {@code POST /v1/completions} (prompt): OpenAI request and
 *       response shapes. The answer has {@code max_completion_tokens} (else {@code max_tokens}) tokens and ends with
 *       finish_reason "length"; without a limit it has {@code pickspin.sim.default-max-tokens} and ends with "stop".
 *       Its text is short words, one word per token, separated by single spaces. prompt_tokens is the number of
 *       whitespace-separated words of the prompt text (all message contents for chat).
 *   <li>{@code stream: true}: {@code text/event-stream}, one {@code data: {chunk}} event per token (the first carries
 *       the assistant role), a finish chunk, a usage chunk with empty choices if
 *       {@code stream_options.include_usage}, then {@code data: [DONE]}.
 *   <li>{@code POST /v1/embeddings} (input: a string, strings, token ids or token id arrays): OpenAI's embeddings
 *       response, with deterministic unit vectors ({@link Embeddings}; 64 dimensions unless the request asks for
 *       {@code dimensions}; {@code encoding_format} float or base64) and usage.prompt_tokens counting the words. Every
 *       model the server serves answers it, after its TTFT.
 *   <li>{@code GET /v1/models}: the OpenAI model list. {@code GET /health}: 200 {"status":"ok"} once every model has
 *       loaded, 503 {"status":"loading"} before. {@code GET /metrics-lite}: per-model counters as JSON.
 * </ul>
 * Bad input gets an OpenAI error body {@code {"error":{"message","type","param","code"}}}: 400 for a body that is not
 * a JSON object, lacks messages/prompt or has a bad field value, 404 (code model_not_found) for a model the server
 * does not serve, 404/405 for unknown paths and methods, 413 for a body over pickspin.sim.max-request-bytes.
 *
 * <h2>Timing</h2>
 * Each model generates at most {@code latency.maxBatch()} requests at once; further requests wait in arrival order
 * (FIFO) and their time to first token includes the wait. Once a request has a slot, its first token comes TTFT after
 * that and each next one TPOT after the previous; a non-streamed answer goes out when its last token would have, at
 * TTFT + TPOT x (n - 1). With {@code pickspin.sim.batch-tpot-slope = s > 0}, TPOT grows with the number of requests
 * generating at that moment: {@code tpot(active) = tpotMs x (1 + s x (active - 1))}; the default 0 keeps TPOT as the
 * profile says. Timers fire at absolute nanosecond deadlines on one timer thread per server (not the 10 ms-tick Pekko
 * scheduler), so lateness does not add up over long answers. No thread is blocked per request. A model with TTFT = 0
 * and TPOT = 0 answers at once with no timer and no batch bookkeeping (a stream goes out as a single chunk holding
 * all its events): it must never be the bottleneck of a benchmark. A client that disconnects frees a streamed
 * request's slot at once; a non-streamed request keeps its slot until its answer would have gone out.
 *
 * <h2>Cold start</h2>
 * Each model is loading for {@code latency.coldStartMs()} after {@link #start}: completions for it get 503 (code
 * model_loading) with a Retry-After header in whole seconds, and /health answers 503 until every model has loaded.
 *
 * <h2>Fault injection</h2>
 * A completion request with header {@code x-sim-fault} fails on purpose (after it passed validation and the model has
 * loaded; an unknown value is a 400):
 * <ul>
 *   <li>{@code reset-before-first-token}: the TCP connection is aborted (RST) at once, before any response byte.
 *   <li>{@code reset-mid-stream}: a stream sends k token events and is then aborted (RST, no finish chunk, no
 *       [DONE]) when the next event would be due, at least pickspin.sim.fault-reset-gap after the last one; k is
 *       header {@code x-sim-fault-after} (clamped to the answer length), default half the answer, at least 1. A
 *       non-streamed request is aborted, with no response byte, at the time its answer would have gone out.
 *   <li>{@code status-500}: an immediate 500 with an OpenAI error body (type server_error, code sim_fault).
 *   <li>{@code hang}: the request is accepted and never answered (no batch slot used) until the client gives up or
 *       the server stops. Pekko's idle-timeout (60 s by default) eventually closes a connection nobody talks on.
 * </ul>
 *
 * <h2>Stopping</h2>
 * {@link #stop} behaves like a replica that dies: it unbinds, aborts every open request (queued, generating, hanging
 * or streaming: their connections are reset) and closes idle connections within pickspin.sim.stop-deadline.
 */
public final class SimServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SimServer.class);
  private static final ContentType SSE = MediaTypes.TEXT_EVENT_STREAM.toContentType();
  private static final CacheControl NO_CACHE = CacheControl.create(CacheDirectives.NO_CACHE);
  private static final HttpResponse HEALTH_OK =
      HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, "{\"status\":\"ok\"}");
  private static final HttpResponse HEALTH_LOADING =
      HttpResponse.create().withStatus(503).withEntity(ContentTypes.APPLICATION_JSON, "{\"status\":\"loading\"}");

  private final Materializer materializer;
  private final SimSettings settings;
  private final Map<String, ModelRuntime> models = new LinkedHashMap<>();
  private final HttpResponse modelList;
  private final PreciseTimer timer;
  private final InFlight inFlight = new InFlight();
  private final String idPrefix = Integer.toHexString(ThreadLocalRandom.current().nextInt() | 0x10000000);
  private final AtomicLong ids = new AtomicLong();
  private final String host;
  private volatile ServerBinding binding;
  private CompletionStage<Done> stopped; // guarded by this

  private SimServer(ActorSystem<?> system, String host, List<SimModel> served, SimSettings settings) {
    this.host = host;
    this.materializer = Materializer.matFromSystem(system);
    this.settings = settings;
    long now = System.nanoTime();
    for (SimModel model : served) {
      if (models.put(model.name(), new ModelRuntime(model, settings.batchTpotSlope(),
          settings.prefixCacheTokens(), settings.prefixBlockTokens(), now)) != null) {
        throw new IllegalArgumentException("model '" + model.name() + "' is listed twice");
      }
    }
    this.modelList = modelListResponse(System.currentTimeMillis() / 1000);
    this.timer = new PreciseTimer("pickspin-sim-timer");
  }

  /**
   * Starts serving {@code models} on {@code host:port} (port 0 picks a free port). Cold starts begin now; the stage
   * completes once the port is bound.
   */
  public static CompletionStage<SimServer> start(
      ActorSystem<?> system, String host, int port, List<SimModel> models) {
    return start(system, host, port, models, SimSettings.fromConfig(system.settings().config()));
  }

  /** As {@link #start(ActorSystem, String, int, List)}, with the given settings. */
  public static CompletionStage<SimServer> start(
      ActorSystem<?> system, String host, int port, List<SimModel> models, SimSettings settings) {
    if (models == null || models.isEmpty()) throw new IllegalArgumentException("a sim server needs at least 1 model");
    SimServer server = new SimServer(system, host, List.copyOf(models), settings);
    ServerSettings base = ServerSettings.create(system.classicSystem());
    // vLLM has no request timeout: long generations and the hang fault must not be cut off with a 503.
    // The body limit is ours to enforce (413 with an OpenAI error), not the parser's.
    ServerSettings serverSettings = base
        .withTimeouts(base.getTimeouts().withRequestTimeout(scala.concurrent.duration.Duration.Inf()))
        .withParserSettings(base.getParserSettings().withMaxContentLength(server.settings.maxRequestBytes()));
    return Http.get(system).newServerAt(host, port).withSettings(serverSettings).bind(server::handle)
        .handle((binding, failure) -> {
          if (failure != null) {
            server.timer.close();
            throw new IllegalStateException("sim server could not bind " + host + ":" + port, failure);
          }
          server.binding = binding;
          log.info("sim server on {} serving {}", server.baseUrl(), server.models.keySet());
          return server;
        });
  }

  /** The bound port. */
  public int port() {
    return binding.localAddress().getPort();
  }

  /** Where to send requests, e.g. http://127.0.0.1:41234; the gateway appends /v1/... */
  public URI baseUrl() {
    InetSocketAddress local = binding.localAddress();
    String h = local.getAddress().isAnyLocalAddress() ? "127.0.0.1" : host;
    return URI.create("http://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + local.getPort());
  }

  /** Unbinds and aborts every open request and stream; idempotent. */
  public synchronized CompletionStage<Done> stop() {
    if (stopped == null) {
      inFlight.abortAll();
      stopped = binding.terminate(Duration.ofMillis(settings.stopDeadlineMs()))
          .handle((terminated, failure) -> {
            timer.close();
            log.info("sim server on port {} stopped", binding.localAddress().getPort());
            return Done.getInstance();
          });
    }
    return stopped;
  }

  /** Stops and waits for it (at most 10 s). */
  @Override
  public void close() {
    try {
      stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("sim server on port {} did not stop cleanly: {}", port(), e.toString());
    }
  }

  private CompletionStage<HttpResponse> handle(HttpRequest request) {
    String path = request.getUri().path();
    try {
      switch (path) {
        case "/v1/chat/completions":
          return completion(request, SimRequest.Kind.CHAT);
        case "/v1/completions":
          return completion(request, SimRequest.Kind.TEXT);
        case "/v1/embeddings":
          return post(request, body -> embeddings(body));
        case "/v1/models":
          return get(request, modelList);
        case "/health":
          return get(request, allLoaded() ? HEALTH_OK : HEALTH_LOADING);
        case "/metrics-lite":
          return get(request, metricsResponse());
        default:
          throw ApiError.notFound("No endpoint " + request.method().name() + " " + path + ".");
      }
    } catch (ApiError e) {
      request.discardEntityBytes(materializer);
      return CompletableFuture.completedFuture(errorResponse(e));
    }
  }

  private CompletionStage<HttpResponse> get(HttpRequest request, HttpResponse response) {
    if (request.method() != HttpMethods.GET) {
      throw ApiError.methodNotAllowed(request.method().name(), request.getUri().path(), "GET");
    }
    request.discardEntityBytes(materializer);
    return CompletableFuture.completedFuture(response);
  }

  private CompletionStage<HttpResponse> completion(HttpRequest request, SimRequest.Kind kind) {
    return post(request, body -> answer(request, kind, body));
  }

  /** Reads a POST's body, bounded by max-request-bytes, and hands it to {@code answer}. */
  private CompletionStage<HttpResponse> post(
      HttpRequest request, Function<ByteString, CompletionStage<HttpResponse>> answer) {
    if (request.method() != HttpMethods.POST) {
      throw ApiError.methodNotAllowed(request.method().name(), request.getUri().path(), "POST");
    }
    HttpEntity entity = request.entity();
    if (entity instanceof HttpEntity.Strict strict) return answer.apply(strict.getData());
    if (entity.getContentLengthOption().orElse(0) > settings.maxRequestBytes()) {
      throw tooLarge();
    }
    return entity.toStrict(settings.requestReadTimeoutMs(), settings.maxRequestBytes(), materializer)
        .handle((strict, failure) -> failure == null
            ? answer.apply(strict.getData())
            : CompletableFuture.completedFuture(unreadableBody(failure)))
        .thenCompose(response -> response);
  }

  /**
   * An embeddings answer: one prefill, so it goes out after the model's TTFT and holds a batch slot meanwhile (at once
   * for a model without delays).
   */
  private CompletionStage<HttpResponse> embeddings(ByteString body) {
    try {
      if (body.size() > settings.maxRequestBytes()) throw tooLarge();
      Embeddings parsed = Embeddings.parse(body);
      ModelRuntime model = models.get(parsed.model());
      if (model == null) throw ApiError.modelNotFound(parsed.model());
      long now = System.nanoTime();
      if (model.loading(now)) throw ApiError.loading(model.model.name(), model.secondsUntilReady(now));
      model.received.increment();
      HttpResponse result = json(parsed.body(model.quotedName));
      if (model.model.instant()) {
        model.finished(0);
        return CompletableFuture.completedFuture(result);
      }
      if (inFlight.closed()) return CompletableFuture.completedFuture(Fault.abortConnection("sim server stopped"));
      return DelayedResponse.start(model, model.ttftNanos, 0, result, false, timer, inFlight);
    } catch (ApiError e) {
      return CompletableFuture.completedFuture(errorResponse(e));
    }
  }

  private HttpResponse unreadableBody(Throwable failure) {
    Throwable cause = Failures.unwrap(failure);
    if (cause instanceof EntityStreamSizeException) return errorResponse(tooLarge());
    return errorResponse(ApiError.badRequest(null, "Request body could not be read: " + cause.getMessage()));
  }

  private ApiError tooLarge() {
    return ApiError.tooLarge(settings.maxRequestBytes(), SimSettings.PATH + ".max-request-bytes");
  }

  /** The sim's HTTP answer to an {@link ApiError}: its status, its JSON body, a Retry-After header when it names one. */
  private static HttpResponse errorResponse(ApiError e) {
    HttpResponse response = HttpResponse.create().withStatus(e.status()).withEntity(ContentTypes.APPLICATION_JSON, e.json());
    return e.retryAfterSeconds() > 0 ? response.addHeader(RetryAfter.create(Long.valueOf(e.retryAfterSeconds()))) : response;
  }

  private CompletionStage<HttpResponse> answer(HttpRequest request, SimRequest.Kind kind, ByteString body) {
    try {
      if (body.size() > settings.maxRequestBytes()) throw tooLarge();
      SimRequest parsed = SimRequest.parse(kind, body, settings);
      ModelRuntime model = models.get(parsed.model());
      if (model == null) throw ApiError.modelNotFound(parsed.model());
      Optional<Fault> fault = Fault.of(request);
      long now = System.nanoTime();
      if (model.loading(now)) throw ApiError.loading(model.model.name(), model.secondsUntilReady(now));
      model.received.increment();
      return generate(request, parsed, model, fault.orElse(null), model.ttftNanos(parsed.promptTokens(), body));
    } catch (ApiError e) {
      return CompletableFuture.completedFuture(errorResponse(e));
    }
  }

  /** @param ttftNanos the request's time to first token once it has a batch slot */
  private CompletionStage<HttpResponse> generate(
      HttpRequest request, SimRequest parsed, ModelRuntime model, Fault fault, long ttftNanos) {
    if (inFlight.closed()) return CompletableFuture.completedFuture(Fault.abortConnection("sim server stopped"));
    int resetAfter = 0;
    if (fault != null) {
      switch (fault) {
        case STATUS_500 -> {
          model.faulted.increment();
          return CompletableFuture.completedFuture(
              errorResponse(ApiError.serverError(500, "sim_fault", "Injected fault " + fault.value + " (x-sim-fault).")));
        }
        case RESET_BEFORE_FIRST_TOKEN -> {
          model.faulted.increment();
          return CompletableFuture.completedFuture(Fault.abortConnection("x-sim-fault " + fault.value));
        }
        case HANG -> {
          model.faulted.increment();
          return hang();
        }
        case RESET_MID_STREAM -> resetAfter = Fault.tokensBeforeReset(request, parsed.outputTokens());
      }
    }
    Answer answer = new Answer(parsed, nextId(parsed.kind()), System.currentTimeMillis() / 1000, model.quotedName);
    boolean instant = model.model.instant() && resetAfter == 0;
    if (parsed.stream()) {
      Source<ByteString, ?> events;
      if (instant) {
        events = Source.single(answer.allEvents());
        model.finished(parsed.outputTokens());
      } else {
        events = Source.fromGraph(
            new TokenStream(model, answer, ttftNanos, resetAfter, settings.faultResetGapNanos(), timer, inFlight));
      }
      return CompletableFuture.completedFuture(
          HttpResponse.create().addHeader(NO_CACHE).withEntity(HttpEntities.createChunked(SSE, events)));
    }
    if (instant) {
      model.finished(parsed.outputTokens());
      return CompletableFuture.completedFuture(json(answer.body()));
    }
    HttpResponse result = resetAfter > 0
        ? Fault.abortConnection("x-sim-fault " + Fault.RESET_MID_STREAM.value)
        : json(answer.body());
    return DelayedResponse.start(model, ttftNanos, parsed.outputTokens(), result, resetAfter > 0, timer, inFlight);
  }

  /** A request that is never answered, until the server stops. */
  private CompletionStage<HttpResponse> hang() {
    CompletableFuture<HttpResponse> never = new CompletableFuture<>();
    inFlight.add(new InFlight.Work() {
      @Override
      public void abort(Throwable cause) {
        inFlight.remove(this);
        never.complete(Fault.abortConnection(cause.getMessage()));
      }
    });
    return never;
  }

  private String nextId(SimRequest.Kind kind) {
    return (kind == SimRequest.Kind.CHAT ? "chatcmpl-sim-" : "cmpl-sim-") + idPrefix
        + Long.toHexString(ids.incrementAndGet());
  }

  private static HttpResponse json(ByteString body) {
    return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, body);
  }

  private boolean allLoaded() {
    long now = System.nanoTime();
    for (ModelRuntime model : models.values()) if (model.loading(now)) return false;
    return true;
  }

  private HttpResponse modelListResponse(long createdEpochSeconds) {
    StringBuilder out = new StringBuilder("{\"object\":\"list\",\"data\":[");
    String separator = "";
    for (ModelRuntime model : models.values()) {
      out.append(separator).append("{\"id\":").append(model.quotedName).append(",\"object\":\"model\",\"created\":")
          .append(createdEpochSeconds).append(",\"owned_by\":\"pickspin-sim\",\"root\":").append(model.quotedName)
          .append(",\"max_model_len\":").append(settings.maxModelLen()).append('}');
      separator = ",";
    }
    return json(ByteString.fromString(out.append("]}").toString()));
  }

  private HttpResponse metricsResponse() {
    long now = System.nanoTime();
    StringBuilder out = new StringBuilder("{\"models\":[");
    String separator = "";
    for (ModelRuntime model : models.values()) {
      out.append(separator).append("{\"name\":").append(model.quotedName)
          .append(",\"ready\":").append(!model.loading(now))
          .append(",\"max_batch\":").append(model.model.latency().maxBatch())
          .append(",\"active\":").append(model.slots.busy())
          .append(",\"waiting\":").append(model.slots.waiting())
          .append(",\"received\":").append(model.received.sum())
          .append(",\"completed\":").append(model.completed.sum())
          .append(",\"faulted\":").append(model.faulted.sum())
          .append(",\"cancelled\":").append(model.cancelled.sum())
          .append(",\"output_tokens\":").append(model.outputTokens.sum());
      if (model.prefixCache != null) {
        out.append(",\"prompt_tokens\":").append(model.prefixCache.promptTokens())
            .append(",\"cached_prompt_tokens\":").append(model.prefixCache.cachedTokens())
            .append(",\"prefix_cache_hit_rate\":").append(model.prefixCache.hitRate());
      }
      out.append('}');
      separator = ",";
    }
    return json(ByteString.fromString(out.append("]}").toString()));
  }
}
