package io.pickspin.routing.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.Utils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shipped encoder (quantised all-MiniLM-L6-v2 through DJL's OnnxRuntime engine), loaded with DJL offline. */
class SentenceEncoderTest {
  static {
    System.setProperty("ai.djl.offline", "true"); // before anything in DJL runs: nothing may be downloaded
  }

  static final List<String> PROMPTS =
      List.of(
          "What is the capital of Portugal?",
          "Convert 5 kilometers to meters.",
          "Explain how a hash map handles collisions.",
          "Write a Python function that reverses a linked list.",
          "Design a distributed rate limiter for a global API with per-tenant quotas.",
          "Prove the halting problem is undecidable.",
          "hi",
          "Translate 'good morning' into Spanish.",
          "Summarise the causes of the First World War in three paragraphs.",
          "Implement a lock-free ring buffer in C++ and explain the memory ordering.");

  static SentenceEncoder encoder;

  @BeforeAll
  static void load() throws Exception {
    assertTrue(Utils.isOfflineMode(), "DJL must run offline");
    encoder = SentenceEncoder.load();
  }

  @AfterAll
  static void close() {
    if (encoder != null) encoder.close();
  }

  static double norm(float[] v) {
    double s = 0;
    for (float x : v) s += (double) x * x;
    return Math.sqrt(s);
  }

  static String words(int n) {
    String[] vocabulary = {"the", "router", "sends", "each", "prompt", "to", "a", "model", "that", "answers", "it", "well"};
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) b.append(i == 0 ? "" : " ").append(vocabulary[i % vocabulary.length]);
    return b.toString();
  }

  @Test
  void theShippedEncoderIsTheQuantisedMiniLmWithA128TokenWindow() {
    assertEquals(SentenceEncoder.Spec.MINILM_L6_V2_Q, encoder.spec());
    assertEquals(128, encoder.maxTokens());
    assertEquals(384, encoder.dimension());
  }

  @Test
  void embeddingsHave384DimensionsAndUnitNorm() {
    for (String p : PROMPTS) {
      float[] v = encoder.embed(p);
      assertEquals(384, v.length, p);
      assertEquals(1.0, norm(v), 1e-5, p);
    }
    assertEquals(1.0, norm(encoder.embed("")), 1e-5, "an empty prompt is [CLS] [SEP]");
  }

  @Test
  void aCapitalQuestionIsCloserToAnotherCapitalQuestionThanToAProof() {
    float[] portugal = encoder.embed("What is the capital of Portugal?");
    float[] france = encoder.embed("Name the capital city of France.");
    float[] halting = encoder.embed("Prove the halting problem is undecidable.");
    float near = SentenceEncoder.cosine(portugal, france);
    float far = SentenceEncoder.cosine(portugal, halting);
    assertTrue(near > far + 0.3f, "cos(Portugal, France) = " + near + ", cos(Portugal, halting) = " + far);
  }

  @Test
  void theSamePromptGivesTheSameEmbedding() {
    float[] first = encoder.embed(PROMPTS.get(4));
    encoder.embed(PROMPTS.get(5));
    assertArrayEquals(first, encoder.embed(PROMPTS.get(4)));
    assertTrue(SentenceEncoder.cosine(first, encoder.embed(PROMPTS.get(6))) < 0.9f, "different prompts differ");
  }

  @Test
  void aLongPromptIsCutToTheWindowWithoutError() {
    String prompt = words(2000);
    assertEquals(128, encoder.tokens(prompt));
    assertTrue(encoder.tokens("What is 2+2?") < 128);
    float[] v = encoder.embed(prompt);
    assertEquals(1.0, norm(v), 1e-5);
    // whatever follows the window is not seen
    assertArrayEquals(v, encoder.embed(prompt + " Prove the halting problem is undecidable."));
    assertTrue(SentenceEncoder.cosine(v, encoder.embed(words(60))) < 0.9999f, "the window is longer than 60 words");
  }

  @Test
  void cuttingALongPromptBeforeTokenisingGivesTheTokensOfTheWholePrompt() throws Exception {
    StringBuilder code = new StringBuilder(), cjk = new StringBuilder(), unk = new StringBuilder(), accents = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      code.append("def extraordinarilyLongIdentifierNumber").append(i).append("(x):\n\treturn x * ").append(i).append("\n");
      cjk.append("日本語のテキストです。");
      unk.append("x".repeat(120)).append(' '); // longer than a word piece may be: one [UNK] each
      accents.append("Café naïve résumé — «quoted» text,\twith punctuation!!! ");
    }
    List<String> texts = List.of(words(2000), code.toString(), cjk.toString(), unk.toString(), accents.toString(),
        words(2000).replace(' ', '\n'), "short " + words(120));
    try (var in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-q-tokenizer.json");
        var whole = HuggingFaceTokenizer.newInstance(in, Map.of("maxLength", "128", "truncation", "true", "padding", "false"))) {
      for (String t : texts) {
        String name = t.substring(0, 30).replace('\n', ' ') + "... (" + t.length() + " chars)";
        assertArrayEquals(whole.encode(t).getIds(), encoder.encode(t).getIds(), name);
        assertArrayEquals(whole.encode(t).getTypeIds(), encoder.encode(t).getTypeIds(), name);
      }
    }
  }

  @Test
  void concurrentCallsGiveTheSequentialResults() throws Exception {
    List<float[]> sequential = new ArrayList<>();
    for (String p : PROMPTS) sequential.add(encoder.embed(p));
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<float[]>>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int offset = t;
        Callable<List<float[]>> job =
            () -> {
              start.await();
              List<float[]> out = new ArrayList<>();
              for (int i = 0; i < 5 * PROMPTS.size(); i++) out.add(encoder.embed(PROMPTS.get((i + offset) % PROMPTS.size())));
              return out;
            };
        futures.add(pool.submit(job));
      }
      start.countDown();
      for (int t = 0; t < threads; t++) {
        List<float[]> got = futures.get(t).get(120, TimeUnit.SECONDS);
        for (int i = 0; i < got.size(); i++) {
          int k = (i + t) % PROMPTS.size();
          assertArrayEquals(sequential.get(k), got.get(i), "thread " + t + " call " + i + ": " + PROMPTS.get(k));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(encoder.predictors() >= 1 && encoder.predictors() <= threads + 1, "predictors " + encoder.predictors());
  }

  @Test
  void theBatchMethodGivesExactlyTheSingleCallEmbeddings() {
    float[][] batch = encoder.embed(PROMPTS);
    assertEquals(PROMPTS.size(), batch.length);
    for (int i = 0; i < PROMPTS.size(); i++) assertArrayEquals(encoder.embed(PROMPTS.get(i)), batch[i], PROMPTS.get(i));
    assertEquals(0, encoder.embed(List.of()).length);
  }

  @Test
  void aPaddedBatchGivesNearlyTheSingleCallEmbeddings() {
    float[][] padded = encoder.embedPadded(PROMPTS);
    assertEquals(PROMPTS.size(), padded.length);
    for (int i = 0; i < PROMPTS.size(); i++) {
      assertEquals(1.0, norm(padded[i]), 1e-5);
      // int8: the graph quantises activations over the whole padded batch, so not bit for bit (0.977-0.995 measured);
      // pooling over the padding instead of the mask drops a short prompt's cosine far lower
      float c = SentenceEncoder.cosine(padded[i], encoder.embed(PROMPTS.get(i)));
      assertTrue(c > 0.96f, PROMPTS.get(i) + ": cosine " + c);
    }
    assertArrayEquals(encoder.embed("hi"), encoder.embedPadded(List.of("hi", "hi"))[1], "no padding, same scale");
  }

  @Test
  void callsFreeTheirNativeArrays() {
    encoder.embed(PROMPTS.get(0));
    int held = encoder.nativeResourcesHeld();
    for (int i = 0; i < 50; i++) encoder.embed(PROMPTS.get(i % PROMPTS.size()));
    encoder.embedPadded(PROMPTS);
    assertEquals(held, encoder.nativeResourcesHeld());
  }

  @Test
  void aSmallerWindowAndAClosedEncoder() throws Exception {
    SentenceEncoder small = SentenceEncoder.builder().maxTokens(16).build();
    try {
      assertEquals(16, small.tokens(words(100)));
      assertEquals(384, small.embed(words(100)).length);
      assertArrayEquals(small.embed(words(14)), small.embed(words(100)), "16 tokens = [CLS] + 14 words + [SEP]");
    } finally {
      small.close();
    }
    small.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> small.embed("hello"));
    assertThrows(IllegalArgumentException.class, () -> SentenceEncoder.builder().maxTokens(1000));
  }

  @Test
  void aMissingResourceFailsToLoadWithItsName() {
    var missing = new SentenceEncoder.Spec("nope", "nope.onnx", "all-minilm-l6-v2-q-tokenizer.json", SentenceEncoder.Pooling.MEAN);
    var e = assertThrows(java.io.IOException.class, () -> SentenceEncoder.builder().spec(missing).build());
    assertTrue(e.getMessage().contains("nope.onnx"), e.getMessage());
  }
}
