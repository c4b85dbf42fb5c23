package io.pickspin.sim.server;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;

/**
 * A request the sim refuses, rendered as an OpenAI error body:
 * {@code {"error":{"message":...,"type":...,"param":...,"code":...}}}. Thrown while validating; never logged as a
 * failure, so it carries no stack trace.
 */
final class ApiError extends RuntimeException {
  final int status;
  final String type;
  final String param;
  final String code;
  final long retryAfterSeconds;

  private ApiError(int status, String message, String type, String param, String code, long retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  static ApiError badRequest(String message, String param) {
    return new ApiError(400, message, "invalid_request_error", param, null, 0);
  }

  static ApiError modelNotFound(String model) {
    return new ApiError(404, "The model '" + model + "' does not exist on this server.", "invalid_request_error",
        "model", "model_not_found", 0);
  }

  static ApiError notFound(String method, String path) {
    return new ApiError(404, "No endpoint " + method + " " + path + ".", "invalid_request_error", null, "not_found", 0);
  }

  static ApiError methodNotAllowed(String method, String path, String allowed) {
    return new ApiError(405, method + " is not allowed on " + path + "; use " + allowed + ".", "invalid_request_error",
        null, "method_not_allowed", 0);
  }

  static ApiError tooLarge(long maxBytes) {
    return new ApiError(413, "Request body is larger than " + maxBytes + " bytes.", "invalid_request_error", null,
        "request_too_large", 0);
  }

  static ApiError loading(String model, long retryAfterSeconds) {
    return new ApiError(503, "The model '" + model + "' is loading; retry in about " + retryAfterSeconds + " s.",
        "service_unavailable", "model", "model_loading", retryAfterSeconds);
  }

  static ApiError injected(String fault) {
    return new ApiError(500, "Injected fault " + fault + " (x-sim-fault).", "server_error", null, "sim_fault", 0);
  }

  HttpResponse toResponse() {
    StringBuilder json = new StringBuilder(160).append("{\"error\":{\"message\":");
    Json.quote(json, getMessage()).append(",\"type\":");
    Json.quote(json, type).append(",\"param\":");
    Json.quote(json, param).append(",\"code\":");
    Json.quote(json, code).append("}}");
    HttpResponse response = HttpResponse.create().withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, json.toString());
    return retryAfterSeconds > 0 ? response.addHeader(RetryAfter.create(retryAfterSeconds)) : response;
  }
}
