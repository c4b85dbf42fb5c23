package io.pickspin.pool;

import io.pickspin.model.BackendEndpoint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * {@code GET {baseUrl}/health}, healthy on any 2xx: the endpoint vLLM, TGI, llama.cpp's server and the sim server
 * share. Asynchronous (java.net.http), one client for all pools.
 */
public final class HttpHealthProbe implements HealthProbe {
  private final HttpClient client;

  public HttpHealthProbe(Duration connectTimeout) {
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1)
            .build();
  }

  @Override
  public CompletionStage<Boolean> check(BackendEndpoint endpoint, Duration timeout) {
    HttpRequest request = HttpRequest.newBuilder(healthUri(endpoint.baseUrl())).timeout(timeout).GET().build();
    return client
        .sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .handle((response, error) -> error == null && response.statusCode() / 100 == 2);
  }

  /** {@code http://h:p/} and {@code http://h:p} both give {@code http://h:p/health}; a path prefix is kept. */
  static URI healthUri(URI baseUrl) {
    String s = baseUrl.toString();
    return URI.create((s.endsWith("/") ? s.substring(0, s.length() - 1) : s) + "/health");
  }
}
