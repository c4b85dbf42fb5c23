package io.pickspin.routing;

/**
 * What the router needs to know about one request.
 *
 * @param requestedModel the client's "model": a catalogue id, or "auto" to let the router choose
 * @param prompt the text the complexity classifiers read (the last user message, or the completion prompt)
 * @param profile the operator preference to score candidates with
 * @param router which router decides the tier when the model is "auto"
 * @param deadlineMs the client's latency budget in milliseconds, or 0 when it has none
 */
public record RouteRequest(String requestedModel, String prompt, Profile profile, RouterKind router, long deadlineMs) {
  public static final String AUTO = "auto";

  public RouteRequest {
    if (requestedModel == null || requestedModel.isBlank()) throw new IllegalArgumentException("model is required");
    if (prompt == null) prompt = "";
    if (deadlineMs < 0) throw new IllegalArgumentException("deadline must be >= 0");
  }

  public boolean isAuto() {
    return AUTO.equals(requestedModel);
  }
}
