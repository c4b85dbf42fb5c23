package io.pickspin.scaling;

/** The policy's verdict for one model: change desired replicas {@code from} to {@code to}, and why. */
public record ScaleDecision(String model, int from, int to, ScaleReason reason, ScalingInputs inputs, long atMs) {
  public ScaleDecision {
    if (from == to) throw new IllegalArgumentException("a decision must change the count");
    if (to < 0) throw new IllegalArgumentException("replicas must be >= 0");
  }

  public boolean scalesUp() {
    return to > from;
  }
}
