package io.pickspin.pool;

import io.pickspin.model.BackendEndpoint;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/** Checks whether a replica serves. Must not block: the pool actor waits for the stage as a message. */
@FunctionalInterface
public interface HealthProbe {
  /** Completes with true when the replica is healthy, false (or exceptionally) when not. */
  CompletionStage<Boolean> check(BackendEndpoint endpoint, Duration timeout);
}
