package io.pickspin.routing.classify;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Turns a prompt into the model's input ids: the word-piece ids of its first {@code maxTokens} tokens (from the
 * project's tokenizer.json), followed for the bag architecture by one hashed id per adjacent token pair (fastText-style
 * bigrams). Training and inference share this class so that they cannot drift apart. Thread-safe.
 *
 * <p>Loaded with {@link #load}, the project's own tokenizer.json runs in plain Java ({@link WordPieceTokenizer}, same
 * ids); any other shape runs on the HuggingFace tokenizer.
 */
public final class TierFeatures implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final WordPieceTokenizer plain; // null: the HuggingFace tokenizer does the work
  private final int vocabSize;
  private final int bigramBuckets;
  private final int maxTokens;
  private final int maxChars;

  private TierFeatures(HuggingFaceTokenizer tokenizer, WordPieceTokenizer plain, int vocabSize, int bigramBuckets,
      int maxTokens, int maxChars) {
    this.tokenizer = tokenizer;
    this.plain = plain;
    this.vocabSize = vocabSize;
    this.bigramBuckets = bigramBuckets;
    this.maxTokens = maxTokens;
    this.maxChars = maxChars;
  }

  /** Features over a tokenizer.json file: in plain Java when the file has the project's shape. */
  public static TierFeatures load(Path tokenizerJson, int vocabSize, int bigramBuckets, int maxTokens, int maxChars)
      throws IOException {
    return new TierFeatures(loadTokenizer(tokenizerJson), WordPieceTokenizer.supporting(tokenizerJson).orElse(null),
        vocabSize, bigramBuckets, maxTokens, maxChars);
  }

  /** Loads a tokenizer.json from a file; never from the network (offline). */
  public static HuggingFaceTokenizer loadTokenizer(Path tokenizerJson) throws IOException {
    try (InputStream in = Files.newInputStream(tokenizerJson)) {
      return loadTokenizer(in);
    }
  }

  public static HuggingFaceTokenizer loadTokenizer(InputStream tokenizerJson) throws IOException {
    // no special tokens, no padding, no truncation: TierFeatures cuts and pads itself
    return HuggingFaceTokenizer.newInstance(
        tokenizerJson, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false", "maxLength", "100000"));
  }

  /** The number of ids per prompt: tokens, plus one bigram per adjacent pair when bigrams are on. */
  public int length() {
    return bigramBuckets > 0 ? 2 * maxTokens - 1 : maxTokens;
  }

  /** Size of the embedding table the ids index into. */
  public int dictionarySize() {
    return vocabSize + bigramBuckets;
  }

  /** The word-piece ids of the prompt's head, at most maxTokens of them. */
  public long[] tokenIds(String prompt) {
    String text = prompt == null ? "" : prompt;
    if (text.length() > maxChars) text = text.substring(0, maxChars);
    if (plain != null) return plain.encode(text, maxTokens);
    Encoding e = tokenizer.encode(text, false, false);
    long[] ids = e.getIds();
    if (ids.length > maxTokens) {
      long[] cut = new long[maxTokens];
      System.arraycopy(ids, 0, cut, 0, maxTokens);
      ids = cut;
    }
    return ids;
  }

  /**
   * Writes the prompt's ids into {@code ids[offset..offset+length())} and 1/0 into the mask, padding with id 0.
   *
   * @return how many positions are real (mask 1); at least 1 (an empty prompt becomes one padding id so that the mean
   *     over the mask is defined)
   */
  public int encode(String prompt, long[] ids, float[] mask, int offset) {
    long[] real = ids(prompt);
    System.arraycopy(real, 0, ids, offset, real.length);
    Arrays.fill(mask, offset, offset + real.length, 1f);
    Arrays.fill(ids, offset + real.length, offset + length(), 0L);
    Arrays.fill(mask, offset + real.length, offset + length(), 0f);
    return real.length;
  }

  /**
   * The prompt's real ids, unpadded: its tokens, then one bigram per adjacent pair when bigrams are on; an empty prompt
   * gives the one padding id 0 (so that a mean over the ids is defined).
   */
  public long[] ids(String prompt) {
    long[] tok = tokenIds(prompt);
    if (tok.length == 0) return new long[] {0};
    int pairs = bigramBuckets > 0 ? tok.length - 1 : 0;
    long[] out = Arrays.copyOf(tok, tok.length + pairs);
    for (int i = 0; i < pairs; i++) out[tok.length + i] = bigramId(tok[i], tok[i + 1]);
    return out;
  }


  long bigramId(long a, long b) {
    long h = a * 0x9E3779B97F4A7C15L + b;
    h ^= (h >>> 29);
    h *= 0xBF58476D1CE4E5B9L;
    h ^= (h >>> 32);
    return vocabSize + Math.floorMod(h, (long) bigramBuckets);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
