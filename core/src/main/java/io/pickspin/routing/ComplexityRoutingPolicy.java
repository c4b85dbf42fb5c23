package io.pickspin.routing;

import com.typesafe.config.Config;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.pool.Outcome;
import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.Classifiers;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.classify.KeywordClassifier;
import io.pickspin.routing.matrix.Scorer;
import io.pickspin.routing.matrix.ServiceMatrix;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's "Pick": a named model goes to itself; "auto" is classified into a complexity tier by the request's router
 * (keyword rules, the learned classifier, or the hybrid of both), then every (model, backend) entry of the service
 * matrix is scored under the request's profile and deadline, and the best model wins with the rest as fallbacks.
 *
 * <p>Routers: KEYWORD and CLASSIFIER as named; HYBRID takes the keyword result when a HIGH or LOW phrase matched and
 * the classifier otherwise; RL is not implemented yet and runs HYBRID, which the decision's router field says
 * ("rl->hybrid/..."). Without a learned classifier, CLASSIFIER and HYBRID run the keyword rules and say so.
 *
 * <p>Thread-safe and allocation-light: no locks on the decision path, no actor.
 */
public final class ComplexityRoutingPolicy implements RoutingPolicy, RoutingTelemetry, AutoCloseable {
  private final Catalog catalog;
  private final ServiceMatrix matrix;
  private final KeywordClassifier keywords;
  private final ComplexityClassifier classifier; // null: none available
  private final Map<Profile, Scorer.Weights> weights;
  private final Profile defaultProfile;
  private final RouterKind defaultRouter;

  public ComplexityRoutingPolicy(
      Catalog catalog,
      ServiceMatrix matrix,
      KeywordClassifier keywords,
      ComplexityClassifier classifier,
      Map<Profile, Scorer.Weights> weights,
      Profile defaultProfile,
      RouterKind defaultRouter) {
    this.catalog = catalog;
    this.matrix = matrix;
    this.keywords = keywords;
    this.classifier = classifier;
    this.weights = new EnumMap<>(Profile.class);
    for (Profile p : Profile.values()) this.weights.put(p, weights.getOrDefault(p, Scorer.Weights.of(p)));
    this.defaultProfile = defaultProfile;
    this.defaultRouter = defaultRouter;
  }

  /** Builds the policy from the routing settings with the given learned classifier (null for none). */
  public static ComplexityRoutingPolicy create(Catalog catalog, RoutingSettings settings, ComplexityClassifier classifier) {
    return new ComplexityRoutingPolicy(
        catalog,
        new ServiceMatrix(catalog, settings.matrix()),
        new KeywordClassifier(settings.keyword()),
        classifier,
        settings.profiles(),
        settings.defaultProfile(),
        settings.defaultRouter());
  }

  /**
   * Builds the policy from a {@code pickspin.routing} block, loading the configured learned classifier; for tools that
   * hold the block rather than settings.
   */
  public static ComplexityRoutingPolicy fromConfig(Catalog catalog, Config routing) {
    RoutingSettings settings = RoutingSettings.fromConfig(routing);
    return create(catalog, settings, Classifiers.load(settings.classifier()).orElse(null));
  }

  /** As {@link #fromConfig(Catalog, Config)}, with the given learned classifier (null for none). */
  public static ComplexityRoutingPolicy fromConfig(Catalog catalog, Config routing, ComplexityClassifier classifier) {
    return create(catalog, RoutingSettings.fromConfig(routing), classifier);
  }

  @Override
  public RouteDecision decide(RouteRequest request) {
    if (!request.isAuto()) {
      ModelSpec m =
          catalog.find(request.requestedModel()).orElseThrow(() -> new UnknownModelException(request.requestedModel()));
      return new RouteDecision(m.id(), m.tier(), "explicit", List.of());
    }
    RouterKind kind = request.router() == null ? defaultRouter : request.router();
    Classification c;
    String router;
    switch (kind) {
      case KEYWORD -> {
        c = keywords.classify(request.prompt());
        router = "keyword";
      }
      case CLASSIFIER -> {
        if (classifier != null) {
          c = classifier.classify(request.prompt());
          router = "classifier";
        } else {
          c = keywords.classify(request.prompt());
          router = "classifier-unavailable/keyword";
        }
      }
      default -> { // HYBRID, and RL until the DQN policy exists
        c = keywords.classify(request.prompt());
        if (KeywordClassifier.matched(c) || classifier == null) {
          router = classifier == null ? "hybrid/keyword(no classifier)" : "hybrid/keyword";
        } else {
          c = classifier.classify(request.prompt());
          router = "hybrid/classifier";
        }
        if (kind == RouterKind.RL) router = "rl->" + router;
      }
    }
    Profile profile = request.profile() == null ? defaultProfile : request.profile();
    Scorer.Scored[] ranked = Scorer.rank(matrix, c.tier(), weights.get(profile), request.deadlineMs());
    String chosen = ranked[0].model();
    List<String> fallbacks = new ArrayList<>(ranked.length);
    for (Scorer.Scored s : ranked) {
      String id = s.model();
      if (!id.equals(chosen) && !fallbacks.contains(id)) fallbacks.add(id);
    }
    return new RouteDecision(chosen, c.tier(), router, fallbacks);
  }

  @Override
  public void record(String model, String backendKind, Outcome outcome) {
    matrix.record(model, backendKind, outcome);
  }

  public ServiceMatrix serviceMatrix() {
    return matrix;
  }

  public KeywordClassifier keywordClassifier() {
    return keywords;
  }

  /** The learned classifier, or null when none is available. */
  public ComplexityClassifier learnedClassifier() {
    return classifier;
  }

  public Scorer.Weights weights(Profile p) {
    return weights.get(p);
  }

  @Override
  public void close() {
    if (classifier != null) classifier.close();
  }
}
