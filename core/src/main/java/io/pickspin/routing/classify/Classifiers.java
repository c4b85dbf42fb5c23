package io.pickspin.routing.classify;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.typesafe.config.Config;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the learned classifier that {@code pickspin.routing.classifier} configures. */
public final class Classifiers {
  private static final Logger log = LoggerFactory.getLogger(Classifiers.class);

  private Classifiers() {}

  /**
   * The configured learned classifier, or empty for kind = none. A missing or broken built-in model is logged and
   * leaves routing on the keyword rules rather than stopping the node; a broken operator model is a configuration
   * error and fails the start.
   */
  public static Optional<ComplexityClassifier> fromConfig(Config classifier) {
    String kind = classifier.getString("kind").trim().toLowerCase(Locale.ROOT);
    switch (kind) {
      case "none":
        return Optional.empty();
      case "builtin":
        try {
          setPyTorchThreads(classifier.getInt("intra-op-threads"));
          return Optional.of(DjlTierClassifier.fromClasspath(classifier.getString("builtin-resource")));
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
          log.warn("built-in complexity classifier unavailable, routing falls back to keyword rules: {}", e.toString());
          return Optional.empty();
        }
      case "operator":
        try {
          OperatorModelClassifier.Settings s = OperatorModelClassifier.Settings.fromConfig(classifier.getConfig("operator"));
          if ("PyTorch".equals(s.engine())) setPyTorchThreads(classifier.getInt("intra-op-threads"));
          return Optional.of(OperatorModelClassifier.load(s));
        } catch (IOException e) {
          throw new IllegalArgumentException("cannot load the operator complexity classifier: " + e.getMessage(), e);
        }
      default:
        throw new IllegalArgumentException(
            "unknown pickspin.routing.classifier.kind '" + kind + "', expected builtin, operator or none");
    }
  }

  /** Sets PyTorch's intra-op threads (process-wide) once the engine is loaded; 0 or less keeps PyTorch's default. */
  public static void setPyTorchThreads(int threads) {
    if (threads <= 0) return;
    Engine.getEngine("PyTorch");
    JniUtils.setNumThreads(threads);
  }
}
