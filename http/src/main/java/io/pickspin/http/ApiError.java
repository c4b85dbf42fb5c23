package io.pickspin.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * A request the gateway answers with an error, in OpenAI's shape: {@code {"error":{"message","type","param","code"}}}.
 * Thrown from request parsing; {@link #toResponse()} renders it.
 */
public final class ApiError extends RuntimeException {
  private final StatusCode status;
  private final String type;
  private final String param;
  private final String code;
  private final int retryAfterSeconds;

  public ApiError(StatusCode status, String type, String code, String param, String message, int retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiError invalid(String param, String message) {
    return new ApiError(StatusCodes.BAD_REQUEST, "invalid_request_error", "invalid_value", param, message, 0);
  }

  public static ApiError modelNotFound(String model) {
    return new ApiError(
        StatusCodes.NOT_FOUND,
        "invalid_request_error",
        "model_not_found",
        "model",
        "The model '" + model + "' does not exist. GET /v1/models lists the models this gateway serves.",
        0);
  }

  public static ApiError notFound(String message) {
    return new ApiError(StatusCodes.NOT_FOUND, "invalid_request_error", "not_found", null, message, 0);
  }

  public static ApiError backend(StatusCode status, String code, String message) {
    return new ApiError(status, "server_error", code, null, message, 0);
  }

  public StatusCode status() {
    return status;
  }

  public String code() {
    return code;
  }

  public ObjectNode toJson() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode e = root.putObject("error");
    e.put("message", getMessage());
    e.put("type", type);
    e.put("param", param);
    e.put("code", code);
    return root;
  }

  public HttpResponse toResponse() {
    HttpResponse r =
        HttpResponse.create()
            .withStatus(status)
            .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, toJson().toString()));
    return retryAfterSeconds > 0
        ? r.addHeader(RawHeader.create("Retry-After", Integer.toString(retryAfterSeconds)))
        : r;
  }
}
