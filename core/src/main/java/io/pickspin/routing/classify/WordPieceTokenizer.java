package io.pickspin.routing.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The tokenizer.json the project builds (Lowercase normalizer, BertPreTokenizer, WordPiece model), run in plain Java.
 * It yields the same ids as the HuggingFace tokenizer on that file ({@code WordPieceTokenizerTest} checks the whole
 * prompt corpus) at a fraction of the cost: the native call and the Encoding object it builds (tokens, offsets, masks)
 * took about 0.25 ms per prompt, most of a classification. Other tokenizer.json shapes (an operator's) are not
 * supported here and stay with the HuggingFace tokenizer ({@link #supporting}). Immutable and thread-safe.
 */
public final class WordPieceTokenizer {
  private final Map<String, Integer> vocab;
  private final List<String> specials; // added tokens, matched on the raw text before normalisation
  private final Map<String, Integer> specialIds;
  private final String prefix;
  private final int unkId;
  private final int maxCharsPerWord;

  private WordPieceTokenizer(Map<String, Integer> vocab, Map<String, Integer> specialIds, String prefix, int unkId,
      int maxCharsPerWord) {
    this.vocab = vocab;
    this.specialIds = specialIds;
    this.specials = List.copyOf(specialIds.keySet());
    this.prefix = prefix;
    this.unkId = unkId;
    this.maxCharsPerWord = maxCharsPerWord;
  }

  /** The plain-Java tokenizer for this tokenizer.json, or empty when the file has another shape. */
  public static Optional<WordPieceTokenizer> supporting(Path tokenizerJson) throws IOException {
    try (InputStream in = Files.newInputStream(tokenizerJson)) {
      return supporting(in);
    }
  }

  public static Optional<WordPieceTokenizer> supporting(InputStream tokenizerJson) throws IOException {
    return supporting(new ObjectMapper().readTree(tokenizerJson));
  }

  static Optional<WordPieceTokenizer> supporting(JsonNode t) {
    JsonNode model = t.path("model");
    boolean shape =
        "Lowercase".equals(t.path("normalizer").path("type").asText())
            && "BertPreTokenizer".equals(t.path("pre_tokenizer").path("type").asText())
            && t.path("post_processor").isNull()
            && "WordPiece".equals(model.path("type").asText())
            && model.path("vocab").isObject();
    if (!shape) return Optional.empty();
    Map<String, Integer> specialIds = new HashMap<>();
    for (JsonNode a : t.path("added_tokens")) {
      // only plain added tokens: matched exactly, anywhere, on the text as given
      if (a.path("normalized").asBoolean(true) || a.path("single_word").asBoolean() || a.path("lstrip").asBoolean()
          || a.path("rstrip").asBoolean()) return Optional.empty();
      specialIds.put(a.path("content").asText(), a.path("id").asInt());
    }
    Map<String, Integer> vocab = new HashMap<>();
    model.path("vocab").fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
    Integer unk = vocab.get(model.path("unk_token").asText("[UNK]"));
    if (unk == null) return Optional.empty();
    return Optional.of(new WordPieceTokenizer(vocab, specialIds, model.path("continuing_subword_prefix").asText("##"),
        unk, model.path("max_input_chars_per_word").asInt(100)));
  }

  /** The ids of the text's first {@code maxIds} tokens. */
  public long[] encode(String text, int maxIds) {
    List<Long> ids = new ArrayList<>();
    int from = 0;
    while (from < text.length() && ids.size() < maxIds) {
      // the next added token ([CLS], [UNK], ...) that occurs literally, if any
      int at = text.length();
      String special = null;
      for (String s : specials) {
        int i = text.indexOf(s, from);
        if (i >= 0 && (i < at || (i == at && s.length() > special.length()))) {
          at = i;
          special = s;
        }
      }
      words(text.substring(from, at), ids, maxIds);
      if (special == null) break;
      if (ids.size() < maxIds) ids.add((long) specialIds.get(special));
      from = at + special.length();
    }
    long[] out = new long[Math.min(ids.size(), maxIds)];
    for (int i = 0; i < out.length; i++) out[i] = ids.get(i);
    return out;
  }

  /** Lowercase, split on whitespace and punctuation, WordPiece each word. */
  private void words(String text, List<Long> ids, int maxIds) {
    StringBuilder word = new StringBuilder();
    for (int i = 0; i < text.length() && ids.size() < maxIds; ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (isWhitespace(cp)) {
        flush(word, ids);
      } else if (isPunctuation(cp)) {
        flush(word, ids);
        appendLowercase(word, cp);
        flush(word, ids);
      } else {
        appendLowercase(word, cp);
      }
    }
    if (ids.size() < maxIds) flush(word, ids);
  }

  /** Per character, as the Lowercase normalizer does (no context rules such as the final sigma). */
  private static void appendLowercase(StringBuilder out, int cp) {
    if (cp < 128) {
      out.append((char) (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    } else {
      out.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
    }
  }

  private void flush(StringBuilder word, List<Long> ids) {
    if (word.length() == 0) return;
    wordPiece(word.toString(), ids);
    word.setLength(0);
  }

  /** Greedy longest match first; a word with a piece that is not in the vocabulary is one unknown token. */
  private void wordPiece(String word, List<Long> ids) {
    if (word.codePointCount(0, word.length()) > maxCharsPerWord) {
      ids.add((long) unkId);
      return;
    }
    int mark = ids.size();
    int start = 0;
    while (start < word.length()) {
      int end = word.length();
      Integer id = null;
      while (start < end) {
        String piece = start > 0 ? prefix + word.substring(start, end) : word.substring(start, end);
        id = vocab.get(piece);
        if (id != null) break;
        end = word.offsetByCodePoints(end, -1);
      }
      if (id == null) {
        while (ids.size() > mark) ids.remove(ids.size() - 1);
        ids.add((long) unkId);
        return;
      }
      ids.add((long) id);
      start = end;
    }
  }

  /** Unicode White_Space, as Rust's char::is_whitespace (Java's Character.isWhitespace differs, e.g. for U+00A0). */
  public static boolean isWhitespace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
  }

  /** ASCII punctuation and symbols, or any Unicode punctuation category (HuggingFace's is_bert_punc). */
  public static boolean isPunctuation(int cp) {
    if (cp < 128) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
    int t = Character.getType(cp);
    return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
        || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION
        || t == Character.FINAL_QUOTE_PUNCTUATION || t == Character.OTHER_PUNCTUATION;
  }
}
