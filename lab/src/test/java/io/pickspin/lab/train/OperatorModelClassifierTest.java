package io.pickspin.lab.train;

import io.pickspin.routing.classify.Classification;
import io.pickspin.routing.classify.Classifiers;
import io.pickspin.routing.classify.ComplexityClassifier;
import io.pickspin.routing.classify.OperatorModelClassifier;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pickspin.model.Tier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads an operator-supplied ONNX model that the test writes itself (an embedding bag whose three embedding
 * dimensions are the three classes) through the same configuration path the product uses.
 */
class OperatorModelClassifierTest {
  @TempDir static Path dir;

  // vocabulary ids: 0-4 specials, 5 easy, 6 medium, 7 hard
  static final float[][] EMBEDDING = {
    {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {4, 0, 0}, {0, 4, 0}, {0, 0, 4}
  };
  static final float[][] W = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  static final float[] B = {0, 0.5f, 0};

  @BeforeAll
  static void writeModel() throws IOException {
    Files.write(dir.resolve("tiers.onnx"), OnnxWriter.bagClassifier(EMBEDDING, W, B));
    TokenizerBuilder.write(
        List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "easy", "medium", "hard"), dir.resolve("tokenizer.json"));
  }

  static Config operatorConfig() {
    return ConfigFactory.load()
        .getConfig("pickspin.routing.classifier.operator")
        .withValue("path", ConfigValueFactory.fromAnyRef(dir.toString()));
  }

  @Test
  void loadsOnnxFromADirectoryAndMatchesAJavaReference() throws IOException {
    OperatorModelClassifier.Settings s = OperatorModelClassifier.Settings.fromConfig(operatorConfig());
    assertEquals("OnnxRuntime", s.engine());
    try (OperatorModelClassifier c = OperatorModelClassifier.load(s)) {
      assertEquals(Tier.LOW, c.classify("easy easy").tier());
      assertEquals(Tier.HIGH, c.classify("Hard!").tier());
      assertEquals(Tier.MEDIUM, c.classify("nothing known here").tier()); // bias only
      // mean of [4,0,0], [0,0,4], [0,0,4] = [4/3, 0, 8/3], + bias
      Classification mixed = c.classify("easy hard hard");
      float[] expected = softmax(new float[] {4f / 3, 0.5f, 8f / 3});
      assertArrayEquals(expected, mixed.probabilities(), 1e-5f);
      assertEquals(Tier.HIGH, mixed.tier());
      assertEquals(expected[2], mixed.confidence(), 1e-5);
      assertTrue(c.name().contains("tiers.onnx"));
    }
  }

  @Test
  void mapsOutputsThroughTheConfiguredLabels() throws IOException {
    Config cfg = operatorConfig().withValue("labels", ConfigValueFactory.fromIterable(List.of("high", "medium", "low")));
    try (OperatorModelClassifier c = OperatorModelClassifier.load(OperatorModelClassifier.Settings.fromConfig(cfg))) {
      assertEquals(Tier.HIGH, c.classify("easy").tier());
      assertEquals(Tier.LOW, c.classify("hard").tier());
    }
  }

  @Test
  void classifiersFactoryLoadsTheOperatorKind() {
    Config cfg =
        ConfigFactory.load()
            .getConfig("pickspin.routing.classifier")
            .withValue("kind", ConfigValueFactory.fromAnyRef("operator"))
            .withValue("operator.path", ConfigValueFactory.fromAnyRef(dir.resolve("tiers.onnx").toString()));
    try (ComplexityClassifier c = Classifiers.fromConfig(cfg).orElseThrow()) {
      assertEquals(Tier.HIGH, c.classify("hard hard").tier());
    }
  }

  @Test
  void aMissingOperatorModelIsAClearConfigurationError() {
    Config cfg =
        ConfigFactory.load()
            .getConfig("pickspin.routing.classifier")
            .withValue("kind", ConfigValueFactory.fromAnyRef("operator"))
            .withValue("operator.path", ConfigValueFactory.fromAnyRef(dir.resolve("missing.onnx").toString()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Classifiers.fromConfig(cfg));
    assertTrue(e.getMessage().contains("missing.onnx"), e.getMessage());
  }

  static float[] softmax(float[] x) {
    float[] y = x.clone();
    OperatorModelClassifier.softmax(y);
    return y;
  }
}
