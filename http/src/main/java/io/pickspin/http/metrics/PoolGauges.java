package io.pickspin.http.metrics;

import io.pickspin.http.status.OpsJson;
import io.pickspin.http.status.ReplicaState;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.pool.PoolStatus;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import kamon.Kamon;
import kamon.metric.Metric;
import kamon.tag.TagSet;

/**
 * Pool gauges from the pool board: {@code pickspin_queue_depth{model}}, {@code pickspin_inflight_requests{model}},
 * {@code pickspin_replicas{model,state}} (desired, starting, ready, draining, failed), {@code
 * pickspin_gpu_cost_dollars_per_hour{model}}, and the {@code pickspin_cold_start_seconds{model}} histogram. Not
 * thread-safe: one reporter drives it.
 */
final class PoolGauges {
  static final String DESIRED = "desired";

  private final Catalog catalog;
  private final Metric.Gauge queue = Kamon.gauge("pickspin.queue.depth");
  private final Metric.Gauge inFlight = Kamon.gauge("pickspin.inflight.requests");
  private final Metric.Gauge replicas = Kamon.gauge("pickspin.replicas");
  private final Metric.Gauge cost = Kamon.gauge("pickspin.gpu.cost.dollars.per.hour");
  private final Metric.Timer coldStart = Kamon.timer("pickspin.cold.start");
  private final ColdStarts coldStarts = new ColdStarts();
  private final Set<String> reported = new HashSet<>();

  PoolGauges(Catalog catalog) {
    this.catalog = catalog;
  }

  /** Sets every gauge of the models the board has a status for. */
  void update(Map<String, PoolStatus> board, long nowMs) {
    for (ModelSpec spec : catalog.models()) {
      PoolStatus s = board.get(spec.id());
      if (s == null) continue;
      String model = spec.id();
      queue.withTag("model", model).update(s.held());
      inFlight.withTag("model", model).update(s.inFlight());
      OpsJson.countByState(s).forEach((state, n) -> replicas.withTags(tags(model, state.label())).update(n));
      if (s.desired() >= 0) replicas.withTags(tags(model, DESIRED)).update(s.desired());
      else replicas.remove(tags(model, DESIRED));
      cost.withTag("model", model).update(OpsJson.gpuCostPerHour(spec, s));
      for (long ms : coldStarts.observe(s, nowMs)) coldStart.withTag("model", model).record(ms * 1_000_000L);
      reported.add(model);
    }
  }

  /** Removes every series this node set: another node reports the pools now. */
  void clear() {
    for (String model : reported) {
      TagSet m = TagSet.of("model", model);
      queue.remove(m);
      inFlight.remove(m);
      cost.remove(m);
      replicas.remove(tags(model, DESIRED));
      for (ReplicaState s : ReplicaState.values()) replicas.remove(tags(model, s.label()));
    }
    reported.clear();
    coldStarts.clear();
  }

  private static TagSet tags(String model, String state) {
    return TagSet.builder().add("model", model).add("state", state).build();
  }
}
