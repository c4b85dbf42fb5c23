package io.pickspin.cluster;

import io.pickspin.http.metrics.TimedClassifier;
import io.pickspin.model.Catalog;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.RoutingPolicy;
import io.pickspin.routing.RoutingSettings;
import io.pickspin.routing.classify.Classifiers;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.rl.PoolLoadBoard;
import io.pickspin.routing.rl.RlRoutingPolicy;
import io.pickspin.routing.rl.RlSelectingPolicy;
import java.time.Clock;

/**
 * "Pick": complexity routing (keyword rules, the learned classifier, the service matrix, the live pool load) and the
 * RL router over the same load, which requests whose router is rl take.
 *
 * @param complexity closed by {@link Node#close()}, which releases the learned classifier
 * @param routing what the gateway asks
 */
record Pick(ComplexityRoutingPolicy complexity, RoutingPolicy routing) {

  /** @param timed time the learned classifier's calls (metrics are on) */
  static Pick init(NodeSettings settings, Catalog catalog, PoolLoadBoard load, boolean timed) throws Exception {
    RoutingSettings routing = settings.routing();
    ComplexityClassifier learned = Classifiers.load(routing.classifier()).orElse(null);
    ComplexityRoutingPolicy complexity =
        ComplexityRoutingPolicy.create(catalog, routing, learned != null && timed ? new TimedClassifier(learned) : learned, load);
    try {
      warmUp(complexity);
      RlRoutingPolicy rl = RlRoutingPolicy.fromSettings(catalog, routing.rl(), rlClassifier(complexity), load, Clock.systemUTC());
      return new Pick(complexity, new RlSelectingPolicy(complexity, rl, routing.defaultRouter()));
    } catch (Exception e) {
      complexity.close();
      throw e;
    }
  }

  /** The RL router's state includes the prompt's complexity class: the hybrid classifier when there is a learned one. */
  private static ComplexityClassifier rlClassifier(ComplexityRoutingPolicy complexity) {
    ComplexityClassifier hybrid = complexity.hybridClassifier();
    return hybrid == null ? complexity.keywordClassifier() : hybrid;
  }

  /** The first classifier call pays for lazy native initialisation (about 20 ms): pay it before serving. */
  private static void warmUp(RoutingPolicy routing) {
    routing.decide(new RouteRequest(RouteRequest.AUTO, "warm up the classifier", Profile.BALANCED, RouterKind.CLASSIFIER, 0));
  }
}
