package io.pickspin.routing;

import static io.pickspin.settings.SettingsErrors.naming;

import com.typesafe.config.Config;
import io.pickspin.routing.classify.Classifiers;
import io.pickspin.routing.classify.HybridClassifier;
import io.pickspin.routing.classify.KeywordClassifier;
import io.pickspin.routing.matrix.Scorer;
import io.pickspin.routing.matrix.ServiceMatrix;
import io.pickspin.routing.rl.RlSettings;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The settings of "Pick", the {@code pickspin.routing} block (pickspin-routing.conf, pickspin-rl.conf): the defaults of
 * a request that names no profile or router, the keyword rules, the learned classifier, when the classifier overrides a
 * keyword match, the profile weights, the service matrix and the RL router.
 *
 * @param defaultProfile the profile of a request that names none
 * @param defaultRouter the router of an "auto" request that names none
 * @param profiles the weights of each profile; a profile without an entry keeps its built-in weights
 */
public record RoutingSettings(
    Profile defaultProfile,
    RouterKind defaultRouter,
    KeywordClassifier.Settings keyword,
    Classifiers.Settings classifier,
    HybridClassifier.Settings hybrid,
    Map<Profile, Scorer.Weights> profiles,
    ServiceMatrix.Settings matrix,
    RlSettings rl) {

  public RoutingSettings {
    profiles = Map.copyOf(profiles);
  }

  /** Reads the {@code pickspin.routing} block. */
  public static RoutingSettings fromConfig(Config routing) {
    return new RoutingSettings(
        naming("pickspin.routing.default-profile", () -> Profile.parse(routing.getString("default-profile"))),
        naming("pickspin.routing.default-router", () -> RouterKind.parse(routing.getString("default-router"))),
        naming("pickspin.routing.keyword", () -> KeywordClassifier.Settings.fromConfig(routing.getConfig("keyword"))),
        naming("pickspin.routing.classifier", () -> Classifiers.Settings.fromConfig(routing.getConfig("classifier"))),
        naming("pickspin.routing.hybrid", () -> HybridClassifier.Settings.fromConfig(routing.getConfig("hybrid"))),
        naming("pickspin.routing.profiles", () -> profileWeights(routing.getConfig("profiles"))),
        naming("pickspin.routing.matrix", () -> ServiceMatrix.Settings.fromConfig(routing.getConfig("matrix"))),
        naming("pickspin.routing.rl", () -> RlSettings.fromConfig(routing.getConfig("rl"))));
  }

  /** The weights of the profiles {@code profiles} lists, each {@code { relevance, latency, cost }}. */
  private static Map<Profile, Scorer.Weights> profileWeights(Config profiles) {
    Map<Profile, Scorer.Weights> w = new EnumMap<>(Profile.class);
    for (Profile p : Profile.values()) {
      String key = p.name().toLowerCase(Locale.ROOT);
      if (!profiles.hasPath(key)) continue;
      Config c = profiles.getConfig(key);
      w.put(p, naming("pickspin.routing.profiles." + key,
          () -> new Scorer.Weights(c.getDouble("relevance"), c.getDouble("latency"), c.getDouble("cost"))));
    }
    return w;
  }
}
