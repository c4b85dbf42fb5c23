package io.pickspin.http;

import io.pickspin.model.Catalog;
import io.pickspin.pool.Lease;
import io.pickspin.pool.LeaseProvider;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.pool.Outcome;
import io.pickspin.pool.StaticLeaseProvider;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;

/** Leases from the static provider, every lease asked for and the outcome of every release. */
final class RecordingLeases implements LeaseProvider {
  final StaticLeaseProvider leases;
  /** Every lease asked for, in order. */
  final LinkedBlockingQueue<LeaseRequest> asked = new LinkedBlockingQueue<>();
  /** Every release's outcome, in order. */
  final LinkedBlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
  /** Every release as "backend:ok", "backend:error" or "backend:error:fault", in order. */
  final LinkedBlockingQueue<String> released = new LinkedBlockingQueue<>();

  RecordingLeases(Catalog catalog) {
    leases = new StaticLeaseProvider(catalog);
  }

  @Override
  public CompletionStage<Lease> acquire(LeaseRequest request) {
    asked.add(request);
    return leases.acquire(request);
  }

  @Override
  public void release(Lease lease, Outcome outcome) {
    outcomes.add(outcome);
    released.add(lease.backend().id() + ":" + (outcome.ok() ? "ok" : outcome.error() + (outcome.replicaFault() ? ":fault" : "")));
    leases.release(lease, outcome);
  }
}
