package io.pickspin.http;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Uri;

/** Sends one request to a replica; the stage completes with the response's head, its entity still streaming. */
interface BackendClient {
  /**
   * @param target the replica and endpoint
   * @param request method, headers and entity; the client sets the URI the way its connection needs it
   */
  CompletionStage<HttpResponse> send(Target target, HttpRequest request);

  /** An endpoint of a replica: its host and port, and its URI in the two forms a client may send. */
  record Target(String host, int port, Uri absolute, Uri originForm) {
    static Target of(java.net.URI baseUrl, String endpointPath) {
      Uri absolute = Uri.create(baseUrl.toString() + endpointPath);
      String basePath = baseUrl.getRawPath() == null ? "" : baseUrl.getRawPath();
      int port = baseUrl.getPort() >= 0 ? baseUrl.getPort() : "https".equals(baseUrl.getScheme()) ? 443 : 80;
      return new Target(baseUrl.getHost(), port, absolute, Uri.create(basePath + endpointPath));
    }

    /** Only plain HTTP replicas are reached over the client connection's own backend connections. */
    boolean plainHttp() {
      return "http".equals(absolute.getScheme());
    }
  }
}
