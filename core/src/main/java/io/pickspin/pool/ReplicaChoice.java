package io.pickspin.pool;

/** How a pool picks among the ready replicas with room ({@code pickspin.pool.replica-choice}). */
public enum ReplicaChoice {
  /** Fewest requests in flight. */
  LEAST_OUTSTANDING,
  /** Fewest requests in flight, less {@code prefix.weight} per 1,000 prompt tokens the replica likely holds cached. */
  PREFIX_AWARE,
  /** The longest prefix the replica likely holds; load only breaks ties (a baseline for benchmarks). */
  PREFIX_ONLY,
  /** Uniformly at random (a baseline for benchmarks). */
  RANDOM;

  /** "least-outstanding", "prefix-aware", "prefix-only" or "random". */
  public static ReplicaChoice parse(String s) {
    for (ReplicaChoice c : values()) if (c.configName().equals(s)) return c;
    throw new IllegalArgumentException(
        "pickspin.pool.replica-choice must be least-outstanding, prefix-aware, prefix-only or random, got " + s);
  }

  public String configName() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  public boolean usesPrefixes() {
    return this == PREFIX_AWARE || this == PREFIX_ONLY;
  }
}
