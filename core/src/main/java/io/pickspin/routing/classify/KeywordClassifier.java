package io.pickspin.routing.classify;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.model.Tier;
import java.util.List;
import java.util.Locale;

/**
 * The paper's keyword rules (../shared/research/papers.md section 1.6) over the phrase lists of
 * {@code pickspin.routing.keyword} (pickspin-routing.conf ships the paper's): any HIGH phrase gives HIGH, else any LOW
 * phrase gives LOW, else MEDIUM. A match is confident; the MEDIUM default is not.
 *
 * <p>Phrases match whole words, case-insensitively, with any run of white space standing for one space: "pick" matches
 * "Pick one" but not "pickles", "prove" not "improve", "create" not "recreated". (The paper looks for plain substrings,
 * which over-fire inside longer words.)
 */
public final class KeywordClassifier implements ComplexityClassifier {
  /** Where the shipped phrase lists are: the paper's. */
  private static final String SHIPPED_RESOURCE = "pickspin-routing.conf";

  private final String[] low;
  private final String[] high;

  public KeywordClassifier(List<String> low, List<String> high) {
    this.low = normalise(low);
    this.high = normalise(high);
  }

  /** The paper's lists as pickspin-routing.conf ships them, without the application's overrides. */
  public static KeywordClassifier paper() {
    return fromConfig(ConfigFactory.parseResources(SHIPPED_RESOURCE).resolve().getConfig("pickspin.routing.keyword"));
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
    return phrases.stream().map(KeywordClassifier::normalise).filter(p -> !p.isEmpty()).toArray(String[]::new);
  }

  /** Lower case, each run of white space as one space, none at either end. */
  static String normalise(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    StringBuilder sb = new StringBuilder(lower.length());
    boolean space = false;
    for (int i = 0; i < lower.length(); i++) {
      char c = lower.charAt(i);
      if (Character.isWhitespace(c)) {
        space = !sb.isEmpty();
        continue;
      }
      if (space) sb.append(' ');
      space = false;
      sb.append(c);
    }
    return sb.toString();
  }

  @Override
  public Classification classify(String prompt) {
    String text = prompt == null ? "" : normalise(prompt);
    for (String p : high) if (containsWords(text, p)) return new Classification(Tier.HIGH, 1.0, null, "keyword", p);
    for (String p : low) if (containsWords(text, p)) return new Classification(Tier.LOW, 1.0, null, "keyword", p);
    return new Classification(Tier.MEDIUM, 0.0, null, "keyword", null);
  }

  /** Whether {@code phrase} occurs in {@code text} with no letter or digit right before or right after it. */
  static boolean containsWords(String text, String phrase) {
    for (int i = text.indexOf(phrase); i >= 0; i = text.indexOf(phrase, i + 1)) {
      int end = i + phrase.length();
      if ((i == 0 || !wordChar(text.charAt(i - 1))) && (end == text.length() || !wordChar(text.charAt(end)))) return true;
    }
    return false;
  }

  private static boolean wordChar(char c) {
    return Character.isLetterOrDigit(c);
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
