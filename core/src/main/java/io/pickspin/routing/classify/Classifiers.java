package io.pickspin.routing.classify;

import static io.pickspin.settings.SettingsErrors.naming;
import static io.pickspin.settings.SettingsErrors.oneOf;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.typesafe.config.Config;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the learned classifier that {@code pickspin.routing.classifier} configures. */
public final class Classifiers {
  private static final Logger log = LoggerFactory.getLogger(Classifiers.class);

  private Classifiers() {}

  /** Which learned classifier routing uses. */
  public enum Kind {
    /** The DJL model trained by bin/train-classifier and shipped on the classpath. */
    BUILTIN,
    /**
     * The pretrained sentence encoder (quantised all-MiniLM-L6-v2, ONNX through DJL) with a small DJL head, shipped on
     * the classpath ({@link EncoderTierClassifier}).
     */
    ENCODER,
    /** A TorchScript or ONNX model the operator supplies ({@link OperatorModelClassifier}). */
    OPERATOR,
    /** No learned classifier: classifier and hybrid routing run the keyword rules. */
    NONE
  }

  /**
   * The {@code pickspin.routing.classifier} block.
   *
   * @param builtinResource classpath resource of the built-in model
   * @param intraOpThreads PyTorch intra-op threads (process-wide); 0 or less keeps PyTorch's default
   * @param operator how to read the operator's model; present only for kind = operator
   * @param encoderResource classpath directory of the sentence-encoder classifier's head (kind = encoder)
   */
  public record Settings(Kind kind, String builtinResource, int intraOpThreads, OperatorModelClassifier.Settings operator,
      String encoderResource) {
    public Settings(Kind kind, String builtinResource, int intraOpThreads, OperatorModelClassifier.Settings operator) {
      this(kind, builtinResource, intraOpThreads, operator, EncoderTierClassifier.DEFAULT_RESOURCE);
    }

    public Settings {
      Objects.requireNonNull(kind, "kind");
      if (kind == Kind.OPERATOR && operator == null)
        throw new IllegalArgumentException("pickspin.routing.classifier.operator is required for kind = operator");
    }

    /**
     * Reads the block; the {@code operator} block only for kind = operator, where its model file must be readable
     * (a directory must hold exactly one model).
     */
    public static Settings fromConfig(Config classifier) {
      Kind kind = naming("pickspin.routing.classifier.kind", () -> oneOf(Kind.class, "kind", classifier.getString("kind")));
      OperatorModelClassifier.Settings operator = null;
      if (kind == Kind.OPERATOR) {
        try {
          operator = OperatorModelClassifier.Settings.fromConfig(classifier.getConfig("operator"));
        } catch (IOException e) {
          throw cannotLoadOperator(e);
        }
      }
      String encoder =
          classifier.hasPath("encoder-resource") ? classifier.getString("encoder-resource") : EncoderTierClassifier.DEFAULT_RESOURCE;
      return new Settings(kind, classifier.getString("builtin-resource"), classifier.getInt("intra-op-threads"), operator,
          encoder);
    }
  }

  /**
   * The configured learned classifier, or empty for kind = none. A missing or broken built-in model is logged and
   * leaves routing on the keyword rules rather than stopping the node; a broken operator model is a configuration
   * error and fails the start.
   */
  public static Optional<ComplexityClassifier> load(Settings settings) {
    switch (settings.kind()) {
      case NONE:
        return Optional.empty();
      case BUILTIN:
        try {
          setPyTorchThreads(settings.intraOpThreads());
          return Optional.of(DjlTierClassifier.fromClasspath(settings.builtinResource()));
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
          log.warn("built-in complexity classifier unavailable, routing falls back to keyword rules: {}", e.toString());
          return Optional.empty();
        }
      case ENCODER:
        try {
          setPyTorchThreads(settings.intraOpThreads());
          return Optional.of(EncoderTierClassifier.fromClasspath(settings.encoderResource()));
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
          log.warn("sentence-encoder complexity classifier unavailable, routing falls back to keyword rules: {}", e.toString());
          return Optional.empty();
        }
      default:
        try {
          if ("PyTorch".equals(settings.operator().engine())) setPyTorchThreads(settings.intraOpThreads());
          return Optional.of(OperatorModelClassifier.load(settings.operator()));
        } catch (IOException e) {
          throw cannotLoadOperator(e);
        }
    }
  }

  /** The classifier of a {@code pickspin.routing.classifier} block, for tools that hold the block rather than settings. */
  public static Optional<ComplexityClassifier> fromConfig(Config classifier) {
    return load(Settings.fromConfig(classifier));
  }

  private static IllegalArgumentException cannotLoadOperator(IOException e) {
    return new IllegalArgumentException("cannot load the operator complexity classifier: " + e.getMessage(), e);
  }

  /** Sets PyTorch's intra-op threads (process-wide) once the engine is loaded; 0 or less keeps PyTorch's default. */
  public static void setPyTorchThreads(int threads) {
    if (threads <= 0) return;
    Engine.getEngine("PyTorch");
    JniUtils.setNumThreads(threads);
  }
}
