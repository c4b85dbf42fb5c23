package io.pickspin.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request answered with an error in OpenAI's shape, {@code {"error":{"message","type","param","code"}}}, with its
 * HTTP status and, when {@link #retryAfterSeconds()} is above 0, a Retry-After header. The gateway and the simulated
 * model server throw it while handling a request and each turns it into its HTTP response in one place. It is an answer,
 * not a failure to log, so it carries no stack trace.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String type;
  private final String code;
  private final String param;
  private final int retryAfterSeconds;

  /**
   * @param param the request field at fault, or null
   * @param code a machine-readable reason, or null
   * @param retryAfterSeconds the Retry-After header's value; 0 for none
   */
  public ApiError(int status, String type, String code, String param, String message, int retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** 400 for a bad value in the request, coded {@code invalid_value}: the gateway's refusals. */
  public static ApiError invalid(String param, String message) {
    return new ApiError(400, "invalid_request_error", "invalid_value", param, message, 0);
  }

  /** 400 with no code, as OpenAI itself answers a bad parameter: the simulated model server's refusals. */
  public static ApiError badRequest(String param, String message) {
    return new ApiError(400, "invalid_request_error", null, param, message, 0);
  }

  public static ApiError modelNotFound(String model) {
    return new ApiError(
        404,
        "invalid_request_error",
        "model_not_found",
        "model",
        "The model '" + model + "' does not exist. GET /v1/models lists the models this server serves.",
        0);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, "invalid_request_error", "not_found", null, message, 0);
  }

  /** @param allowed the method, or methods, that {@code path} takes */
  public static ApiError methodNotAllowed(String method, String path, String allowed) {
    return new ApiError(
        405, "invalid_request_error", "method_not_allowed", null,
        method + " is not allowed on " + path + "; use " + allowed + ".", 0);
  }

  /** @param setting the configuration key that sets {@code maxBytes} */
  public static ApiError tooLarge(long maxBytes, String setting) {
    return new ApiError(
        413, "invalid_request_error", "request_too_large", null,
        "The request body is larger than the limit of " + maxBytes + " bytes (" + setting + ").", 0);
  }

  public static ApiError unsupportedMediaType(String contentType) {
    return new ApiError(
        415, "invalid_request_error", "unsupported_media_type", null,
        "The request body must be JSON with Content-Type: application/json, not " + contentType + ".", 0);
  }

  /** 503 while a model loads, with a Retry-After of {@code retryAfterSeconds}. */
  public static ApiError loading(String model, int retryAfterSeconds) {
    return new ApiError(
        503, "service_unavailable", "model_loading", "model",
        "The model '" + model + "' is loading; retry in about " + retryAfterSeconds + " s.", retryAfterSeconds);
  }

  /** 503 from a gateway that is shutting down: the client should retry (on another node), after 1 s at most. */
  public static ApiError shuttingDown() {
    return new ApiError(503, "service_unavailable", "shutting_down", null,
        "This gateway is shutting down; retry the request (another node serves it).", 1);
  }

  /** A failure on the server's side (or behind it), not the client's. */
  public static ApiError serverError(int status, String code, String message) {
    return new ApiError(status, "server_error", code, null, message, 0);
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public String code() {
    return code;
  }

  public String param() {
    return param;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** The error body: {@code {"error":{"message":...,"type":...,"param":...,"code":...}}}, absent values as null. */
  public String json() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode e = root.putObject("error");
    e.put("message", getMessage());
    e.put("type", type);
    e.put("param", param);
    e.put("code", code);
    return root.toString();
  }
}
