package io.pickspin.lab.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pickspin.routing.classify.WordPieceTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds the classifier's WordPiece tokenizer.json from the training prompts (never the held-out ones), following the
 * recipe proven in ../shared/research/proto-ml.md section 2: lower-casing normaliser, BERT pre-tokenizer, and a vocabulary
 * of the special tokens, the most frequent words, then every frequent single character and its "##" continuation so
 * that any word of known characters tokenizes without [UNK].
 */
public final class TokenizerBuilder {
  public static final List<String> SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");

  private TokenizerBuilder() {}

  /** The vocabulary in id order. */
  public static List<String> vocabulary(List<String> texts, int maxWords, int minWordCount, int minCharCount) {
    Map<String, Integer> words = new HashMap<>();
    Map<String, Integer> chars = new HashMap<>();
    for (String t : texts) {
      for (String w : preTokenize(t.toLowerCase(Locale.ROOT))) {
        words.merge(w, 1, Integer::sum);
        w.codePoints().forEach(cp -> chars.merge(new String(Character.toChars(cp)), 1, Integer::sum));
      }
    }
    LinkedHashMap<String, Integer> vocab = new LinkedHashMap<>();
    for (String s : SPECIALS) vocab.put(s, vocab.size());
    words.entrySet().stream()
        .filter(e -> e.getValue() >= minWordCount)
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .limit(maxWords)
        .forEach(e -> vocab.putIfAbsent(e.getKey(), vocab.size()));
    List<String> cs =
        chars.entrySet().stream()
            .filter(e -> e.getValue() >= minCharCount)
            .map(Map.Entry::getKey)
            .sorted()
            .toList();
    for (char c = 32; c < 127; c++) vocab.putIfAbsent(String.valueOf(c).toLowerCase(Locale.ROOT), vocab.size());
    for (String c : cs) vocab.putIfAbsent(c, vocab.size());
    for (char c = 33; c < 127; c++) vocab.putIfAbsent("##" + String.valueOf(c).toLowerCase(Locale.ROOT), vocab.size());
    for (String c : cs) vocab.putIfAbsent("##" + c, vocab.size());
    vocab.remove(" ");
    return new ArrayList<>(vocab.keySet());
  }

  /** Whitespace split, then every punctuation character on its own (HF's BertPreTokenizer, as the tokenizer runs it). */
  static List<String> preTokenize(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (WordPieceTokenizer.isWhitespace(cp)) {
        flush(cur, out);
      } else if (WordPieceTokenizer.isPunctuation(cp)) {
        flush(cur, out);
        out.add(new String(Character.toChars(cp)));
      } else cur.appendCodePoint(cp);
    }
    flush(cur, out);
    return out;
  }

  private static void flush(StringBuilder cur, List<String> out) {
    if (cur.length() > 0) {
      out.add(cur.toString());
      cur.setLength(0);
    }
  }

  /** Writes a HuggingFace tokenizer.json for the vocabulary. */
  public static void write(List<String> vocabulary, Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int i = 0; i < SPECIALS.size(); i++) {
      ObjectNode a = added.addObject();
      a.put("id", i).put("content", SPECIALS.get(i)).put("single_word", false).put("lstrip", false)
          .put("rstrip", false).put("normalized", false).put("special", true);
    }
    root.putObject("normalizer").put("type", "Lowercase");
    root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
    root.putNull("post_processor");
    root.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
    ObjectNode model = root.putObject("model");
    model.put("type", "WordPiece").put("unk_token", "[UNK]").put("continuing_subword_prefix", "##")
        .put("max_input_chars_per_word", 100);
    ObjectNode v = model.putObject("vocab");
    for (int i = 0; i < vocabulary.size(); i++) v.put(vocabulary.get(i), i);
    json.writeValue(file.toFile(), root);
  }
}
