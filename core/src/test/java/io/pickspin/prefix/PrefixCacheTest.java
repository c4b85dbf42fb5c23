package io.pickspin.prefix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class PrefixCacheTest {
  static String words(int n, String tag) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) b.append(tag).append(i).append(' ');
    return b.toString();
  }

  @Test
  void blocksAreAHashChainOverWords() {
    long[] a = PromptBlocks.ofWords(words(1030, "w"), 512);
    assertEquals(3, a.length, "two full blocks and a partial one");
    long[] b = PromptBlocks.ofWords(words(1024, "w") + words(700, "x"), 512);
    assertEquals(a[0], b[0]);
    assertEquals(a[1], b[1]);
    assertNotEquals(a[2], b[2]);
    // the same block content after a different prefix is a different block
    long[] c = PromptBlocks.ofWords(words(512, "z") + words(1024, "w").substring(words(512, "w").length()), 512);
    assertNotEquals(a[1], c[1]);
    // spacing does not matter, words do
    assertArrayEquals(PromptBlocks.ofWords("a  b\n c", 2), PromptBlocks.ofWords("a b c", 2));
    assertNotEquals(PromptBlocks.ofWords("ab c", 2)[0], PromptBlocks.ofWords("a bc", 2)[0]);
    assertEquals(0, PromptBlocks.ofWords("   ", 512).length);
  }

  @Test
  void hitIsTheLongestCachedPrefixAndAtMostAllButOneToken() {
    PrefixCache cache = new PrefixCache(100, 512);
    long[] first = PromptBlocks.chain(new long[] {1, 2, 3});
    assertEquals(0, cache.admit(first, 1400));
    long[] turn2 = PromptBlocks.chain(new long[] {1, 2, 3, 4, 5});
    assertEquals(3, cache.cachedBlocks(turn2));
    assertEquals(3 * 512, cache.admit(turn2, 2500));
    assertEquals(1399, cache.admit(first, 1400), "the same prompt again: every token but the last");
    long[] other = PromptBlocks.chain(new long[] {9, 2, 3});
    assertEquals(0, cache.admit(other, 1400), "a shared block after a different first block is no hit");
    assertEquals((3 * 512 + 1399) / (1400.0 + 2500 + 1400 + 1400), cache.hitRate(), 1e-12);
    assertEquals(2, cache.promptsHit());
  }

  @Test
  void leastRecentlyUsedBlocksAreEvictedAndAPrefixLosesItsTailFirst() {
    PrefixCache cache = new PrefixCache(4, 512);
    long[] a = PromptBlocks.chain(new long[] {1, 2, 3});
    long[] b = PromptBlocks.chain(new long[] {7, 8});
    cache.admit(a, 1536);
    cache.admit(b, 1024);
    assertEquals(4, cache.size());
    assertEquals(2, cache.cachedBlocks(a), "a's last block went first");
    assertEquals(2, cache.cachedBlocks(b));
    assertEquals(0, new PrefixCache(0, 512).admit(a, 1536) + new PrefixCache(0, 512).cachedBlocks(a));
  }

  @Test
  void capacityComesFromKvMemory() {
    // 10 GB of KV at 128 KiB a token: 76,293 tokens, 149 blocks of 512
    assertEquals(149, PrefixCache.capacityBlocks(10e9, 131072, 512));
  }
}
