package io.pickspin.lab.des;

import io.pickspin.model.ModelSpec;
import io.pickspin.pool.PoolCore;
import io.pickspin.scaling.ArrivalStats;
import io.pickspin.scaling.ModelScaler;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One model of a simulated run: the production {@link PoolCore} (leases, hold queue) with its {@link ArrivalStats},
 * the production {@link ModelScaler} when the deployment scales (null for a static one), and the replicas a simulated
 * driver runs for it, with their GPU time.
 */
final class SimPool {
  final ModelSpec spec;
  final LatencyModel.Deployment deployment;
  final PoolCore<Job> core;
  final ModelScaler scaler;
  final ArrivalStats stats;
  final Map<String, ReplicaServer> replicas = new LinkedHashMap<>(); // every replica holding GPUs: starting, ready, draining
  double expiryAt = Double.POSITIVE_INFINITY;
  int nextReplica;
  int coldStarts;
  int scaleEvents;
  int peakReplicas;
  private double accountedAt;
  double gpuMs;

  SimPool(ModelSpec spec, LatencyModel.Deployment deployment, PoolCore<Job> core, ModelScaler scaler, ArrivalStats stats) {
    this.spec = spec;
    this.stats = stats;
    this.deployment = deployment;
    this.core = core;
    this.scaler = scaler;
  }

  List<ReplicaStatus> statuses() {
    List<ReplicaStatus> l = new ArrayList<>(replicas.size());
    for (ReplicaServer r : replicas.values()) l.add(r.status());
    return l;
  }

  int count(ReplicaPhase phase) {
    int n = 0;
    for (ReplicaServer r : replicas.values()) if (r.phase == phase) n++;
    return n;
  }

  /** Starting or ready: what the driver counts against the desired replicas. */
  int live() {
    return count(ReplicaPhase.STARTING) + count(ReplicaPhase.READY);
  }

  int gpus() {
    return replicas.size() * spec.gpusPerReplica();
  }

  /** Adds the GPU time since the last call (replicas hold GPUs from start request to removal). */
  void account(double now, Timeline timeline) {
    if (now > accountedAt) {
      gpuMs += gpus() * (now - accountedAt);
      timeline.addGpus(accountedAt, now, gpus());
      accountedAt = now;
    }
  }
}
