package io.pickspin.lab.des;

import io.pickspin.scaling.driver.ReplicaPhase;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Which replicas the simulated replica drivers take away on a scale-down: starting ones first, newest first (they
 * serve nobody yet, and the newest is the furthest from ready), then ready ones, least loaded first (they drain: no
 * new requests, removed once empty).
 */
public final class ScaleDownOrder {
  private ScaleDownOrder() {}

  /**
   * @param replicas a pool's replicas, oldest first
   * @param remove how many leave
   * @return at most {@code remove} of them, in the order they leave
   */
  public static <R> List<R> leaving(
      List<R> replicas, int remove, Function<R, ReplicaPhase> phase, ToIntFunction<R> load) {
    List<R> out = new ArrayList<>();
    for (int i = replicas.size() - 1; i >= 0 && out.size() < remove; i--) {
      if (phase.apply(replicas.get(i)) == ReplicaPhase.STARTING) out.add(replicas.get(i));
    }
    List<R> ready = new ArrayList<>();
    for (R r : replicas) if (phase.apply(r) == ReplicaPhase.READY) ready.add(r);
    ready.sort(Comparator.comparingInt(load)); // stable: among equal loads the oldest leaves first
    for (R r : ready) {
      if (out.size() >= remove) break;
      out.add(r);
    }
    return out;
  }
}
