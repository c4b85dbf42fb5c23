package io.pickspin.model;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The models the control plane serves, in configuration order. Immutable. */
public final class Catalog {
  private final Map<String, ModelSpec> byId;
  private final List<ModelSpec> ordered;

  public Catalog(Collection<ModelSpec> models) {
    Map<String, ModelSpec> m = new LinkedHashMap<>();
    for (ModelSpec spec : models) {
      if (m.put(spec.id(), spec) != null) throw new IllegalArgumentException("duplicate model id " + spec.id());
    }
    if (m.isEmpty()) throw new IllegalArgumentException("the model catalogue is empty");
    this.byId = Map.copyOf(m);
    this.ordered = List.copyOf(m.values());
  }

  public List<ModelSpec> models() {
    return ordered;
  }

  public Optional<ModelSpec> find(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  public ModelSpec get(String id) {
    ModelSpec s = byId.get(id);
    if (s == null) throw new IllegalArgumentException("unknown model " + id);
    return s;
  }

  /** The models of a tier, cheapest replica first. */
  public List<ModelSpec> ofTier(Tier tier) {
    return ordered.stream()
        .filter(s -> s.tier() == tier)
        .sorted(Comparator.comparingDouble(ModelSpec::replicaHourlyCost))
        .toList();
  }

  /**
   * The model that serves a tier by default: the cheapest of that tier, else the nearest larger tier, else the
   * nearest smaller one.
   */
  public ModelSpec defaultFor(Tier tier) {
    for (int d = 0; d < Tier.values().length; d++) {
      for (int sign : new int[] {+1, -1}) {
        int i = tier.ordinal() + sign * d;
        if (i < 0 || i >= Tier.values().length) continue;
        List<ModelSpec> l = ofTier(Tier.values()[i]);
        if (!l.isEmpty()) return l.get(0);
      }
    }
    return ordered.get(0);
  }

  /** Reads {@code pickspin.models} style configuration: a list of model objects. */
  public static Catalog fromConfig(List<? extends Config> models) {
    List<ModelSpec> specs = new ArrayList<>();
    for (Config c : models) {
      String id = c.getString("id");
      try {
        List<BackendEndpoint> backends = new ArrayList<>();
        if (c.hasPath("backends")) {
          int i = 0;
          for (Config b : c.getConfigList("backends")) {
            String kind = b.hasPath("kind") ? b.getString("kind") : "vllm";
            String bid = b.hasPath("id") ? b.getString("id") : kind + "-" + i;
            backends.add(new BackendEndpoint(bid, kind, URI.create(b.getString("base-url"))));
            i++;
          }
        }
        Config l = c.getConfig("latency");
        specs.add(
            new ModelSpec(
                id,
                Tier.parse(c.getString("tier")),
                c.hasPath("served-name") ? c.getString("served-name") : id,
                c.hasPath("quality") ? c.getDouble("quality") : 0.5,
                c.hasPath("gpus-per-replica") ? c.getInt("gpus-per-replica") : 1,
                c.hasPath("gpu-hourly-cost") ? c.getDouble("gpu-hourly-cost") : 2.0,
                new LatencyProfile(
                    l.getDouble("ttft-ms"),
                    l.getDouble("tpot-ms"),
                    l.hasPath("max-batch") ? l.getInt("max-batch") : 8,
                    l.hasPath("cold-start-ms") ? l.getDouble("cold-start-ms") : 0,
                    l.hasPath("tpot-at-max-batch-ms") ? l.getDouble("tpot-at-max-batch-ms") : 0),
                c.hasPath("min-replicas") ? c.getInt("min-replicas") : 0,
                c.hasPath("max-replicas") ? c.getInt("max-replicas") : Math.max(1, backends.size()),
                backends));
      } catch (ConfigException | IllegalArgumentException e) {
        throw new IllegalArgumentException("bad configuration for model " + id + ": " + e.getMessage(), e);
      }
    }
    return new Catalog(specs);
  }
}
