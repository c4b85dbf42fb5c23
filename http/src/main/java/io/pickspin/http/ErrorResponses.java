package io.pickspin.http;

import io.pickspin.api.ApiError;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;

/** The gateway's and the admin API's HTTP answer to an {@link ApiError}. */
public final class ErrorResponses {
  private ErrorResponses() {}

  /** {@code e}'s status and JSON body, and a Retry-After header when it names one. */
  public static HttpResponse of(ApiError e) {
    HttpResponse r =
        HttpResponse.create().withStatus(e.status()).withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, e.json()));
    return e.retryAfterSeconds() > 0 ? r.addHeader(RetryAfter.create(Long.valueOf(e.retryAfterSeconds()))) : r;
  }
}
