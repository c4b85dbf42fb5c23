package io.pickspin.lab.train;

import io.pickspin.routing.classify.DjlTierClassifier;
import io.pickspin.routing.classify.TierFeatures;
import io.pickspin.routing.classify.WordPieceTokenizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The plain-Java tokenizer gives the HuggingFace tokenizer's ids for the shipped tokenizer.json. */
class WordPieceTokenizerTest {
  static final String SHIPPED = DjlTierClassifier.DEFAULT_RESOURCE + "/" + DjlTierClassifier.TOKENIZER_FILE;
  static HuggingFaceTokenizer reference;
  static WordPieceTokenizer plain;

  @BeforeAll
  static void load() throws Exception {
    ClassLoader cl = WordPieceTokenizerTest.class.getClassLoader();
    try (InputStream a = cl.getResourceAsStream(SHIPPED); InputStream b = cl.getResourceAsStream(SHIPPED)) {
      reference = TierFeatures.loadTokenizer(a);
      plain = WordPieceTokenizer.supporting(b).orElseThrow(() -> new AssertionError("the shipped tokenizer.json is not supported"));
    }
  }

  @AfterAll
  static void close() {
    reference.close();
  }

  private static void assertSameIds(String text) {
    long[] expected = reference.encode(text, false, false).getIds();
    assertArrayEquals(expected, plain.encode(text, Integer.MAX_VALUE), () -> "ids of: " + text);
  }

  @Test
  void everyPromptOfTheCorpusGetsTheSameIds() throws Exception {
    Path shared = Path.of(System.getProperty("pickspin.shared.dir"));
    List<LabelledPrompt> corpus = PromptCorpus.load(shared, PromptCorpus.Rule.DIFFICULTY);
    assertTrue(corpus.size() > 30_000, "corpus of " + corpus.size());
    List<String> mismatches = new ArrayList<>();
    for (LabelledPrompt p : corpus) {
      long[] expected = reference.encode(p.text(), false, false).getIds();
      if (!java.util.Arrays.equals(expected, plain.encode(p.text(), Integer.MAX_VALUE))) mismatches.add(p.id());
    }
    assertEquals(List.of(), mismatches.subList(0, Math.min(20, mismatches.size())), mismatches.size() + " prompts differ");
  }

  @Test
  void edgeCasesGetTheSameIds() {
    for (String text : List.of(
        "",
        "   ",
        "Hello, World!",
        "non\u00a0breaking\u2009thin\u3000ideographic spaces",
        "file\u001cseparator and\u0085next line",
        "\u00abguillemets\u00bb \u201cquotes\u201d \u2014 dash \u2026 ellipsis \u00bfque?",
        "\u0130stanbul \u00c9T\u00c9 \u03a3\u039f\u03a6\u039f\u03a3 stra\u00dfe \ufb01ne",
        "emoji \ud83d\ude00 and \ud835\udc00 math bold",
        "literal [CLS] and [UNK][SEP] tokens, [MASK]ed",
        "x".repeat(101) + " " + "y".repeat(100),
        "unhappiness antidisestablishmentarianism zzzzqqq",
        "caf\u00e9 na\u0131\u0308ve cre\u0300me",
        "tabs\tand\nnewlines\r\n$100 + 5% = x^2 {a|b} ~`")) {
      assertSameIds(text);
    }
  }

  @Test
  void stopsAfterTheRequestedNumberOfIds() {
    String text = "one two three four five six";
    long[] all = plain.encode(text, Integer.MAX_VALUE);
    assertArrayEquals(java.util.Arrays.copyOf(all, 3), plain.encode(text, 3));
  }
}
