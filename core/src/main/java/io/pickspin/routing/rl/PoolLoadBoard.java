package io.pickspin.routing.rl;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link PoolStateView} that the pools publish into: each model pool (or the code that polls their status) calls
 * {@link #update} whenever its in-flight, queued or replica counts change; the RL router reads the latest values
 * without locking. Models never published read as {@link PoolStateView.ModelLoad#IDLE}.
 */
public final class PoolLoadBoard implements PoolStateView {
  private final ConcurrentHashMap<String, ModelLoad> loads = new ConcurrentHashMap<>();

  public void update(String model, ModelLoad load) {
    loads.put(model, load);
  }

  @Override
  public ModelLoad load(String model) {
    return loads.getOrDefault(model, ModelLoad.IDLE);
  }
}
