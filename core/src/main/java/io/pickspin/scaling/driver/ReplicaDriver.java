package io.pickspin.scaling.driver;

import io.pickspin.model.ModelSpec;
import java.util.List;
import java.util.function.Consumer;

/**
 * Makes replicas of models exist: Kubernetes Deployments or Knative Services, local processes, or fixed endpoints.
 * The driver's view is the source of truth for which replicas exist; the scaling supervisor only sets desired counts.
 */
public interface ReplicaDriver extends AutoCloseable {
  /** Short name for logs and status: "kubernetes", "process", "static". */
  String name();

  /**
   * Asks for this many replicas of the model. Idempotent and non-blocking: returns once the request is accepted, not
   * when the replicas are ready; progress shows in {@link #replicas} and through {@link #onChange}.
   */
  void scale(ModelSpec model, int desired);

  /** The replicas of a model that exist now, in any phase. */
  List<ReplicaStatus> replicas(String modelId);

  /** Registers a listener called, from any thread, with a model id whenever that model's replicas change. */
  void onChange(Consumer<String> modelChanged);

  /** Releases watches, processes and clients. */
  @Override
  void close();
}
