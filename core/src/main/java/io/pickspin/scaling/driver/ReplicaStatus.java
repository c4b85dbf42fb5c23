package io.pickspin.scaling.driver;

import io.pickspin.model.BackendEndpoint;

/**
 * One replica of a model.
 *
 * @param endpoint where it serves; null while the driver does not know the address yet
 */
public record ReplicaStatus(String replicaId, ReplicaPhase phase, BackendEndpoint endpoint) {}
