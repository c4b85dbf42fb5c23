package io.pickspin.lab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.util.Utils;
import io.pickspin.model.Tier;
import io.pickspin.routing.classify.Classifiers;
import io.pickspin.routing.classify.EncoderTierClassifier;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shipped sentence-encoder classifier, loaded offline from the classpath as the product loads it, reproduces the
 * everyday dev-set accuracy and per-class recall its training recorded (encoder-classifier.json, validation
 * .everydayDevSet) within half a point, and beats the bag-of-word-pieces classifier it replaces on the same set.
 */
class EncoderTierClassifierDevSetTest {
  static {
    System.setProperty("ai.djl.offline", "true");
  }

  static EncoderTierClassifier classifier;
  static List<EverydayPrompts.Item> dev;

  @BeforeAll
  static void load() throws Exception {
    assertTrue(Utils.isOfflineMode(), "DJL must run offline");
    Classifiers.setPyTorchThreads(1);
    classifier = EncoderTierClassifier.load();
    dev = EverydayPrompts.dev();
  }

  @AfterAll
  static void close() {
    if (classifier != null) classifier.close();
  }

  @Test
  void reproducesItsRecordedDevSetAccuracyAndRecall() {
    @SuppressWarnings("unchecked")
    Map<String, Object> recorded =
        (Map<String, Object>) ((Map<String, Object>) classifier.metadata().training().get("validation")).get("everydayDevSet");
    assertEquals(((Number) recorded.get("n")).intValue(), dev.size(), "the dev set changed");
    long[][] confusion = new long[3][3];
    int correct = 0;
    for (EverydayPrompts.Item d : dev) {
      Tier t = classifier.classify(d.prompt()).tier();
      confusion[d.tier().ordinal()][t.ordinal()]++;
      if (t == d.tier()) correct++;
    }
    double accuracy = (double) correct / dev.size();
    assertEquals(((Number) recorded.get("accuracy")).doubleValue(), accuracy, 0.005,
        "confusion " + java.util.Arrays.deepToString(confusion));
    @SuppressWarnings("unchecked")
    Map<String, Object> recall = (Map<String, Object>) recorded.get("recall");
    for (Tier t : Tier.values()) {
      long[] row = confusion[t.ordinal()];
      double r = (double) row[t.ordinal()] / (row[0] + row[1] + row[2]);
      assertEquals(((Number) recall.get(t.name())).doubleValue(), r, 0.005, t + " recall");
    }
  }

  @Test
  void beatsTheBagOfWordPiecesClassifierOnTheDevSet() throws Exception {
    int encoder = 0, bag = 0;
    try (var old = io.pickspin.routing.classify.DjlTierClassifier.fromClasspath(
        io.pickspin.routing.classify.DjlTierClassifier.DEFAULT_RESOURCE)) {
      for (EverydayPrompts.Item d : dev) {
        if (classifier.classify(d.prompt()).tier() == d.tier()) encoder++;
        if (old.classify(d.prompt()).tier() == d.tier()) bag++;
      }
    }
    assertTrue(encoder > bag + 18, "encoder " + encoder + " vs bag " + bag + " of " + dev.size() + " (10 points at least)");
  }

  @Test
  void theDevSetIsNeverTrainedOn() throws Exception {
    RoutingLabels.Corpus c = RoutingLabels.load(java.nio.file.Path.of(System.getProperty("pickspin.shared.dir")),
        EverydayPrompts.devPrompts());
    java.util.Set<String> devTexts = new java.util.HashSet<>();
    for (EverydayPrompts.Item d : dev) devTexts.add(RoutingLabels.normalise(d.prompt()));
    for (LabelledPrompt p : c.prompts()) assertTrue(!devTexts.contains(RoutingLabels.normalise(p.text())), p.id());
    assertEquals(180, dev.size());
    assertEquals(60, dev.stream().filter(d -> d.tier() == Tier.LOW).count());
  }
}
