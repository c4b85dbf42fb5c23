package io.pickspin.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.TLSProtocol.SessionBytes;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * A listening socket of the gateway or the admin API: Pekko HTTP's server layer on Pekko's TCP, stacked per connection as Pekko HTTP's own
 * binding stacks it (HTTP atop TLS atop the idle timeout, at most {@code max-connections} at once, the
 * {@code pekko.http.server} settings), with {@link RequestHeadTimeout} between HTTP and TLS. Pekko HTTP's binding
 * ({@code bindFlow}) has no place for a stage under its HTTP layer, and a header-read timeout needs one there.
 *
 * <p>{@link #stop} stops accepting connections, waits for the owner's requests in flight (streams to their last byte),
 * then closes the connections left.
 */
public final class HttpListener {
  private final Tcp.ServerBinding binding;
  private final SharedKillSwitch connections;

  private HttpListener(Tcp.ServerBinding binding, SharedKillSwitch connections) {
    this.binding = binding;
    this.connections = connections;
  }

  /**
   * Listens on {@code host} and {@code port}, HTTPS when {@code tls} is given.
   *
   * @param tls the server certificate, null for plain HTTP
   * @param headerTimeout how long a request head may take from its first byte to its empty line
   * @param server the {@code pekko.http.server} settings (idle timeout, max connections, parsing limits)
   * @param handler makes the request handler of one connection
   */
  public static CompletionStage<HttpListener> bind(
      ActorSystem<?> system,
      String host,
      int port,
      ServerTls tls,
      Duration headerTimeout,
      ServerSettings server,
      Supplier<Flow<HttpRequest, HttpResponse, ?>> handler) {
    LoggingAdapter log = system.classicSystem().log();
    Materializer materializer = Materializer.matFromSystem(system);
    SharedKillSwitch connections = KillSwitches.shared("http-connections-" + port);
    SSLContext ssl = tls == null ? null : tls.sslContext();
    Http http = Http.get(system);
    RequestHeadTimeout headTimeout = new RequestHeadTimeout(headerTimeout);
    return Tcp.get(system)
        // the idle timeout is the stack's, as in Pekko HTTP's binding: none on the TCP level
        .bind(host, port, server.getBacklog(), server.getSocketOptions(), false, Optional.empty())
        .mapAsyncUnordered(
            server.getMaxConnections(),
            incoming -> {
              try {
                BidiFlow<HttpResponse, ByteString, ByteString, HttpRequest, NotUsed> stack =
                    http.serverLayer(server, Optional.of(incoming.remoteAddress()), log)
                        .atop(BidiFlow.fromGraph(headTimeout))
                        .atop(ssl == null ? plain() : tls(ssl))
                        .atop(idleTimeout(server));
                Flow<ByteString, ByteString, CompletionStage<Done>> connection =
                    handler.get().join(stack).via(connections.flow()).watchTermination((m, done) -> done);
                // a connection's failure is its own: it must not end the binding
                return incoming.handleWith(connection, materializer).exceptionally(err -> Done.getInstance());
              } catch (RuntimeException e) {
                log.error(e, "could not serve the connection from {}", incoming.remoteAddress());
                incoming.flow().runWith(org.apache.pekko.stream.javadsl.Source.empty(), Sink.cancelled(), materializer);
                return CompletableFuture.completedFuture(Done.getInstance());
              }
            })
        .to(Sink.ignore())
        .run(materializer)
        .thenApply(binding -> new HttpListener(binding, connections));
  }

  private static BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> tls(SSLContext ssl) {
    return TLS.create(
        () -> {
          SSLEngine engine = ssl.createSSLEngine();
          engine.setUseClientMode(false);
          return engine;
        },
        TLSClosing.eagerClose());
  }

  /** Plain TCP in TLS's shape, as Pekko HTTP's binding has it without TLS. */
  private static BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> plain() {
    BidiFlow<SslTlsOutbound, SslTlsOutbound, SessionBytes, SslTlsInbound, NotUsed> widen =
        BidiFlow.fromFlows(Flow.create(), Flow.<SessionBytes>create().map(b -> (SslTlsInbound) b));
    return widen.atop(TLSPlacebo.getInstance());
  }

  private static BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> idleTimeout(ServerSettings server) {
    scala.concurrent.duration.Duration idle = server.getTimeouts().idleTimeout();
    if (!idle.isFinite()) return BidiFlow.identity();
    return BidiFlow.bidirectionalIdleTimeout(Duration.ofNanos(idle.toNanos()));
  }

  public InetSocketAddress localAddress() {
    return binding.localAddress();
  }

  /**
   * Stops accepting connections, waits up to {@code drain} for {@code inFlight} to reach zero (requests being answered,
   * streams to their last byte), then closes the connections left.
   */
  public CompletionStage<Done> stop(Duration drain, LongSupplier inFlight) {
    long deadline = System.nanoTime() + drain.toNanos();
    return unbind().thenCompose(u -> whenIdle(inFlight, deadline)).thenCompose(idle -> closeConnections());
  }

  private static CompletionStage<Void> whenIdle(LongSupplier inFlight, long deadlineNanos) {
    if (inFlight.getAsLong() == 0 || System.nanoTime() >= deadlineNanos) return CompletableFuture.completedFuture(null);
    return CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS))
        .thenCompose(x -> whenIdle(inFlight, deadlineNanos));
  }

  /** Stops accepting connections; those open go on. */
  private CompletionStage<Done> unbind() {
    return binding.unbind().thenApply(u -> Done.getInstance());
  }

  /** Closes every connection at once. */
  private CompletionStage<Done> closeConnections() {
    connections.shutdown();
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
