package io.pickspin.pool;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Leases the catalogue's fixed backends, least outstanding requests first. It never holds a request and never scales:
 * the "static deployment" of the paper, and the walking skeleton's pool.
 */
public final class StaticLeaseProvider implements LeaseProvider {
  private record Slot(BackendEndpoint backend, AtomicInteger inFlight) {}

  private final Map<String, List<Slot>> slotsByModel = new HashMap<>();
  private final AtomicLong nextLeaseId = new AtomicLong();

  public StaticLeaseProvider(Catalog catalog) {
    for (ModelSpec m : catalog.models()) {
      slotsByModel.put(m.id(), m.backends().stream().map(b -> new Slot(b, new AtomicInteger())).toList());
    }
  }

  @Override
  public CompletionStage<Lease> acquire(LeaseRequest request) {
    List<Slot> slots = slotsByModel.getOrDefault(request.model(), List.of());
    Slot best = null;
    for (Slot s : slots) {
      if (request.excludeBackends().contains(s.backend().id())) continue;
      if (best == null || s.inFlight().get() < best.inFlight().get()) best = s;
    }
    if (best == null) {
      return CompletableFuture.failedFuture(
          new PoolException(
              PoolException.Reason.UNAVAILABLE,
              "model " + request.model() + " has no backend left to try",
              5));
    }
    best.inFlight().incrementAndGet();
    return CompletableFuture.completedFuture(new Lease(nextLeaseId.incrementAndGet(), request.model(), best.backend()));
  }

  @Override
  public void release(Lease lease, Outcome outcome) {
    for (Slot s : slotsByModel.getOrDefault(lease.model(), List.of())) {
      if (s.backend().id().equals(lease.backend().id())) {
        s.inFlight().decrementAndGet();
        return;
      }
    }
  }

  /** Requests in flight on a backend, for tests and status. */
  public int inFlight(String model, String backendId) {
    for (Slot s : slotsByModel.getOrDefault(model, List.of())) {
      if (s.backend().id().equals(backendId)) return s.inFlight().get();
    }
    return 0;
  }
}
