package io.pickspin.pool;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;

/**
 * Ask for a replica of a model.
 *
 * @param model catalogue id
 * @param excludeBackends backend ids already tried for this request (a retry must go elsewhere)
 * @param maxWait how long the request may be held while the model scales from zero or all replicas are busy
 * @param promptBlocks the prompt's block hashes ({@link io.pickspin.prefix.PromptBlocks}), for a prefix-aware replica
 *     choice; empty when unknown
 * @param named the client named this model (not "auto"): its request cannot go to another model, so the pool's
 *     traffic includes some that no other model absorbs (see {@link io.pickspin.scaling.Consolidator})
 */
public record LeaseRequest(
    String model, Set<String> excludeBackends, Duration maxWait, long[] promptBlocks, boolean named) {
  private static final long[] NONE = new long[0];

  public LeaseRequest {
    excludeBackends = Set.copyOf(excludeBackends == null ? Set.of() : excludeBackends);
    if (maxWait == null || maxWait.isNegative()) throw new IllegalArgumentException("maxWait must be >= 0");
    promptBlocks = promptBlocks == null || promptBlocks.length == 0 ? NONE : promptBlocks.clone();
  }

  /** A request the router chose the model for. */
  public LeaseRequest(String model, Set<String> excludeBackends, Duration maxWait, long[] promptBlocks) {
    this(model, excludeBackends, maxWait, promptBlocks, false);
  }

  /** A request the router chose the model for, without prompt blocks. */
  public LeaseRequest(String model, Set<String> excludeBackends, Duration maxWait) {
    this(model, excludeBackends, maxWait, NONE, false);
  }

  @Override
  public long[] promptBlocks() {
    return promptBlocks.length == 0 ? NONE : promptBlocks.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LeaseRequest r && model.equals(r.model) && excludeBackends.equals(r.excludeBackends)
        && maxWait.equals(r.maxWait) && Arrays.equals(promptBlocks, r.promptBlocks) && named == r.named;
  }

  @Override
  public String toString() {
    return "LeaseRequest[model=" + model + ", excludeBackends=" + excludeBackends + ", maxWait=" + maxWait
        + ", promptBlocks=" + promptBlocks.length + ", named=" + named + "]";
  }

  @Override
  public int hashCode() {
    return Objects.hash(model, excludeBackends, maxWait, Arrays.hashCode(promptBlocks), named);
  }
}
