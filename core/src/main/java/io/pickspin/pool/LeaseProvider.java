package io.pickspin.pool;

import java.util.concurrent.CompletionStage;

/**
 * Hands out replicas of a model to the gateway. The stage fails with {@link PoolException} when no replica can be had:
 * its {@link PoolException.Reason} says whether the client should retry later (429), or the model is unavailable (503).
 */
public interface LeaseProvider {
  CompletionStage<Lease> acquire(LeaseRequest request);

  /** Must be called exactly once per lease. */
  void release(Lease lease, Outcome outcome);
}
