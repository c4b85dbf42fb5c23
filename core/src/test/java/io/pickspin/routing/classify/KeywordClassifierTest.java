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
  final KeywordClassifier paper = KeywordClassifier.paper();

  @Test
  void theShippedConfigurationHoldsThePaperListsInOrder() {
    var c = ConfigFactory.load().getConfig("pickspin.routing.keyword");
    assertEquals(KeywordClassifier.PAPER_LOW, c.getStringList("low"));
    assertEquals(KeywordClassifier.PAPER_HIGH, c.getStringList("high"));
    assertEquals(12, KeywordClassifier.PAPER_LOW.size());
    assertEquals(13, KeywordClassifier.PAPER_HIGH.size());
  }

  @Test
  void everyPaperPhraseClassifiesAloneAndCaseInsensitively() {
    for (String p : KeywordClassifier.PAPER_LOW) {
      assertEquals(Tier.LOW, paper.classify("Please " + p.toUpperCase() + " now").tier(), p);
    }
    for (String p : KeywordClassifier.PAPER_HIGH) {
      assertEquals(Tier.HIGH, paper.classify("Please " + p.toUpperCase() + " now").tier(), p);
    }
  }

  @Test
  void highWinsOverLow() {
    Classification c = paper.classify("What is the best way to design a bridge?");
    assertEquals(Tier.HIGH, c.tier());
    assertEquals("design", c.evidence());
  }

  @Test
  void plainSubstringsMatchInsideWords() {
    Classification pickles = paper.classify("I like pickles");
    assertEquals(Tier.LOW, pickles.tier());
    assertEquals("pick", pickles.evidence());
    assertEquals(Tier.LOW, paper.classify("the variable is undefined").tier());
    assertEquals(Tier.HIGH, paper.classify("the recreated scene").tier()); // "create" inside "recreated"
    assertEquals(Tier.HIGH, paper.classify("a developer's notes").tier()); // "develop"
    assertEquals(Tier.HIGH, paper.classify("Improve the essay").tier()); // "prove" inside "improve"
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
