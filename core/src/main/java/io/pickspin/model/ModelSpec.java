package io.pickspin.model;

import java.util.List;

/**
 * A model the control plane can route to, with what it costs to run and how to scale it.
 *
 * @param id the name clients use in "model"
 * @param tier the complexity tier this model is sized for
 * @param servedName the name the backend knows the model by (vLLM's --served-model-name)
 * @param quality relative answer quality in [0,1] used by the scorer when nothing better is known
 * @param gpusPerReplica GPUs one replica holds
 * @param gpuHourlyCost price of one GPU hour in dollars
 * @param latency latency profile of one replica
 * @param minReplicas warm-pool minimum: never scaled below this
 * @param maxReplicas never scaled above this
 * @param backends endpoints known up front (static backends, or the demo's sim servers)
 * @param embeddings an embeddings model: it serves {@code /v1/embeddings} only (as vLLM serves a model run for
 *     embedding), so the router never picks it for a chat or text completion
 */
public record ModelSpec(
    String id,
    Tier tier,
    String servedName,
    double quality,
    int gpusPerReplica,
    double gpuHourlyCost,
    LatencyProfile latency,
    int minReplicas,
    int maxReplicas,
    List<BackendEndpoint> backends,
    boolean embeddings) {

  public ModelSpec {
    if (id == null || id.isBlank()) throw new IllegalArgumentException("model id is required");
    if (tier == null) throw new IllegalArgumentException("model " + id + ": tier is required");
    if (servedName == null || servedName.isBlank()) servedName = id;
    if (quality < 0 || quality > 1) throw new IllegalArgumentException("model " + id + ": quality must be in [0,1]");
    if (gpusPerReplica < 0) throw new IllegalArgumentException("model " + id + ": gpus-per-replica must be >= 0");
    if (minReplicas < 0 || maxReplicas < minReplicas)
      throw new IllegalArgumentException("model " + id + ": need 0 <= min-replicas <= max-replicas");
    backends = List.copyOf(backends == null ? List.of() : backends);
  }

  /** A completion model (chat and text), not an embeddings one. */
  public ModelSpec(
      String id,
      Tier tier,
      String servedName,
      double quality,
      int gpusPerReplica,
      double gpuHourlyCost,
      LatencyProfile latency,
      int minReplicas,
      int maxReplicas,
      List<BackendEndpoint> backends) {
    this(id, tier, servedName, quality, gpusPerReplica, gpuHourlyCost, latency, minReplicas, maxReplicas, backends, false);
  }

  /** The same model with other backends. */
  public ModelSpec withBackends(List<BackendEndpoint> newBackends) {
    return new ModelSpec(
        id, tier, servedName, quality, gpusPerReplica, gpuHourlyCost, latency, minReplicas, maxReplicas, newBackends,
        embeddings);
  }

  /** Dollars per hour that one running replica costs. */
  public double replicaHourlyCost() {
    return gpusPerReplica * gpuHourlyCost;
  }
}
