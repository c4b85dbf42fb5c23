package io.pickspin.routing;

import com.typesafe.config.Config;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.Outcome;
import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.Classifiers;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.classify.HybridClassifier;
import io.pickspin.routing.classify.KeywordClassifier;
import io.pickspin.routing.matrix.Scorer;
import io.pickspin.routing.matrix.ServiceMatrix;
import io.pickspin.routing.rl.PoolStateView;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The paper's "Pick": a named model goes to itself; "auto" is classified into a complexity tier by the request's router
 * (keyword rules, the learned classifier, or the hybrid of both), then every (model, backend) entry of the service
 * matrix is scored under the request's profile and deadline, and the best model wins with the rest as fallbacks.
 *
 * <p>Routers: KEYWORD and CLASSIFIER as named; HYBRID is {@link HybridClassifier}: the classifier when it is confident,
 * else a matched keyword phrase, else the classifier; RL is not implemented here and runs HYBRID, which the decision's
 * router field says ("rl->hybrid/..."). Without a learned classifier, CLASSIFIER and HYBRID run the keyword rules and
 * say so.
 *
 * <p>Scoring reads each model's live load ({@link PoolStateView}): a request to a model with no free replica slot waits
 * for one (its queue ahead of it, served {@code replicas x maxBatch} at a time), and to a model with no ready replica
 * for a cold start; the wait adds to the model's expected latency, which the profile's latency weight and the deadline
 * see. When the winner is not the model the profile picks for the tier on an idle fleet, the decision's reason says
 * what moved it (the deadline, that model's queue or cold pool, its error rate or measured slowdown).
 *
 * <p>Thread-safe and allocation-light: no locks on the decision path, no actor.
 */
public final class ComplexityRoutingPolicy implements RoutingPolicy, RoutingTelemetry, AutoCloseable {
  private final Catalog catalog;
  private final ServiceMatrix matrix;
  private final KeywordClassifier keywords;
  private final ComplexityClassifier classifier; // null: none available
  private final HybridClassifier hybrid; // null: no learned classifier
  private final Map<Profile, Scorer.Weights> weights;
  private final Profile defaultProfile;
  private final RouterKind defaultRouter;
  private final PoolStateView load;
  /** The model each profile picks for each prompt tier on an idle fleet, from the catalogue alone. */
  private final Map<Profile, String[]> idlePick = new EnumMap<>(Profile.class);

  /** A policy with the default hybrid threshold that sees every model idle and warm. */
  public ComplexityRoutingPolicy(
      Catalog catalog,
      ServiceMatrix matrix,
      KeywordClassifier keywords,
      ComplexityClassifier classifier,
      Map<Profile, Scorer.Weights> weights,
      Profile defaultProfile,
      RouterKind defaultRouter) {
    this(catalog, matrix, keywords, classifier, HybridClassifier.Settings.defaults(), weights, defaultProfile, defaultRouter,
        m -> PoolStateView.ModelLoad.IDLE);
  }

  /**
   * @param classifier the learned classifier, or null for none
   * @param hybridSettings when the classifier overrides a keyword match under the hybrid router
   * @param load the live load of every model's pool
   */
  public ComplexityRoutingPolicy(
      Catalog catalog,
      ServiceMatrix matrix,
      KeywordClassifier keywords,
      ComplexityClassifier classifier,
      HybridClassifier.Settings hybridSettings,
      Map<Profile, Scorer.Weights> weights,
      Profile defaultProfile,
      RouterKind defaultRouter,
      PoolStateView load) {
    this.catalog = catalog;
    this.matrix = matrix;
    this.keywords = keywords;
    this.classifier = classifier;
    this.hybrid = classifier == null ? null : new HybridClassifier(keywords, classifier, hybridSettings);
    this.weights = new EnumMap<>(Profile.class);
    for (Profile p : Profile.values()) this.weights.put(p, weights.getOrDefault(p, Scorer.Weights.of(p)));
    this.defaultProfile = defaultProfile;
    this.defaultRouter = defaultRouter;
    this.load = load;
    ServiceMatrix idle = new ServiceMatrix(catalog, matrix.settings());
    for (Profile p : Profile.values()) {
      String[] byTier = new String[Tier.values().length];
      for (Tier t : Tier.values()) byTier[t.ordinal()] = Scorer.rank(idle, t, this.weights.get(p), 0)[0].model();
      idlePick.put(p, byTier);
    }
  }

  /** Builds the policy from the routing settings with the given learned classifier (null for none), every model idle. */
  public static ComplexityRoutingPolicy create(Catalog catalog, RoutingSettings settings, ComplexityClassifier classifier) {
    return create(catalog, settings, classifier, m -> PoolStateView.ModelLoad.IDLE);
  }

  /** Builds the policy from the routing settings with the given learned classifier (null for none) and live load. */
  public static ComplexityRoutingPolicy create(
      Catalog catalog, RoutingSettings settings, ComplexityClassifier classifier, PoolStateView load) {
    return new ComplexityRoutingPolicy(
        catalog,
        new ServiceMatrix(catalog, settings.matrix()),
        new KeywordClassifier(settings.keyword()),
        classifier,
        settings.hybrid(),
        settings.profiles(),
        settings.defaultProfile(),
        settings.defaultRouter(),
        load);
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
    return explain(request).decision();
  }

  @Override
  public RouteExplanation explain(RouteRequest request) {
    Profile profile = request.profile() == null ? defaultProfile : request.profile();
    if (!request.isAuto()) {
      ModelSpec m =
          catalog.find(request.requestedModel()).orElseThrow(() -> new UnknownModelException(request.requestedModel()));
      return RouteExplanation.of(new RouteDecision(m.id(), m.tier(), "explicit", List.of()), profile);
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
        if (hybrid == null) {
          c = keywords.classify(request.prompt());
          router = "hybrid/keyword(no classifier)";
        } else {
          c = hybrid.classify(request.prompt());
          router = KeywordClassifier.matched(c) ? "hybrid/keyword" : "hybrid/classifier";
        }
        if (kind == RouterKind.RL) router = "rl->" + router;
      }
    }
    Scorer.Scored[] ranked = Scorer.rank(matrix, c.tier(), weights.get(profile), request.deadlineMs(), this::waitMs);
    String chosen = ranked[0].model();
    List<String> fallbacks = new ArrayList<>(ranked.length);
    Map<String, Double> scores = new LinkedHashMap<>();
    for (Scorer.Scored s : ranked) {
      String id = s.model();
      if (!id.equals(chosen) && !fallbacks.contains(id)) fallbacks.add(id);
      scores.merge(id, s.score(), Math::max);
    }
    String expected = idlePick.get(profile)[c.tier().ordinal()];
    String reason = chosen.equals(expected) ? null : reason(ranked, chosen, expected, request.deadlineMs());
    return new RouteExplanation(new RouteDecision(chosen, c.tier(), router, fallbacks, reason), profile, c, scores);
  }

  /**
   * How long a request to the entry's model would wait before its service starts: nothing while a replica slot is
   * free; behind a full pool, the requests ahead of it beyond its {@code replicas x maxBatch} slots, served that many at
   * a time; with no ready replica, a cold start.
   */
  private double waitMs(ServiceMatrix.Entry e) {
    ModelSpec m = e.model();
    PoolStateView.ModelLoad l = load.load(m.id());
    if (l.replicas() == 0) return m.latency().coldStartMs();
    int slots = l.replicas() * m.latency().maxBatch();
    int ahead = l.inFlight() + l.queued() + 1 - slots;
    return ahead <= 0 ? 0 : (double) ahead / slots * e.expectedLatencyMs();
  }

  /** Why {@code expected}, the profile's pick for the tier on an idle fleet, lost to {@code chosen}. */
  private String reason(Scorer.Scored[] ranked, String chosen, String expected, long deadlineMs) {
    Scorer.Scored e = null;
    Scorer.Scored winner = ranked[0];
    for (Scorer.Scored s : ranked) {
      if (s.model().equals(expected)) {
        e = s;
        break;
      }
    }
    if (e == null) return null; // not in the matrix: nothing to say
    List<String> why = new ArrayList<>(3);
    if (deadlineMs > 0 && e.latencyMs() > deadlineMs && !e.eligible())
      why.add("expects " + ms(e.latencyMs()) + " ms, over the " + deadlineMs + " ms deadline");
    if (e.waitMs() > 0) {
      PoolStateView.ModelLoad l = load.load(expected);
      ModelSpec m = e.entry().model();
      why.add(
          l.replicas() == 0
              ? "has no ready replica (cold start ~" + ms(e.waitMs()) + " ms)"
              : "is saturated: " + l.inFlight() + " in flight and " + l.queued() + " queued for " + l.replicas() + " x "
                  + m.latency().maxBatch() + " slots (~" + ms(e.waitMs()) + " ms wait)");
    }
    if (e.entry().errorRate() >= 0.05) why.add("failed " + Math.round(e.entry().errorRate() * 100) + "% of recent requests");
    if (e.entry().slowdown() >= 1.1)
      why.add("serves " + Math.round(e.entry().slowdown() * 10) / 10.0 + "x slower than its latency profile");
    if (why.isEmpty()) why.add("scores lower on live telemetry");
    return expected + " " + String.join(", ", why) + "; " + chosen + " scores " + score(winner.score()) + " against "
        + score(e.score());
  }

  private static String ms(double v) {
    return Long.toString(Math.round(v));
  }

  private static String score(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
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

  /** The hybrid router's classifier, or null without a learned classifier. */
  public ComplexityClassifier hybridClassifier() {
    return hybrid;
  }

  public Scorer.Weights weights(Profile p) {
    return weights.get(p);
  }

  @Override
  public void close() {
    if (classifier != null) classifier.close();
  }
}
