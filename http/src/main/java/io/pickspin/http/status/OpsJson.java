package io.pickspin.http.status;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pickspin.actors.ScalingSupervisor;
import io.pickspin.model.ModelSpec;
import io.pickspin.pool.PoolStatus;
import io.pickspin.scaling.ScalingInputs;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/** JSON views of pools and scaling decisions, shared by the status page and the admin API. */
public final class OpsJson {
  private OpsJson() {}

  /** Replicas of a pool per {@link ReplicaState}, every state present. */
  public static Map<ReplicaState, Integer> countByState(PoolStatus status) {
    Map<ReplicaState, Integer> counts = new EnumMap<>(ReplicaState.class);
    for (ReplicaState s : ReplicaState.values()) counts.put(s, 0);
    if (status != null) for (PoolStatus.ReplicaView r : status.replicas()) counts.merge(ReplicaState.of(r), 1, Integer::sum);
    return counts;
  }

  /** Dollars per hour the model's ready replicas cost. */
  public static double gpuCostPerHour(ModelSpec spec, PoolStatus status) {
    return status == null ? 0 : countByState(status).get(ReplicaState.READY) * spec.replicaHourlyCost();
  }

  /**
   * A model with its pool as this node last saw it ({@code status} null: not seen yet).
   *
   * @param endpoints include replica addresses (admin API only: the status page is not authenticated)
   */
  public static ObjectNode model(ModelSpec spec, PoolStatus status, boolean endpoints) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("id", spec.id());
    n.put("tier", spec.tier().name().toLowerCase(Locale.ROOT));
    n.put("minReplicas", spec.minReplicas());
    n.put("maxReplicas", spec.maxReplicas());
    n.put("replicaHourlyCost", spec.replicaHourlyCost());
    if (status == null) {
      n.putNull("pool");
      return n;
    }
    ObjectNode p = n.putObject("pool");
    p.put("desired", status.desired());
    p.put("maxReplicas", status.maxReplicas());
    p.put("inFlight", status.inFlight());
    p.put("queued", status.held());
    p.put("gpuCostPerHour", gpuCostPerHour(spec, status));
    ObjectNode byState = p.putObject("replicasByState");
    countByState(status).forEach((s, c) -> byState.put(s.label(), c));
    ArrayNode replicas = p.putArray("replicas");
    for (PoolStatus.ReplicaView r : status.replicas()) {
      ObjectNode v = replicas.addObject();
      v.put("id", r.id());
      v.put("state", ReplicaState.of(r).label());
      v.put("phase", r.phase().name().toLowerCase(Locale.ROOT));
      v.put("health", r.health().name().toLowerCase(Locale.ROOT));
      v.put("mode", r.mode().name().toLowerCase(Locale.ROOT));
      v.put("inRotation", r.inRotation());
      v.put("inFlight", r.inFlight());
      if (endpoints && r.endpoint() != null) {
        v.put("backend", r.endpoint().kind());
        v.put("url", r.endpoint().baseUrl().toString());
      }
    }
    return n;
  }

  public static String direction(ScalingSupervisor.ScaleDecided d) {
    return d.to() > d.from() ? "up" : "down";
  }

  /** One scaling decision with the numbers it was computed from. */
  public static ObjectNode decision(ScalingSupervisor.ScaleDecided d) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("model", d.model());
    n.put("from", d.from());
    n.put("to", d.to());
    n.put("direction", direction(d));
    n.put("reason", d.reason().label());
    n.put("atMs", d.atMs());
    n.put("at", Instant.ofEpochMilli(d.atMs()).toString());
    ScalingInputs in = d.inputs();
    if (in != null) {
      ObjectNode i = n.putObject("inputs");
      i.put("ratePerSecond", round(in.telemetry().ratePerSecond()));
      i.put("latencyMs", round(in.latencyMs()));
      i.put("inFlight", in.telemetry().inFlight());
      i.put("queued", in.telemetry().held());
      i.put("perReplicaConcurrency", in.perReplicaConcurrency());
      i.put("demand", round(in.demand()));
      i.put("needed", in.needed());
      i.put("floor", in.floor());
      i.put("ceiling", in.ceiling());
    }
    return n;
  }

  private static double round(double x) {
    return Math.round(x * 1000) / 1000.0;
  }
}
