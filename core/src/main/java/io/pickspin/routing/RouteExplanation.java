package io.pickspin.routing;

import io.pickspin.routing.classify.Classification;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A routing decision with what it was made from: the profile it was scored under, the prompt's classification and the
 * score of every model.
 *
 * @param profile the profile the candidates were scored under (the request's, else the default)
 * @param classification the classification that set the tier, or null (a named model; a router that gives none)
 * @param scores each model's score under the profile, best first: the combined score for complexity routing, the
 *     Q-value for the RL router; empty for a named model
 */
public record RouteExplanation(RouteDecision decision, Profile profile, Classification classification, Map<String, Double> scores) {
  public RouteExplanation {
    scores = scores == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(scores));
  }

  /** A bare decision, for policies that say nothing more. */
  public static RouteExplanation of(RouteDecision decision, Profile profile) {
    return new RouteExplanation(decision, profile, null, Map.of());
  }

  /** The prompt's complexity in [0,1] ({@link Classification#complexity()}), or null without a classification. */
  public Double complexity() {
    return classification == null ? null : classification.complexity();
  }

  /** The same explanation around another decision. */
  public RouteExplanation withDecision(RouteDecision other) {
    return new RouteExplanation(other, profile, classification, scores);
  }
}
