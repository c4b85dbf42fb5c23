package io.pickspin.drivers;

import io.pickspin.scaling.driver.ReplicaDriver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link ReplicaDriver#onChange} listeners of a driver: a throwing listener neither stops the others nor the driver. */
final class ChangeListeners {
  private static final Logger log = LoggerFactory.getLogger(ChangeListeners.class);
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

  void add(Consumer<String> listener) {
    listeners.add(listener);
  }

  void fire(String modelId) {
    for (Consumer<String> l : listeners) {
      try {
        l.accept(modelId);
      } catch (RuntimeException e) {
        log.warn("replica change listener failed for model {}", modelId, e);
      }
    }
  }

  void clear() {
    listeners.clear();
  }
}
