package io.pickspin.keys;

import io.pickspin.CborSerializable;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cluster's keys and their lifetime usage: the state the key store's journal rebuilds. Immutable; every change
 * returns a new book. {@code version} counts key changes (not usage), so that nodes fetch the key list only when it
 * changed.
 *
 * @param keys by name
 * @param usage by key name, then by model
 */
public record KeyBook(long version, Map<String, ApiKey> keys, Map<String, Map<String, TokenUsage>> usage)
    implements CborSerializable {
  public static final KeyBook EMPTY = new KeyBook(0, Map.of(), Map.of());

  public KeyBook {
    keys = Map.copyOf(keys);
    usage = Map.copyOf(usage);
  }

  public boolean has(String name) {
    return keys.containsKey(name);
  }

  public boolean hashInUse(String hash) {
    return keys.values().stream().anyMatch(k -> k.hash().equals(hash));
  }

  public KeyBook with(ApiKey key) {
    Map<String, ApiKey> k = new HashMap<>(keys);
    k.put(key.name(), key);
    Map<String, Map<String, TokenUsage>> u = new HashMap<>(usage);
    u.remove(key.name()); // a new key under an old name starts with nothing used
    return new KeyBook(version + 1, k, u);
  }

  public KeyBook without(String name) {
    Map<String, ApiKey> k = new HashMap<>(keys);
    k.remove(name);
    Map<String, Map<String, TokenUsage>> u = new HashMap<>(usage);
    u.remove(name);
    return new KeyBook(version + 1, k, u);
  }

  /** Adds usage (by key, then model); usage of keys no longer in the book is dropped. */
  public KeyBook plus(Map<String, Map<String, TokenUsage>> added) {
    Map<String, Map<String, TokenUsage>> u = new HashMap<>(usage);
    added.forEach(
        (key, byModel) -> {
          if (!keys.containsKey(key)) return;
          Map<String, TokenUsage> m = new TreeMap<>(u.getOrDefault(key, Map.of()));
          byModel.forEach((model, t) -> m.merge(model, t, TokenUsage::plus));
          u.put(key, Map.copyOf(m));
        });
    return new KeyBook(version, keys, u);
  }

  public Map<String, TokenUsage> usageOf(String name) {
    return usage.getOrDefault(name, Map.of());
  }

  public TokenUsage totalOf(String name) {
    return usageOf(name).values().stream().reduce(TokenUsage.ZERO, TokenUsage::plus);
  }
}
