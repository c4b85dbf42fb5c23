package io.pickspin.routing.classify;

import com.typesafe.config.Config;
import io.pickspin.model.Tier;
import java.util.List;
import java.util.Locale;

/**
 * The paper's keyword rules (../shared/research/papers.md section 1.6): lower-case the prompt and look for plain
 * substrings, so "pick" also matches "pickles" and "define" matches "undefined". Any HIGH phrase gives HIGH, else any
 * LOW phrase gives LOW, else MEDIUM. A match is confident; the MEDIUM default is not.
 */
public final class KeywordClassifier implements ComplexityClassifier {
  public static final List<String> PAPER_LOW =
      List.of(
          "what is", "define", "who is", "when did", "where is", "true or false", "yes or no",
          "which of the following", "select", "choose", "pick", "identify");
  public static final List<String> PAPER_HIGH =
      List.of(
          "explain why", "analyze", "compare and contrast", "evaluate", "prove", "derive", "justify", "critique",
          "design", "develop", "synthesize", "create", "formulate");

  private final String[] low;
  private final String[] high;

  public KeywordClassifier(List<String> low, List<String> high) {
    this.low = normalise(low);
    this.high = normalise(high);
  }

  public static KeywordClassifier paper() {
    return new KeywordClassifier(PAPER_LOW, PAPER_HIGH);
  }

  /** The rules of {@code pickspin.routing.keyword}: the LOW and the HIGH phrases. */
  public record Settings(List<String> low, List<String> high) {
    public Settings {
      low = List.copyOf(low);
      high = List.copyOf(high);
    }

    /** Reads the {@code pickspin.routing.keyword} block: the {@code low} and {@code high} string lists. */
    public static Settings fromConfig(Config keyword) {
      return new Settings(keyword.getStringList("low"), keyword.getStringList("high"));
    }
  }

  public KeywordClassifier(Settings settings) {
    this(settings.low(), settings.high());
  }

  /** The classifier of a {@code pickspin.routing.keyword} block, for tools that hold the block rather than settings. */
  public static KeywordClassifier fromConfig(Config keyword) {
    return new KeywordClassifier(Settings.fromConfig(keyword));
  }

  private static String[] normalise(List<String> phrases) {
    return phrases.stream()
        .map(p -> p.toLowerCase(Locale.ROOT))
        .filter(p -> !p.isEmpty())
        .toArray(String[]::new);
  }

  @Override
  public Classification classify(String prompt) {
    String text = prompt == null ? "" : prompt.toLowerCase(Locale.ROOT);
    for (String p : high) if (text.contains(p)) return new Classification(Tier.HIGH, 1.0, null, "keyword", p);
    for (String p : low) if (text.contains(p)) return new Classification(Tier.LOW, 1.0, null, "keyword", p);
    return new Classification(Tier.MEDIUM, 0.0, null, "keyword", null);
  }

  /** True when the classification came from a matched phrase, i.e. the keyword rules are confident about it. */
  public static boolean matched(Classification c) {
    return c.evidence() != null;
  }

  @Override
  public String name() {
    return "keyword";
  }
}
