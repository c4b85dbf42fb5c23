package io.pickspin.drivers;

import io.pickspin.scaling.driver.ReplicaDriver;
import io.pickspin.scaling.driver.ReplicaStatus;
import io.pickspin.model.ModelSpec;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One driver for the models it manages, another for the rest: the process or Kubernetes driver for the models it
 * starts, the static driver for models with fixed endpoints (an external API, a shared server). Reports the managing
 * driver's name.
 */
final class ByModelDriver implements ReplicaDriver {
  private final ReplicaDriver managing;
  private final Set<String> managed;
  private final ReplicaDriver others;

  ByModelDriver(ReplicaDriver managing, Set<String> managed, ReplicaDriver others) {
    this.managing = managing;
    this.managed = Set.copyOf(managed);
    this.others = others;
  }

  private ReplicaDriver of(String modelId) {
    return managed.contains(modelId) ? managing : others;
  }

  @Override
  public String name() {
    return managing.name();
  }

  @Override
  public void scale(ModelSpec model, int desired) {
    of(model.id()).scale(model, desired);
  }

  @Override
  public List<ReplicaStatus> replicas(String modelId) {
    return of(modelId).replicas(modelId);
  }

  @Override
  public void onChange(Consumer<String> modelChanged) {
    managing.onChange(modelChanged);
    others.onChange(modelChanged);
  }

  @Override
  public void close() {
    try {
      managing.close();
    } finally {
      others.close();
    }
  }
}
