package io.pickspin.pool;

import java.time.Duration;
import java.util.Set;

/**
 * Ask for a replica of a model.
 *
 * @param model catalogue id
 * @param excludeBackends backend ids already tried for this request (a retry must go elsewhere)
 * @param maxWait how long the request may be held while the model scales from zero or all replicas are busy
 */
public record LeaseRequest(String model, Set<String> excludeBackends, Duration maxWait) {
  public LeaseRequest {
    excludeBackends = Set.copyOf(excludeBackends == null ? Set.of() : excludeBackends);
    if (maxWait == null || maxWait.isNegative()) throw new IllegalArgumentException("maxWait must be >= 0");
  }
}
