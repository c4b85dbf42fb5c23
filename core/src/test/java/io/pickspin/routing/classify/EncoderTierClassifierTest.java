package io.pickspin.routing.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.util.Utils;
import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Tier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped sentence-encoder classifier (src/main/resources/pickspin/classifier-encoder) loads offline and classifies
 * the issue's own examples (issue 21) as routing needs them. Its dev-set accuracy is checked in lab
 * (EncoderTierClassifierDevSetTest), where the dev set lives.
 */
class EncoderTierClassifierTest {
  static {
    System.setProperty("ai.djl.offline", "true"); // before anything in DJL runs: nothing may be downloaded
  }

  static EncoderTierClassifier classifier;

  @BeforeAll
  static void load() throws Exception {
    assertTrue(Utils.isOfflineMode(), "DJL must run offline");
    Classifiers.setPyTorchThreads(1);
    classifier = EncoderTierClassifier.load();
  }

  @AfterAll
  static void close() {
    if (classifier != null) classifier.close();
  }

  @Test
  void theShippedHeadReadsTheQuantisedMiniLmAndRecordsHowItWasMade() {
    EncoderHeadMetadata m = classifier.metadata();
    assertEquals(SentenceEncoder.Spec.MINILM_L6_V2_Q.name(), m.encoder());
    assertEquals(m.window(), classifier.encoder().maxTokens());
    assertEquals(384, m.dimension());
    assertEquals(List.of("LOW", "MEDIUM", "HIGH"), m.classes());
    assertTrue(m.window() == 64 || m.window() == 128, "window " + m.window());
    Map<String, Object> t = m.training();
    for (String key : List.of("seed", "variant", "labelRule", "counts", "heldOutTest", "validation", "variants"))
      assertNotNull(t.get(key), key);
    @SuppressWarnings("unchecked")
    Map<String, Object> heldOut = (Map<String, Object>) t.get("heldOutTest");
    assertEquals(0.3, ((Number) heldOut.get("fraction")).doubleValue(), 1e-9);
    assertEquals(List.of("gsm8k", "mmlu", "mt-bench"), heldOut.get("sources"));
    assertTrue(((List<?>) heldOut.get("ids")).size() > 3000, "the held-out prompt ids are listed");
  }

  @Test
  void theIssuesEasyPromptsAreLow() {
    for (String p : List.of("What is the capital city of Portugal?", "Convert 5 kilometers to meters.",
        "List three primary colors.", "What is 2+2?")) {
      Classification c = classifier.classify(p);
      assertEquals(Tier.LOW, c.tier(), p + ": " + java.util.Arrays.toString(c.probabilities()));
    }
  }

  @Test
  void theIssuesHardPromptIsHigh() {
    String p = "Design a distributed rate limiter for a global API";
    Classification c = classifier.classify(p);
    assertEquals(Tier.HIGH, c.tier(), p + ": " + java.util.Arrays.toString(c.probabilities()));
  }

  @Test
  void probabilitiesSumToOneAndTheComplexityScoreFollowsThem() {
    for (String p : List.of("hi", "Design a distributed rate limiter for a global API", "Explain how TCP handshakes work.", "")) {
      Classification c = classifier.classify(p);
      float[] q = c.probabilities();
      assertEquals(3, q.length);
      assertEquals(1.0, q[0] + q[1] + q[2], 1e-5, p);
      int best = 0;
      for (int i = 1; i < 3; i++) if (q[i] >= q[best]) best = i;
      assertEquals(Tier.values()[best], c.tier(), p);
      assertEquals(q[best], c.confidence(), 1e-7);
      double complexity = q[2] + 0.5 * q[1];
      assertEquals(complexity, c.complexity(), 1e-6, p);
      assertEquals(complexity, classifier.complexityOf(p), 1e-6, p);
      assertTrue(c.complexity() >= 0 && c.complexity() <= 1);
      assertEquals("classifier", c.source());
    }
    assertTrue(classifier.complexityOf("Design a distributed rate limiter for a global API")
        > classifier.complexityOf("What is the capital city of Portugal?"));
  }

  @Test
  void theComplexityScoreOfAClassificationWithoutProbabilitiesFollowsItsTier() {
    assertEquals(0.0, new Classification(Tier.LOW, 0, null, "keyword", null).complexity());
    assertEquals(0.5, new Classification(Tier.MEDIUM, 0, null, "keyword", null).complexity());
    assertEquals(1.0, new Classification(Tier.HIGH, 1, null, "keyword", "design").complexity());
    assertEquals(0.25, EncoderTierClassifier.complexity(new float[] {0.5f, 0.5f, 0f}), 1e-7);
  }

  @Test
  void concurrentCallsGiveTheSequentialResults() throws Exception {
    List<String> prompts = List.of("hi", "What is 2+2?", "Write a Python function that reverses a linked list.",
        "Design a distributed rate limiter for a global API", "Summarise this paragraph in two sentences: the council met.");
    List<float[]> sequential = new ArrayList<>();
    for (String p : prompts) sequential.add(classifier.probabilities(p));
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<float[]>>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int offset = t;
        futures.add(pool.submit(() -> {
          start.await();
          List<float[]> out = new ArrayList<>();
          for (int i = 0; i < 4 * prompts.size(); i++) out.add(classifier.probabilities(prompts.get((i + offset) % prompts.size())));
          return out;
        }));
      }
      start.countDown();
      for (int t = 0; t < threads; t++) {
        List<float[]> got = futures.get(t).get(120, TimeUnit.SECONDS);
        for (int i = 0; i < got.size(); i++)
          assertArrayEquals(sequential.get((i + t) % prompts.size()), got.get(i), "thread " + t + " call " + i);
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(classifier.predictors() >= 1 && classifier.predictors() <= threads + 1, "predictors " + classifier.predictors());
  }

  @Test
  void classifiersBuildItForKindEncoder() {
    var settings = Classifiers.Settings.fromConfig(ConfigFactory.parseString(
        "kind = encoder, builtin-resource = \"pickspin/classifier\", intra-op-threads = 1"));
    assertEquals(Classifiers.Kind.ENCODER, settings.kind());
    assertEquals(EncoderTierClassifier.DEFAULT_RESOURCE, settings.encoderResource());
    try (ComplexityClassifier c = Classifiers.load(settings).orElseThrow()) {
      assertTrue(c instanceof EncoderTierClassifier);
      assertEquals(classifier.classify("What is 2+2?").tier(), c.classify("What is 2+2?").tier());
    }
    var missing = Classifiers.Settings.fromConfig(ConfigFactory.parseString(
        "kind = encoder, builtin-resource = x, intra-op-threads = 1, encoder-resource = \"pickspin/no-such-head\""));
    assertTrue(Classifiers.load(missing).isEmpty(), "a missing head leaves routing on the keyword rules");
  }

  @Test
  void aClosedClassifierRefusesCalls() throws Exception {
    EncoderTierClassifier c = EncoderTierClassifier.load();
    assertEquals(3, c.probabilities("hello").length);
    c.close();
    c.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> c.classify("hello"));
  }

  @Test
  void aHeadOfTheWrongShapeFailsToLoad(@TempDir Path dir) throws Exception {
    EncoderHeadMetadata m = classifier.metadata();
    // the shipped parameters, described as a head with a different hidden width
    try (var in = getClass().getClassLoader().getResourceAsStream(EncoderTierClassifier.DEFAULT_RESOURCE + "/" + m.paramsFile())) {
      Files.copy(in, dir.resolve(m.paramsFile()));
    }
    new EncoderHeadMetadata(m.format(), m.encoder(), m.window(), m.dimension(), m.hidden() == 0 ? 32 : m.hidden() + 1,
        m.classes(), m.paramsName(), m.paramsEpoch(), m.complexity(), Map.of()).write(dir.resolve(EncoderHeadMetadata.FILE));
    assertThrows(IOException.class, () -> EncoderTierClassifier.fromDirectory(dir, classifier.encoder()));
    Files.delete(dir.resolve(m.paramsFile()));
    assertThrows(IOException.class, () -> EncoderTierClassifier.fromDirectory(dir, classifier.encoder()));
  }
}
