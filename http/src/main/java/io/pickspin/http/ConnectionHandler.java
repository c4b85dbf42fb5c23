package io.pickspin.http;

import io.pickspin.concurrent.Failures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * The request handler of one client connection, run by Pekko HTTP's server ({@code bindFlow}) in place of a
 * {@code mapAsync} around the handler. It hands the connection's requests to the handler one at a time, like
 * {@code mapAsync(1)}, and also:
 *
 * <ul>
 *   <li>tells the request in hand when the client has gone before its answer went out, so that the forwarder releases
 *       its replica at once instead of waiting for an answer no one will read;
 *   <li>runs the entity of an answer that arrives after the client has gone ({@code discardEntityBytes}): the relayed
 *       answer's stream then still reaches its end, and its lease is released with its outcome.
 * </ul>
 *
 * <p>The stage is a blueprint: one instance serves every connection, each run makes its own logic.
 */
final class ConnectionHandler extends GraphStage<FlowShape<HttpRequest, HttpResponse>> {
  /** Answers one request. */
  interface Handler {
    /**
     * @param clientGone completes if the client closes its connection before this request's answer went out
     */
    CompletionStage<HttpResponse> handle(HttpRequest request, CompletionStage<Done> clientGone);
  }

  private final Inlet<HttpRequest> in = Inlet.create("ConnectionHandler.in");
  private final Outlet<HttpResponse> out = Outlet.create("ConnectionHandler.out");
  private final FlowShape<HttpRequest, HttpResponse> shape = FlowShape.of(in, out);
  private final Handler handler;
  private final Function<Throwable, HttpResponse> failureResponse;
  private final Materializer materializer;

  /**
   * @param failureResponse the answer when the handler throws or fails (the handler turns expected errors into
   *     responses itself)
   * @param materializer runs the answers that arrive after the client has gone
   */
  ConnectionHandler(Handler handler, Function<Throwable, HttpResponse> failureResponse, Materializer materializer) {
    this.handler = handler;
    this.failureResponse = failureResponse;
    this.materializer = materializer;
  }

  @Override
  public FlowShape<HttpRequest, HttpResponse> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new GraphStageLogic(shape) {
      private final AsyncCallback<HttpResponse> answerCallback = createAsyncCallback(this::answer);
      /** Completes when the client goes away while the request in hand has no answer out yet; null when none is. */
      private CompletableFuture<Done> clientGone;

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            HttpRequest request = grab(in);
            clientGone = new CompletableFuture<>();
            CompletableFuture<HttpResponse> response;
            try {
              response = handler.handle(request, clientGone).toCompletableFuture();
            } catch (RuntimeException e) {
              response = CompletableFuture.failedFuture(e);
            }
            if (response.isDone()) {
              answer(response.handle(ConnectionHandler.this::orFailureResponse).join());
              return;
            }
            response.whenCompleteAsync(
                (r, err) -> {
                  HttpResponse answer = orFailureResponse(r, err);
                  answerCallback
                      .invokeWithFeedbackCompletionStage(answer)
                      .whenCompleteAsync((done, gone) -> {
                        if (gone != null) answer.discardEntityBytes(materializer);
                      }, BackendForwarder.SAME_THREAD);
                },
                BackendForwarder.SAME_THREAD);
          }

          @Override
          public void onUpstreamFinish() {
            // the client sent its last request: its answer, if one is in hand, still goes out
            if (clientGone == null) completeStage();
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            if (clientGone == null && !isClosed(in) && !hasBeenPulled(in)) pull(in);
          }
        });
      }

      private void answer(HttpResponse response) {
        clientGone = null;
        push(out, response);
        if (isClosed(in)) completeStage();
      }

      @Override
      public void postStop() {
        CompletableFuture<Done> gone = clientGone;
        clientGone = null;
        if (gone != null) gone.complete(Done.getInstance());
      }
    };
  }

  private HttpResponse orFailureResponse(HttpResponse response, Throwable error) {
    return error == null ? response : failureResponse.apply(Failures.unwrap(error));
  }
}
