package io.pickspin.routing.rl;

import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.routing.RouteDecision;
import io.pickspin.routing.RouteExplanation;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.UnknownModelException;
import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.ComplexityClassifier;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The learned best-effort router (second paper): a named model goes to itself; for "auto" the prompt's complexity
 * class (from the injected classifier), the live load of every candidate model ({@link PoolStateView}), the estimated
 * arrival rate and the request's deadline form the {@link RouterState} in the policy's own layout; the Q-network scores each candidate and the
 * best one serves, the others follow as fallbacks in Q-value order.
 *
 * <p>Every request that passes through counts as an arrival for the rate estimate (also named-model requests, which
 * load the same pools; {@link RlSelectingPolicy} reports the ones routed elsewhere through {@link #observeArrival}).
 *
 * <p>The policy's actions name the models it was trained on; each maps to the catalogue model of the same id, else to
 * the catalogue's default model of the action's tier. Thread-safe and lock-free apart from the rate estimator.
 */
public final class RlRoutingPolicy implements RoutingPolicy {
  private static final Logger log = LoggerFactory.getLogger(RlRoutingPolicy.class);
  public static final String ROUTER_NAME = "rl";

  private final Catalog catalog;
  private final DqnPolicy policy;
  private final ComplexityClassifier classifier;
  private final PoolStateView pools;
  private final ArrivalRateEstimator arrivals;
  private final Clock clock;
  private final long defaultDeadlineMs;
  private final String[] actionModels;
  private final RouterState.Encoder encoder;

  public RlRoutingPolicy(
      Catalog catalog,
      DqnPolicy policy,
      ComplexityClassifier classifier,
      PoolStateView pools,
      ArrivalRateEstimator arrivals,
      Clock clock,
      long defaultDeadlineMs) {
    this.catalog = catalog;
    this.policy = policy;
    this.classifier = classifier;
    this.pools = pools;
    this.arrivals = arrivals;
    this.clock = clock;
    this.defaultDeadlineMs = defaultDeadlineMs > 0 ? defaultDeadlineMs : policy.defaultDeadlineMs();
    int n = policy.actions().size();
    this.actionModels = new String[n];
    int[] maxBatch = new int[n];
    for (int i = 0; i < n; i++) {
      DqnPolicy.Action a = policy.actions().get(i);
      ModelSpec m = catalog.find(a.model()).filter(spec -> !spec.embeddings()).orElse(null);
      if (m == null) {
        m = catalog.defaultFor(a.tier());
        log.info("RL policy action '{}' ({}) is not in the catalogue: routing it to '{}'", a.model(), a.tier(), m.id());
      }
      actionModels[i] = m.id();
      maxBatch[i] = m.latency().maxBatch();
    }
    this.encoder = new RouterState.Encoder(List.of(actionModels), maxBatch, policy.scales(), policy.layout());
  }

  /** Builds the router from {@code pickspin.routing.rl} settings. */
  public static RlRoutingPolicy fromSettings(
      Catalog catalog, RlSettings settings, ComplexityClassifier classifier, PoolStateView pools, Clock clock)
      throws IOException {
    return new RlRoutingPolicy(catalog, settings.loadPolicy(), classifier, pools,
        new ArrivalRateEstimator(settings.rateTimeConstant().toMillis()), clock, settings.defaultDeadlineMs());
  }

  /** Counts a request routed by another policy towards the arrival-rate estimate. */
  public void observeArrival() {
    arrivals.recordArrival(clock.millis());
  }

  @Override
  public RouteDecision decide(RouteRequest request) {
    return explain(request).decision();
  }

  /** The decision with the prompt's classification and each model's Q-value as its score. */
  @Override
  public RouteExplanation explain(RouteRequest request) {
    long now = clock.millis();
    arrivals.recordArrival(now);
    if (!request.isAuto()) {
      ModelSpec m =
          catalog.find(request.requestedModel()).orElseThrow(() -> new UnknownModelException(request.requestedModel()));
      return RouteExplanation.of(new RouteDecision(m.id(), m.tier(), "explicit", List.of()), request.profile());
    }
    Classification c = classifier.classify(request.prompt());
    Tier tier = c.tier();
    float[] q = policy.qValues(state(tier, request.deadlineMs() > 0 ? request.deadlineMs() : defaultDeadlineMs, now));
    int[] order = QNetwork.ranking(q);
    String chosen = actionModels[order[0]];
    List<String> fallbacks = new ArrayList<>(q.length - 1);
    Map<String, Double> scores = new LinkedHashMap<>();
    for (int i = 0; i < order.length; i++) {
      String m = actionModels[order[i]];
      if (!m.equals(chosen) && !fallbacks.contains(m)) fallbacks.add(m);
      scores.putIfAbsent(m, (double) q[order[i]]);
    }
    return new RouteExplanation(new RouteDecision(chosen, tier, ROUTER_NAME, fallbacks), request.profile(), c, scores);
  }

  /** The state vector of a request of {@code tier} with {@code deadlineMs} at {@code nowMs}. */
  float[] state(Tier tier, double deadlineMs, long nowMs) {
    return encoder.encode(tier, pools, arrivals.ratePerSecond(nowMs), deadlineMs);
  }

  /** The catalogue model each action routes to, in action order. */
  public List<String> actionModels() {
    return List.of(actionModels);
  }

  public DqnPolicy policy() {
    return policy;
  }

  public double estimatedRatePerSecond() {
    return arrivals.ratePerSecond(clock.millis());
  }
}
