package io.pickspin.sim.server;

import io.pickspin.api.ApiError;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.javadsl.Source;

/** The failures a client can ask for with the {@code x-sim-fault} header (see {@link SimServer}). */
enum Fault {
  RESET_BEFORE_FIRST_TOKEN("reset-before-first-token"),
  RESET_MID_STREAM("reset-mid-stream"),
  STATUS_500("status-500"),
  HANG("hang");

  static final String HEADER = "x-sim-fault";
  /** Optional: how many tokens a mid-stream reset lets through (default: half the answer, at least 1). */
  static final String AFTER_HEADER = "x-sim-fault-after";

  final String value;

  Fault(String value) {
    this.value = value;
  }

  /** The fault the request asks for, if any; an unknown value is the client's mistake (400). */
  static Optional<Fault> of(HttpRequest request) {
    Optional<HttpHeader> header = request.getHeader(HEADER);
    if (header.isEmpty()) return Optional.empty();
    String asked = header.get().value().trim();
    for (Fault fault : values()) if (fault.value.equalsIgnoreCase(asked)) return Optional.of(fault);
    throw ApiError.badRequest(null, "Unknown " + HEADER + " '" + asked + "'; use reset-before-first-token, "
        + "reset-mid-stream, status-500 or hang.");
  }

  /** The number of tokens produced before a mid-stream reset, within [1, tokens]. */
  static int tokensBeforeReset(HttpRequest request, int tokens) {
    Optional<HttpHeader> header = request.getHeader(AFTER_HEADER);
    if (header.isEmpty()) return Math.max(1, tokens / 2);
    try {
      int after = Integer.parseInt(header.get().value().trim());
      if (after >= 1) return Math.min(after, tokens);
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw ApiError.badRequest(null, AFTER_HEADER + " must be an integer >= 1.");
  }

  /**
   * A "response" that makes Pekko HTTP abort the TCP connection (RST) before a single byte of it is written: its
   * entity stream fails before the first chunk, and a failed response stream aborts the connection.
   */
  static HttpResponse abortConnection(String why) {
    return HttpResponse.create().withEntity(
        HttpEntities.createChunked(ContentTypes.APPLICATION_JSON, Source.failed(new Injected(why))));
  }

  /** Thrown into a response stream to make Pekko HTTP abort the connection; one log line, no stack trace. */
  static final class Injected extends RuntimeException {
    Injected(String what) {
      super(what, null, false, false);
    }
  }
}
