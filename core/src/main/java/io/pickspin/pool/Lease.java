package io.pickspin.pool;

import io.pickspin.model.BackendEndpoint;

/** The right to send one request to one replica; released with an {@link Outcome}. */
public record Lease(long id, String model, BackendEndpoint backend) {}
