package io.pickspin.prefix;

/**
 * A prompt as a chain of block hashes, as vLLM's automatic prefix caching identifies KV blocks: block i's hash covers
 * its own tokens and, through the previous block's hash, every token before it, so two prompts share block i's hash
 * only when they share their first i+1 blocks. The last block may be partial (it matches only the same prompt again).
 */
public final class PromptBlocks {
  /** Tokens per block: Mooncake's traces count hash_ids in blocks of 512 tokens. */
  public static final int DEFAULT_BLOCK_TOKENS = 512;

  private PromptBlocks() {}

  /**
   * The block hashes of a text whose tokens are its whitespace-separated words (the sim server's token count; for a
   * real backend an approximation that keeps the only property the pool needs: equal prefixes, equal hashes).
   */
  public static long[] ofWords(CharSequence text, int blockTokens) {
    Hasher h = new Hasher(blockTokens);
    if (text != null) h.add(text);
    return h.blocks();
  }

  /**
   * Block hashes of a text given in pieces (a chat's message contents, in order): each piece's whitespace-separated
   * words continue the previous piece's, with a word boundary between pieces.
   */
  public static final class Hasher {
    private final int blockTokens;
    private long[] out = new long[8];
    private int n, inBlock;
    private long chain, block = FNV_OFFSET;

    public Hasher(int blockTokens) {
      if (blockTokens < 1) throw new IllegalArgumentException("block tokens must be >= 1, got " + blockTokens);
      this.blockTokens = blockTokens;
    }

    public Hasher add(CharSequence text) {
      boolean inWord = false;
      for (int i = 0, len = text.length(); i < len; i++) {
        char c = text.charAt(i);
        if (Character.isWhitespace(c)) {
          if (inWord) endWord();
          inWord = false;
          continue;
        }
        if (!inWord) block = (block ^ ' ') * FNV_PRIME; // word boundary
        inWord = true;
        block = (block ^ c) * FNV_PRIME;
      }
      if (inWord) endWord();
      return this;
    }

    private void endWord() {
      if (++inBlock == blockTokens) {
        if (n == out.length) out = java.util.Arrays.copyOf(out, n * 2);
        out[n++] = chain = link(chain, block);
        block = FNV_OFFSET;
        inBlock = 0;
      }
    }

    /** The full blocks so far and the partial last one. */
    public long[] blocks() {
      long[] b = java.util.Arrays.copyOf(out, n + (inBlock > 0 ? 1 : 0));
      if (inBlock > 0) b[n] = link(chain, block);
      return b;
    }
  }

  /** A chain over given block ids (a trace's hash_ids, which already name a block by its content and prefix). */
  public static long[] chain(long[] ids) {
    long[] out = new long[ids.length];
    long chain = 0;
    for (int i = 0; i < ids.length; i++) out[i] = chain = link(chain, ids[i]);
    return out;
  }

  /** Blocks a prompt of this many tokens spans. */
  public static int blocksOf(int tokens, int blockTokens) {
    return (tokens + blockTokens - 1) / blockTokens;
  }

  private static final long FNV_OFFSET = 0xcbf29ce484222325L, FNV_PRIME = 0x100000001b3L;

  private static long link(long previous, long block) {
    return mix(previous * 0x9E3779B97F4A7C15L + block + 1);
  }

  /** SplitMix64's finaliser: spreads a 64-bit value over all bits. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
