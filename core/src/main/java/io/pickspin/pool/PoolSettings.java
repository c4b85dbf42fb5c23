package io.pickspin.pool;

import com.typesafe.config.Config;
import io.pickspin.prefix.PromptBlocks;
import java.time.Duration;

/**
 * Settings of a model pool ({@code pickspin.pool} in pickspin-scaling.conf).
 *
 * @param holdQueueCapacity requests held per model while it scales from zero or every replica is full; more get 429
 * @param oversubscription a replica takes up to ceil(maxBatch x this) leased requests; 1.0 keeps the queueing in the
 *     pool, where the scaling loop sees it, instead of inside the backend
 * @param faultsToFail consecutive replica faults (connect refused, 5xx) that take a replica out of rotation
 * @param healthInterval how often every ready replica's /health is checked
 * @param healthTimeout how long one health check may take
 * @param healthFailuresToFail consecutive failed checks that take a replica out of rotation
 * @param retryAfterMax upper bound of the Retry-After estimate sent with a 429
 * @param acquireMargin the gateway-side ask waits the request's maxWait plus this
 * @param replicaChoice how a lease picks among ready replicas with room
 * @param prefixWeight prefix-aware: how many requests in flight 1,000 prompt tokens a replica likely holds are worth
 * @param prefixBlockTokens tokens per prompt block (the gateway hashes prompts in blocks of this many tokens)
 * @param prefixBlocksPerReplica prompt blocks the pool remembers per replica (about its KV cache in blocks)
 * @param prefixTtl a block not sent to a replica again within this is assumed evicted
 */
public record PoolSettings(
    int holdQueueCapacity,
    double oversubscription,
    int faultsToFail,
    Duration healthInterval,
    Duration healthTimeout,
    int healthFailuresToFail,
    Duration retryAfterMax,
    Duration acquireMargin,
    ReplicaChoice replicaChoice,
    double prefixWeight,
    int prefixBlockTokens,
    int prefixBlocksPerReplica,
    Duration prefixTtl) {

  /** Least-outstanding replica choice. */
  public PoolSettings(int holdQueueCapacity, double oversubscription, int faultsToFail, Duration healthInterval,
      Duration healthTimeout, int healthFailuresToFail, Duration retryAfterMax, Duration acquireMargin) {
    this(holdQueueCapacity, oversubscription, faultsToFail, healthInterval, healthTimeout, healthFailuresToFail,
        retryAfterMax, acquireMargin, ReplicaChoice.LEAST_OUTSTANDING, 0, PromptBlocks.DEFAULT_BLOCK_TOKENS, 0,
        Duration.ZERO);
  }

  public PoolSettings {
    if (holdQueueCapacity < 0) throw new IllegalArgumentException("pickspin.pool.hold-queue-capacity must be >= 0");
    if (!(oversubscription >= 1.0)) throw new IllegalArgumentException("pickspin.pool.oversubscription must be >= 1.0");
    if (faultsToFail < 1) throw new IllegalArgumentException("pickspin.pool.faults-to-fail must be >= 1");
    if (healthInterval.isNegative()) throw new IllegalArgumentException("pickspin.pool.health.interval must be >= 0");
    if (healthTimeout.isNegative()) throw new IllegalArgumentException("pickspin.pool.health.timeout must be >= 0");
    if (healthFailuresToFail < 1) throw new IllegalArgumentException("pickspin.pool.health.failures-to-fail must be >= 1");
    if (retryAfterMax.getSeconds() < 1) throw new IllegalArgumentException("pickspin.pool.retry-after-max must be >= 1s");
    if (acquireMargin.isNegative()) throw new IllegalArgumentException("pickspin.pool.acquire-margin must be >= 0");
    if (replicaChoice == null) throw new IllegalArgumentException("pickspin.pool.replica-choice is required");
    if (!(prefixWeight >= 0)) throw new IllegalArgumentException("pickspin.pool.prefix.weight must be >= 0");
    if (prefixBlockTokens < 1) throw new IllegalArgumentException("pickspin.pool.prefix.block-tokens must be >= 1");
    if (prefixBlocksPerReplica < 0) throw new IllegalArgumentException("pickspin.pool.prefix.blocks-per-replica must be >= 0");
    if (prefixTtl.isNegative()) throw new IllegalArgumentException("pickspin.pool.prefix.ttl must be >= 0");
  }

  /** The same settings with another replica choice and weight. */
  public PoolSettings withReplicaChoice(ReplicaChoice choice, double weight) {
    return new PoolSettings(holdQueueCapacity, oversubscription, faultsToFail, healthInterval, healthTimeout,
        healthFailuresToFail, retryAfterMax, acquireMargin, choice, weight, prefixBlockTokens, prefixBlocksPerReplica, prefixTtl);
  }

  /** The same settings with another oversubscription. */
  public PoolSettings withOversubscription(double factor) {
    return new PoolSettings(holdQueueCapacity, factor, faultsToFail, healthInterval, healthTimeout, healthFailuresToFail,
        retryAfterMax, acquireMargin, replicaChoice, prefixWeight, prefixBlockTokens, prefixBlocksPerReplica, prefixTtl);
  }

  /** The same settings with another prefix block size, index size and time to live. */
  public PoolSettings withPrefixIndex(int blockTokens, int blocksPerReplica, Duration ttl) {
    return new PoolSettings(holdQueueCapacity, oversubscription, faultsToFail, healthInterval, healthTimeout,
        healthFailuresToFail, retryAfterMax, acquireMargin, replicaChoice, prefixWeight, blockTokens, blocksPerReplica, ttl);
  }

  /** Reads the {@code pickspin.pool} block. */
  public static PoolSettings fromConfig(Config c) {
    return new PoolSettings(
        c.getInt("hold-queue-capacity"),
        c.getDouble("oversubscription"),
        c.getInt("faults-to-fail"),
        c.getDuration("health.interval"),
        c.getDuration("health.timeout"),
        c.getInt("health.failures-to-fail"),
        c.getDuration("retry-after-max"),
        c.getDuration("acquire-margin"),
        ReplicaChoice.parse(c.getString("replica-choice")),
        c.getDouble("prefix.weight"),
        c.getInt("prefix.block-tokens"),
        c.getInt("prefix.blocks-per-replica"),
        c.getDuration("prefix.ttl"));
  }

  /** Leased requests one replica of a model with this max batch takes. */
  public int slotsPerReplica(int maxBatch) {
    return (int) Math.ceil(maxBatch * oversubscription - 1e-9);
  }
}
