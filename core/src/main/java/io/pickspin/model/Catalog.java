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

/**
 * The models the control plane serves, in configuration order, and the sim backends it lists without a URL
 * ({@link LocalSim}), which the node runs itself. Immutable.
 */
public final class Catalog {
  /**
   * A backend of kind sim that the catalogue lists without a base URL: the node runs a sim server for the model in its
   * own JVM, and {@link #withLocalSims} puts the server's URL in.
   *
   * @param model the model's id
   * @param position the backend's place in the model's list of backends
   * @param id the backend's id
   * @param port the port the server binds; 0 = any free one
   */
  public record LocalSim(String model, int position, String id, int port) {
    public LocalSim {
      if (port < 0 || port > 65535) throw new IllegalArgumentException("model " + model + ": port must be in 0..65535");
    }
  }

  private final Map<String, ModelSpec> byId;
  private final List<ModelSpec> ordered;
  private final List<LocalSim> localSims;

  public Catalog(Collection<ModelSpec> models) {
    this(models, List.of());
  }

  private Catalog(Collection<ModelSpec> models, List<LocalSim> localSims) {
    Map<String, ModelSpec> m = new LinkedHashMap<>();
    for (ModelSpec spec : models) {
      if (m.put(spec.id(), spec) != null) throw new IllegalArgumentException("duplicate model id " + spec.id());
    }
    if (m.isEmpty()) throw new IllegalArgumentException("the model catalogue is empty");
    this.byId = Map.copyOf(m);
    this.ordered = List.copyOf(m.values());
    this.localSims = List.copyOf(localSims);
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

  /** The completion models of a tier, cheapest replica first (embeddings models have no tier to route by). */
  public List<ModelSpec> ofTier(Tier tier) {
    return ordered.stream()
        .filter(s -> s.tier() == tier && !s.embeddings())
        .sorted(Comparator.comparingDouble(ModelSpec::replicaHourlyCost))
        .toList();
  }

  /**
   * The completion model that serves a tier by default: the cheapest of that tier, else the nearest larger tier, else
   * the nearest smaller one.
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

  /** The sim backends the node runs itself before it serves; empty once {@link #withLocalSims} put their URLs in. */
  public List<LocalSim> localSims() {
    return localSims;
  }

  /** This catalogue with every local sim a backend of its model, in its place, at the URL given for it. */
  public Catalog withLocalSims(Map<LocalSim, URI> urls) {
    List<ModelSpec> specs = new ArrayList<>();
    for (ModelSpec spec : ordered) {
      List<BackendEndpoint> backends = new ArrayList<>(spec.backends());
      for (LocalSim sim : localSims) {
        if (!sim.model().equals(spec.id())) continue;
        URI url = urls.get(sim);
        if (url == null) throw new IllegalArgumentException("no URL for the sim backend " + sim.id() + " of " + sim.model());
        backends.add(Math.min(sim.position(), backends.size()), new BackendEndpoint(sim.id(), "sim", url));
      }
      specs.add(spec.withBackends(backends));
    }
    return new Catalog(specs);
  }

  /**
   * Reads {@code pickspin.models} style configuration: a list of model objects. A backend of kind sim without a
   * {@code base-url} is a {@link LocalSim} on its {@code port} (default 0).
   */
  public static Catalog fromConfig(List<? extends Config> models) {
    List<ModelSpec> specs = new ArrayList<>();
    List<LocalSim> localSims = new ArrayList<>();
    for (Config c : models) {
      String id = c.getString("id");
      try {
        List<BackendEndpoint> backends = new ArrayList<>();
        int listed = 0;
        if (c.hasPath("backends")) {
          for (Config b : c.getConfigList("backends")) {
            String kind = b.hasPath("kind") ? b.getString("kind") : "vllm";
            String bid = b.hasPath("id") ? b.getString("id") : kind + "-" + listed;
            if (kind.equals("sim") && !b.hasPath("base-url")) {
              localSims.add(new LocalSim(id, listed, bid, b.hasPath("port") ? b.getInt("port") : 0));
            } else {
              backends.add(new BackendEndpoint(bid, kind, URI.create(b.getString("base-url"))));
            }
            listed++;
          }
        }
        Config l = c.getConfig("latency");
        boolean embeddings = c.hasPath("embeddings") && c.getBoolean("embeddings");
        specs.add(
            new ModelSpec(
                id,
                // the router does not tier embeddings models: theirs is only what the status page shows
                embeddings && !c.hasPath("tier") ? Tier.LOW : Tier.parse(c.getString("tier")),
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
                c.hasPath("max-replicas") ? c.getInt("max-replicas") : Math.max(1, listed),
                backends,
                embeddings));
      } catch (ConfigException | IllegalArgumentException e) {
        throw new IllegalArgumentException("bad configuration for model " + id + ": " + e.getMessage(), e);
      }
    }
    return new Catalog(specs, localSims);
  }
}
