package io.pickspin.routing.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Tier;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeywordClassifierTest {
  /** The paper's lists (papers.md 1.6), which pickspin-routing.conf ships; no production code holds them. */
  static final List<String> PAPER_LOW =
      List.of(
          "what is", "define", "who is", "when did", "where is", "true or false", "yes or no",
          "which of the following", "select", "choose", "pick", "identify");
  static final List<String> PAPER_HIGH =
      List.of(
          "explain why", "analyze", "compare and contrast", "evaluate", "prove", "derive", "justify", "critique",
          "design", "develop", "synthesize", "create", "formulate");

  final KeywordClassifier paper = KeywordClassifier.paper();

  @Test
  void theShippedConfigurationHoldsThePaperListsInOrder() {
    var c = ConfigFactory.load().getConfig("pickspin.routing.keyword");
    assertEquals(PAPER_LOW, c.getStringList("low"));
    assertEquals(PAPER_HIGH, c.getStringList("high"));
    assertEquals(12, PAPER_LOW.size());
    assertEquals(13, PAPER_HIGH.size());
  }

  @Test
  void everyPaperPhraseClassifiesAloneAndCaseInsensitively() {
    for (String p : PAPER_LOW) {
      assertEquals(Tier.LOW, paper.classify("Please " + p.toUpperCase() + " now").tier(), p);
    }
    for (String p : PAPER_HIGH) {
      assertEquals(Tier.HIGH, paper.classify("Please " + p.toUpperCase() + " now").tier(), p);
    }
  }

  @Test
  void theListsComeFromConfigurationNotCode() {
    KeywordClassifier configured =
        KeywordClassifier.fromConfig(
            ConfigFactory.parseString("low = [\"tell me\"], high = [\"pickles\"]").withFallback(ConfigFactory.empty()));
    assertEquals(Tier.HIGH, configured.classify("I like pickles").tier());
    assertEquals(Tier.LOW, configured.classify("Tell me the time").tier());
    assertEquals(Tier.MEDIUM, configured.classify("What is this? Pick one.").tier()); // the paper's phrases are gone
  }

  @Test
  void highWinsOverLow() {
    Classification c = paper.classify("What is the best way to design a bridge?");
    assertEquals(Tier.HIGH, c.tier());
    assertEquals("design", c.evidence());
  }

  @Test
  void phrasesMatchWholeWordsNotTheInsideOfLongerWords() {
    Classification pickles = paper.classify("I like pickles");
    assertEquals(Tier.MEDIUM, pickles.tier());
    assertNull(pickles.evidence());
    assertEquals(Tier.MEDIUM, paper.classify("the variable is undefined").tier()); // not "define"
    assertEquals(Tier.MEDIUM, paper.classify("the recreated scene").tier()); // not "create"
    assertEquals(Tier.MEDIUM, paper.classify("a developer's notes").tier()); // not "develop"
    assertEquals(Tier.MEDIUM, paper.classify("Improve the essay").tier()); // not "prove"
    assertEquals(Tier.MEDIUM, paper.classify("somewhat issue").tier()); // not "what is" across "somewhat is..."
    // the whole word or phrase still matches, next to punctuation, at either end, across any white space
    Classification pick = paper.classify("Pick one: red or blue?");
    assertEquals(Tier.LOW, pick.tier());
    assertEquals("pick", pick.evidence());
    assertEquals(Tier.LOW, paper.classify("pick").tier());
    assertEquals(Tier.LOW, paper.classify("Colours? (pick)").tier());
    assertEquals(Tier.LOW, paper.classify("What\n\t  is 2+2?").tier());
    assertEquals(Tier.HIGH, paper.classify("Please re-create the table.").tier());
    assertEquals(Tier.HIGH, paper.classify("Then prove it").tier());
    assertEquals(Tier.HIGH, paper.classify("first improve, then prove.").tier()); // a later whole match counts
  }

  @Test
  void noPhraseMeansAnUnconfidentMedium() {
    Classification c = paper.classify("Translate this sentence into French.");
    assertEquals(Tier.MEDIUM, c.tier());
    assertEquals(0.0, c.confidence());
    assertNull(c.evidence());
    assertFalse(KeywordClassifier.matched(c));
    assertEquals(Tier.MEDIUM, paper.classify("").tier());
    assertEquals(Tier.MEDIUM, paper.classify(null).tier());
  }

  @Test
  void matchesAreConfident() {
    Classification c = paper.classify("Who is the president?");
    assertTrue(KeywordClassifier.matched(c));
    assertEquals(1.0, c.confidence());
    assertEquals("keyword", c.source());
  }

  @Test
  void listsAreConfigurable() {
    KeywordClassifier k = new KeywordClassifier(List.of("Hello"), List.of("quantum"));
    assertEquals(Tier.LOW, k.classify("hello there").tier());
    assertEquals(Tier.HIGH, k.classify("hello quantum world").tier());
    assertEquals(Tier.MEDIUM, k.classify("what is this").tier());
  }
}
