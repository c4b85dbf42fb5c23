package io.pickspin.lab.train;

import io.pickspin.routing.classify.Classifiers;
import io.pickspin.routing.classify.DjlTierClassifier;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Tier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The classifier the product ships (src/main/resources/pickspin/classifier) loads offline from the classpath and
 * reproduces its reported held-out accuracy on the real held-out split rebuilt from ../shared/data.
 */
class BuiltinClassifierTest {
  /** The held-out accuracy reported in docs/classifier-labels.md and bench/results/routing.md (floor). */
  static final double REPORTED_ACCURACY = 0.74;

  static DjlTierClassifier classifier;
  static PromptCorpus.Split split;

  @BeforeAll
  static void load() throws Exception {
    Classifiers.setPyTorchThreads(1);
    classifier = DjlTierClassifier.fromClasspath(DjlTierClassifier.DEFAULT_RESOURCE);
    Map<String, Object> t = classifier.metadata().training();
    PromptCorpus.Rule rule = PromptCorpus.Rule.valueOf(t.get("labelRule").toString().toUpperCase(Locale.ROOT));
    Path shared = Path.of(System.getProperty("pickspin.shared.dir"));
    split =
        PromptCorpus.split(
            PromptCorpus.load(shared, rule),
            ((Number) t.get("seed")).longValue(),
            TrainClassifier.TEST_FRACTION,
            TrainClassifier.VALIDATION_FRACTION);
  }

  @AfterAll
  static void close() {
    classifier.close();
  }

  @Test
  void reproducesTheReportedHeldOutAccuracy() {
    @SuppressWarnings("unchecked")
    Map<String, Object> heldOut = (Map<String, Object>) classifier.metadata().training().get("heldOut");
    assertEquals(((Number) heldOut.get("n")).intValue(), split.test().size(), "the held-out split changed");
    Evaluation e = new Evaluation();
    TrainClassifier.evaluate(classifier, split.test(), e);
    assertEquals(((Number) heldOut.get("accuracy")).doubleValue(), e.accuracy(), 0.002);
    assertTrue(e.accuracy() >= REPORTED_ACCURACY, "held-out accuracy " + e.accuracy());
    for (Tier t : Tier.values()) assertTrue(e.recall(t) >= 0.5, t + " recall " + e.recall(t));
  }

  @Test
  void clearlyEasyAndHardHeldOutPromptsAreRight() {
    expect("commonsenseqa", Tier.LOW);
    expect("olympiadbench", Tier.HIGH);
    expect("minerva_math", Tier.HIGH);
    expect("bbh", Tier.MEDIUM);
  }

  private static void expect(String source, Tier tier) {
    List<LabelledPrompt> l = split.test().stream().filter(p -> p.source().equals(source)).limit(5).toList();
    assertEquals(5, l.size());
    for (LabelledPrompt p : l) assertEquals(tier, classifier.classify(p.text()).tier(), p.text());
  }

  @Test
  void concurrentCallsAgreeWithSequentialOnes() throws Exception {
    List<String> prompts = split.test().stream().limit(64).map(LabelledPrompt::text).toList();
    List<float[]> expected = new ArrayList<>();
    for (String p : prompts) expected.add(classifier.classify(p).probabilities());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<float[]>> fs = new ArrayList<>();
      for (int r = 0; r < 4; r++) for (String p : prompts) fs.add(pool.submit(() -> classifier.classify(p).probabilities()));
      for (int i = 0; i < fs.size(); i++) assertArrayEquals(expected.get(i % prompts.size()), fs.get(i).get(), 1e-5f);
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void plainJavaInferenceMatchesDjlsForwardPass() {
    List<String> prompts = split.test().stream().limit(400).map(LabelledPrompt::text).toList();
    float[][] djl = classifier.djlProbabilities(prompts);
    float[][] plain = classifier.probabilities(prompts);
    for (int i = 0; i < prompts.size(); i++) assertArrayEquals(djl[i], plain[i], 1e-5f, prompts.get(i));
    assertArrayEquals(classifier.djlProbabilities(List.of(""))[0], classifier.classify("").probabilities(), 1e-5f);
  }

  @Test
  void djlForwardPassFreesItsArrays() {
    List<String> prompts = split.test().stream().skip(200).limit(8).map(LabelledPrompt::text).toList();
    classifier.djlProbabilities(prompts);
    int before = classifier.nativeArraysHeld();
    for (int i = 0; i < 20; i++) classifier.djlProbabilities(prompts);
    assertEquals(before, classifier.nativeArraysHeld(), "native arrays left behind by 20 forward passes");
  }

  @Test
  void batchAndSingleInferenceAgree() {
    List<String> prompts = split.test().stream().skip(100).limit(16).map(LabelledPrompt::text).toList();
    float[][] batch = classifier.probabilities(prompts);
    for (int i = 0; i < prompts.size(); i++)
      assertArrayEquals(batch[i], classifier.classify(prompts.get(i)).probabilities(), 1e-5f);
  }
}
