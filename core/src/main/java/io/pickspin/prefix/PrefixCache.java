package io.pickspin.prefix;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One replica's prefix cache (vLLM's automatic prefix caching, as a model): an LRU of KV blocks identified by {@link
 * PromptBlocks} hashes, sized from the replica's KV memory. A prompt reuses the longest run of its leading blocks that
 * the cache holds and prefills only the rest; afterwards all its blocks are cached. Running sequences' blocks count
 * against the same capacity in vLLM; here the whole KV memory is the cache, an upper bound on what stays cached.
 *
 * <p>Thread-safe (the sim server admits prompts from several threads).
 */
public final class PrefixCache {
  private final long capacityBlocks;
  private final int blockTokens;
  private final LinkedHashMap<Long, Boolean> blocks;
  private long promptTokens, cachedTokens, prompts, hits;

  /** @param capacityBlocks KV blocks the replica's memory holds (0: no caching) */
  public PrefixCache(long capacityBlocks, int blockTokens) {
    if (capacityBlocks < 0) throw new IllegalArgumentException("capacity must be >= 0, got " + capacityBlocks);
    if (blockTokens < 1) throw new IllegalArgumentException("block tokens must be >= 1, got " + blockTokens);
    this.capacityBlocks = capacityBlocks;
    this.blockTokens = blockTokens;
    this.blocks = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
        return size() > PrefixCache.this.capacityBlocks;
      }
    };
  }

  /** Blocks of {@code kvBytes} of KV memory at {@code kvBytesPerToken}. */
  public static long capacityBlocks(double kvBytes, double kvBytesPerToken, int blockTokens) {
    return (long) Math.floor(kvBytes / (kvBytesPerToken * blockTokens));
  }

  public int blockTokens() {
    return blockTokens;
  }

  /** Leading blocks of the prompt the cache holds now, without touching them. */
  public synchronized int cachedBlocks(long[] prompt) {
    int n = 0;
    while (n < prompt.length && blocks.containsKey(prompt[n])) n++;
    return n;
  }

  /**
   * A prompt starts its prefill: returns how many of its {@code tokens} come from the cache (at most all but one: the
   * last token is always computed, as vLLM does), counts them, and caches its blocks as the most recently used.
   */
  public synchronized int admit(long[] prompt, int tokens) {
    int hit = 0;
    while (hit < prompt.length && blocks.containsKey(prompt[hit])) hit++;
    int cached = (int) Math.max(0, Math.min((long) hit * blockTokens, tokens - 1L));
    // touched from the last block to the first, so that a prompt's first blocks are evicted last (vLLM evicts a
    // chain's tail first): a prefix never survives without its start
    for (int i = prompt.length - 1; i >= 0; i--) blocks.put(prompt[i], Boolean.TRUE);
    prompts++;
    promptTokens += Math.max(0, tokens);
    cachedTokens += cached;
    if (cached > 0) hits++;
    return cached;
  }

  /** Caches blocks computed without a prompt asking for them (an answer's tokens), without counting a lookup. */
  public synchronized void insert(long[] computed) {
    for (int i = computed.length - 1; i >= 0; i--) blocks.put(computed[i], Boolean.TRUE);
  }

  /** Share of prompt tokens served from the cache so far (0 before any prompt). */
  public synchronized double hitRate() {
    return promptTokens == 0 ? 0 : (double) cachedTokens / promptTokens;
  }

  public synchronized long promptTokens() {
    return promptTokens;
  }

  public synchronized long cachedTokens() {
    return cachedTokens;
  }

  /** Prompts that reused at least one block. */
  public synchronized long promptsHit() {
    return hits;
  }

  public synchronized long prompts() {
    return prompts;
  }

  public synchronized int size() {
    return blocks.size();
  }
}
