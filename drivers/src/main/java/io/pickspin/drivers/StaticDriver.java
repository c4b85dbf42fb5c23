package io.pickspin.drivers;

import io.pickspin.scaling.driver.ReplicaDriver;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import java.util.List;
import java.util.function.Consumer;

/**
 * Fixed endpoints from the catalogue: the paper's "static deployment" baseline, and external backends nobody here
 * scales. Every backend a model lists is a READY replica whose id is the backend's id; {@link #scale} changes nothing
 * (the pool's health checks take a dead backend out of rotation) but tells the listeners, so that a caller that scales
 * sees the replica list at once.
 */
public final class StaticDriver implements ReplicaDriver {
  private final Catalog catalog;
  private final ChangeListeners listeners = new ChangeListeners();

  public StaticDriver(Catalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public String name() {
    return "static";
  }

  @Override
  public void scale(ModelSpec model, int desired) {
    listeners.fire(model.id());
  }

  @Override
  public List<ReplicaStatus> replicas(String modelId) {
    return catalog.find(modelId).map(StaticDriver::ready).orElse(List.of());
  }

  static List<ReplicaStatus> ready(ModelSpec model) {
    return model.backends().stream().map(b -> new ReplicaStatus(b.id(), ReplicaPhase.READY, b)).toList();
  }

  @Override
  public void onChange(Consumer<String> modelChanged) {
    listeners.add(modelChanged);
  }

  @Override
  public void close() {
    listeners.clear();
  }
}
