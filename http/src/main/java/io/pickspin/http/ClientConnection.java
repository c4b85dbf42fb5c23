package io.pickspin.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpProtocols;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * The gateway's handler for one client connection, in place of Pekko's {@code mapAsync} around a request handler. It
 * hands the connection's requests to the handler one at a time, and runs the backend connections their answers come
 * over inside the client connection's own stream. A request, its exchange with the replica and every chunk of a
 * streamed answer then stay on one actor: no hop into a shared connection pool and back, and no mailbox message per
 * streamed chunk between the pool's stream and the client's.
 *
 * <p>A backend connection is kept for the client connection's next requests, at most {@link #KEPT_PER_CLIENT} of them
 * (the least recently used idle one is closed first). The node holds at most {@link Budget#max} such connections in
 * all; beyond that, for HTTPS replicas, and for a client's last request on its connection, requests go over the shared
 * pool instead.
 */
final class ClientConnection extends GraphStage<FlowShape<HttpRequest, HttpResponse>> {
  /** Backend connections one client connection keeps open; more only while all of them are busy. */
  static final int KEPT_PER_CLIENT = 8;

  /** Answers one request; it may send to replicas through the given client. */
  interface Handler {
    CompletionStage<HttpResponse> handle(HttpRequest request, BackendClient backends);
  }

  /** The node's count of backend connections held by client connections, and its bound. */
  static final class Budget {
    final int max;
    private final AtomicInteger open = new AtomicInteger();

    Budget(int max) {
      this.max = max;
    }

    boolean tryOpen() {
      if (open.incrementAndGet() <= max) return true;
      open.decrementAndGet();
      return false;
    }

    void closed() {
      open.decrementAndGet();
    }
  }

  /** The replica closed the connection without answering. */
  static final class BackendConnectionClosed extends RuntimeException {
    BackendConnectionClosed(String message) {
      super(message);
    }
  }

  /** The client closed its connection before the answer started: no replica is to blame, and no one waits for a retry. */
  static final class ClientGone extends RuntimeException {
    ClientGone() {
      super("the client closed its connection before the answer started", null, false, false);
    }
  }

  private final Inlet<HttpRequest> in = Inlet.create("ClientConnection.in");
  private final Outlet<HttpResponse> out = Outlet.create("ClientConnection.out");
  private final FlowShape<HttpRequest, HttpResponse> shape = FlowShape.of(in, out);
  private final Handler handler;
  private final Function<Throwable, HttpResponse> failureResponse;
  private final Function<BackendClient.Target, Flow<HttpRequest, HttpResponse, ?>> connectionFlow;
  private final BackendClient sharedPool;
  private final Budget budget;
  private final Materializer materializer;

  /**
   * @param failureResponse the answer when the handler throws or fails (the handler turns expected errors into
   *     responses itself)
   * @param connectionFlow a new HTTP/1.1 connection to a replica
   * @param sharedPool where requests go that get no connection of their own
   * @param materializer drains answers that arrive after the client has gone
   */
  ClientConnection(
      Handler handler,
      Function<Throwable, HttpResponse> failureResponse,
      Function<BackendClient.Target, Flow<HttpRequest, HttpResponse, ?>> connectionFlow,
      BackendClient sharedPool,
      Budget budget,
      Materializer materializer) {
    this.handler = handler;
    this.failureResponse = failureResponse;
    this.connectionFlow = connectionFlow;
    this.sharedPool = sharedPool;
    this.budget = budget;
    this.materializer = materializer;
  }

  @Override
  public FlowShape<HttpRequest, HttpResponse> shape() {
    return shape;
  }

  /** One request to a replica, from the handler's send to the response's head. */
  private static final class Exchange {
    final BackendClient.Target target;
    final HttpRequest request;
    final CompletableFuture<HttpResponse> answer = new CompletableFuture<>();
    boolean resent;

    Exchange(BackendClient.Target target, HttpRequest request) {
      this.target = target;
      this.request = request;
    }
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new Logic();
  }

  private final class Logic extends GraphStageLogic implements BackendClient {
    /** Open backend connections, least recently used first. */
    private final List<BackendConnection> connections = new ArrayList<>();
    private final AsyncCallback<Exchange> sendCallback = createAsyncCallback(this::start);
    private final AsyncCallback<HttpResponse> answerCallback = createAsyncCallback(this::answer);
    /** A request is with the handler and its response not pushed yet. */
    private boolean answering;
    /**
     * The client said that its request is the connection's last ({@code Connection: close}, or HTTP/1.0 without
     * keep-alive). A backend connection of its own would carry that one request; the shared pool's are kept. Read by
     * {@link #send} on whatever thread the handler calls it.
     */
    private volatile boolean lastRequest;
    /** The client side is done: the stage ends once the backend connections have delivered their last answer. */
    private boolean finishing;
    private boolean stopped;

    Logic() {
      super(shape);
      setHandler(in, new AbstractInHandler() {
        @Override
        public void onPush() {
          HttpRequest request = grab(in);
          answering = true;
          lastRequest = !keepsAlive(request);
          CompletableFuture<HttpResponse> response;
          try {
            response = handler.handle(request, Logic.this).toCompletableFuture();
          } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
          }
          if (response.isDone()) {
            answer(response.handle(ClientConnection.this::orFailureResponse).join());
          } else {
            response.whenCompleteAsync(
                (r, err) -> {
                  HttpResponse answer = orFailureResponse(r, err);
                  answerCallback
                      .invokeWithFeedbackCompletionStage(answer)
                      // the client went away meanwhile: the answer's stream still runs to its end, to release its replica
                      .whenCompleteAsync((done, gone) -> {
                        if (gone != null) answer.discardEntityBytes(materializer);
                      }, BackendForwarder.SAME_THREAD);
                },
                BackendForwarder.SAME_THREAD);
          }
        }

        @Override
        public void onUpstreamFinish() {
          if (!answering) finish();
        }
      });
      setHandler(out, new AbstractOutHandler() {
        @Override
        public void onPull() {
          if (!answering && !isClosed(in) && !hasBeenPulled(in)) pull(in);
        }
      });
    }

    @Override
    public void preStart() {
      // stays up after the client side is done while a backend connection still streams the last answer
      setKeepGoing(true);
    }

    private void answer(HttpResponse response) {
      answering = false;
      push(out, response);
      if (isClosed(in)) finish();
    }

    private void finish() {
      finishing = true;
      complete(out);
      for (BackendConnection c : List.copyOf(connections)) c.closeWhenAnswered();
      if (connections.isEmpty()) completeStage();
    }

    @Override
    public CompletionStage<HttpResponse> send(Target target, HttpRequest request) {
      if (!target.plainHttp() || lastRequest) return sharedPool.send(target, request);
      Exchange x = new Exchange(target, request);
      sendCallback
          .invokeWithFeedbackCompletionStage(x)
          // a converted Scala future's plain callbacks go to the common pool, which on 2 cores is a new thread each
          .whenCompleteAsync((done, gone) -> {
            if (gone != null) x.answer.completeExceptionally(new ClientGone());
          }, BackendForwarder.SAME_THREAD);
      return x.answer;
    }

    /** Sends over a kept connection to the replica if one is idle, else over a new one, else over the shared pool. */
    private void start(Exchange x) {
      BackendConnection c = idleTo(x.target);
      if (c == null) {
        if (finishing || !budget.tryOpen()) {
          sharedPool.send(x.target, x.request).whenCompleteAsync((r, err) -> {
            if (err != null) x.answer.completeExceptionally(err);
            else x.answer.complete(r);
          }, BackendForwarder.SAME_THREAD);
          return;
        }
        if (connections.size() >= KEPT_PER_CLIENT) closeLeastRecentlyUsedIdle();
        c = new BackendConnection(x.target);
        connections.add(c);
      } else {
        connections.remove(c);
        connections.add(c);
      }
      c.send(x);
    }

    private BackendConnection idleTo(Target target) {
      for (int i = connections.size() - 1; i >= 0; i--) {
        BackendConnection c = connections.get(i);
        if (c.idle() && c.port == target.port() && c.host.equals(target.host())) return c;
      }
      return null;
    }

    private void closeLeastRecentlyUsedIdle() {
      for (BackendConnection c : connections) {
        if (c.idle()) {
          c.closeWhenAnswered();
          return;
        }
      }
    }

    @Override
    public void postStop() {
      stopped = true;
      for (BackendConnection c : List.copyOf(connections)) c.end(new ClientGone());
    }

    /** One HTTP/1.1 connection to a replica, run in this stage's stream. */
    private final class BackendConnection {
      final String host;
      final int port;
      final SubSourceOutlet<HttpRequest> requests = new SubSourceOutlet<>("ClientConnection.backend.requests");
      final SubSinkInlet<HttpResponse> responses = new SubSinkInlet<>("ClientConnection.backend.responses");
      /** The exchange whose response has not arrived yet. */
      Exchange current;
      /** Its request, while the connection has not asked for it yet. */
      HttpRequest unsent;
      int answered;
      boolean closingWhenAnswered;
      boolean ended;

      BackendConnection(Target target) {
        this.host = target.host();
        this.port = target.port();
        requests.setHandler(new AbstractOutHandler() {
          @Override
          public void onPull() {
            if (unsent != null) {
              HttpRequest r = unsent;
              unsent = null;
              requests.push(r);
            }
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            end(cause);
          }
        });
        responses.setHandler(new AbstractInHandler() {
          @Override
          public void onPush() {
            HttpResponse r = responses.grab();
            Exchange x = current;
            current = null;
            answered++;
            if (closingWhenAnswered && !requests.isClosed()) requests.complete();
            if (x != null) x.answer.complete(r);
            else r.discardEntityBytes(materializer);
          }

          @Override
          public void onUpstreamFinish() {
            end(null);
          }

          @Override
          public void onUpstreamFailure(Throwable cause) {
            end(cause);
          }
        });
        Source.fromGraph(requests.source())
            .via(connectionFlow.apply(target))
            .runWith(responses.sink(), subFusingMaterializer());
      }

      /** Free for the next request: its last answer's head is in (its stream may still be running) and it stays open. */
      boolean idle() {
        return current == null && !closingWhenAnswered;
      }

      void send(Exchange x) {
        current = x;
        HttpRequest r = x.request.withUri(x.target.originForm());
        if (requests.isAvailable()) requests.push(r);
        else unsent = r;
        if (!responses.hasBeenPulled()) responses.pull();
      }

      /** No more requests; the connection closes after the answer in flight (its stream included), if any. */
      void closeWhenAnswered() {
        closingWhenAnswered = true;
        if (current == null && !requests.isClosed()) requests.complete();
      }

      void end(Throwable cause) {
        if (ended) return;
        ended = true;
        connections.remove(this);
        budget.closed();
        if (!requests.isClosed()) requests.complete();
        if (!responses.isClosed()) responses.cancel();
        Exchange x = current;
        current = null;
        if (x != null) {
          if (answered > 0 && !x.resent && !finishing && !isClosed(out)) {
            // a kept connection closed as the request went out, most likely by the replica's keep-alive timer: once more,
            // over a new connection, before the forwarder would blame the replica and try another
            x.resent = true;
            start(x);
          } else {
            x.answer.completeExceptionally(cause != null ? cause : new BackendConnectionClosed("the replica closed the connection before answering"));
          }
        }
        if (finishing && !stopped && connections.isEmpty()) completeStage();
      }
    }
  }

  /** Whether the client means to send more requests over its connection (HTTP/1.1 unless it says close). */
  static boolean keepsAlive(HttpRequest request) {
    boolean keepAlive = request.protocol() == HttpProtocols.HTTP_1_1;
    Optional<Connection> connection = request.getHeader(Connection.class);
    if (connection.isPresent()) {
      for (String token : connection.get().getTokens()) {
        if (token.equalsIgnoreCase("close")) return false;
        if (token.equalsIgnoreCase("keep-alive")) keepAlive = true;
      }
    }
    return keepAlive;
  }

  private HttpResponse orFailureResponse(HttpResponse response, Throwable error) {
    return error == null ? response : failureResponse.apply(BackendForwarder.unwrap(error));
  }
}
