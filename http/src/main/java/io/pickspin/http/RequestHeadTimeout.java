package io.pickspin.http;

import java.time.Duration;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.TLSProtocol.SendBytes;
import org.apache.pekko.stream.TLSProtocol.SessionBytes;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a client connection whose request head (the request line and headers, up to the empty line) takes longer
 * than the timeout from its first byte to its end. Pekko HTTP has no such timeout, and its idle timeout never fires on
 * a client that sends a byte every few seconds, so without it a trickled head holds a connection for as long as the
 * client likes.
 *
 * <p>It sits on one connection's plaintext, between Pekko HTTP's server layer and TLS (or the plain TCP bytes), and
 * reads both directions: inbound, where a head starts and where its empty line ends it; outbound, the start of a
 * final (not 1xx) response, after which the next inbound byte starts the next head. What comes between a head's end and
 * its response (the body) is not timed here: {@code body-timeout} bounds it. A connection that sends nothing is the
 * idle timeout's. The stage is a blueprint: each connection's run makes its own logic.
 */
final class RequestHeadTimeout extends GraphStage<BidiShape<SslTlsOutbound, SslTlsOutbound, SslTlsInbound, SslTlsInbound>> {
  private static final Logger log = LoggerFactory.getLogger(RequestHeadTimeout.class);
  private static final String TIMER = "request-head";

  private final Inlet<SslTlsOutbound> fromHttp = Inlet.create("RequestHeadTimeout.fromHttp");
  private final Outlet<SslTlsOutbound> toTls = Outlet.create("RequestHeadTimeout.toTls");
  private final Inlet<SslTlsInbound> fromTls = Inlet.create("RequestHeadTimeout.fromTls");
  private final Outlet<SslTlsInbound> toHttp = Outlet.create("RequestHeadTimeout.toHttp");
  private final BidiShape<SslTlsOutbound, SslTlsOutbound, SslTlsInbound, SslTlsInbound> shape =
      BidiShape.of(fromHttp, toTls, fromTls, toHttp);
  private final Duration timeout;

  RequestHeadTimeout(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("header-timeout must be > 0");
    this.timeout = timeout;
  }

  @Override
  public BidiShape<SslTlsOutbound, SslTlsOutbound, SslTlsInbound, SslTlsInbound> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new TimerGraphStageLogic(shape) {
      /** The inbound bytes are a request head (or nothing yet), not a body. */
      private boolean inHead = true;
      /** The head's first byte has come: its clock runs. */
      private boolean timing;
      /** The head has a line with text (empty lines before a request line do not end it). */
      private boolean sawText;
      /** Bytes of the current line but CR. */
      private int lineLength;

      {
        setHandler(fromTls, new AbstractInHandler() {
          @Override
          public void onPush() {
            SslTlsInbound in = grab(fromTls);
            if (inHead && in instanceof SessionBytes bytes) read(bytes.bytes());
            push(toHttp, in);
          }

          @Override
          public void onUpstreamFinish() {
            complete(toHttp);
          }

          @Override
          public void onUpstreamFailure(Throwable cause) {
            fail(toHttp, cause);
          }
        });
        setHandler(toHttp, new AbstractOutHandler() {
          @Override
          public void onPull() {
            pull(fromTls);
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            cancel(fromTls, cause);
          }
        });
        setHandler(fromHttp, new AbstractInHandler() {
          @Override
          public void onPush() {
            SslTlsOutbound out = grab(fromHttp);
            if (!inHead && out instanceof SendBytes bytes && !interim(bytes.bytes())) nextHead();
            push(toTls, out);
          }

          @Override
          public void onUpstreamFinish() {
            complete(toTls);
          }

          @Override
          public void onUpstreamFailure(Throwable cause) {
            fail(toTls, cause);
          }
        });
        setHandler(toTls, new AbstractOutHandler() {
          @Override
          public void onPull() {
            pull(fromHttp);
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            cancel(fromHttp, cause);
          }
        });
      }

      /** Reads a head's bytes: its first starts the clock, its empty line stops it. */
      private void read(ByteString bytes) {
        if (bytes.isEmpty()) return;
        if (!timing) {
          timing = true;
          scheduleOnce(TIMER, timeout);
        }
        for (int i = 0, n = bytes.size(); i < n; i++) {
          byte b = bytes.apply(i);
          if (b == '\n') {
            if (lineLength == 0 && sawText) {
              headEnded();
              return; // what follows is the body
            }
            lineLength = 0;
          } else if (b != '\r') {
            lineLength++;
            sawText = true;
          }
        }
      }

      private void headEnded() {
        inHead = false;
        timing = false;
        cancelTimer(TIMER);
      }

      /** A final response started: the request is done, and the next inbound byte begins the next head. */
      private void nextHead() {
        inHead = true;
        sawText = false;
        lineLength = 0;
      }

      @Override
      public void onTimer(Object key) {
        log.info("closing a client connection whose request head took longer than {} ms (pickspin.gateway.header-timeout)",
            timeout.toMillis());
        completeStage();
      }
    };
  }

  /** A 1xx response (100 Continue): the request's body is still to come. A response starts with its status line. */
  static boolean interim(ByteString response) {
    if (response.size() < STATUS_CLASS + 1) return false;
    for (int i = 0; i < HTTP_1.length; i++) if (response.apply(i) != HTTP_1[i]) return false;
    return response.apply(STATUS_CLASS) == '1';
  }

  /** "HTTP/1.x ", then the status code's first digit. */
  private static final byte[] HTTP_1 = "HTTP/1.".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final int STATUS_CLASS = 9;
}
