package io.pickspin.routing.matrix;

import static io.pickspin.settings.SettingsErrors.naming;

import com.typesafe.config.Config;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.Outcome;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The paper's service matrix M over (model, backend kind) pairs: per entry the relevance inputs (model quality and
 * tier), and live latency, time-to-first-token and error-rate statistics that telemetry from completed requests
 * updates. Latencies start from the model's latency profile and then follow an exponentially weighted moving average
 * of what the backends actually deliver.
 *
 * <p>Thread-safe: reads are lock-free (volatile fields, an immutable entry array swapped on the rare insert of a new
 * backend kind); an update locks only its own entry.
 */
public final class ServiceMatrix {
  /** Backend kind used for models that list no backend up front (they are started by a replica driver). */
  public static final String ANY_BACKEND = "default";

  /**
   * Settings ({@code pickspin.routing.matrix}): EWMA weight of a new observation, the output length that seeds the
   * expected latency, and the quality factor of each model tier on each prompt tier.
   */
  public record Settings(double ewmaAlpha, int expectedOutputTokens, TierFit tierFit) {
    public Settings {
      if (!(ewmaAlpha > 0 && ewmaAlpha <= 1))
        throw new IllegalArgumentException("pickspin.routing.matrix.ewma-alpha must be in (0,1]");
      if (expectedOutputTokens < 1)
        throw new IllegalArgumentException("pickspin.routing.matrix.expected-output-tokens must be >= 1");
      Objects.requireNonNull(tierFit, "tierFit");
    }

    public static Settings defaults() {
      return new Settings(0.2, 256, TierFit.defaults());
    }

    /**
     * Reads the {@code pickspin.routing.matrix} block; {@code tier-fit} holds one list per model tier ({@code low},
     * {@code medium}, {@code high}), each the factors on LOW, MEDIUM and HIGH prompts.
     */
    public static Settings fromConfig(Config matrix) {
      Config fit = matrix.getConfig("tier-fit");
      double[][] f = new double[Tier.values().length][];
      for (Tier t : Tier.values()) {
        f[t.ordinal()] =
            fit.getDoubleList(t.name().toLowerCase(Locale.ROOT)).stream().mapToDouble(Double::doubleValue).toArray();
      }
      TierFit tierFit = naming("pickspin.routing.matrix.tier-fit", () -> new TierFit(f));
      return new Settings(matrix.getDouble("ewma-alpha"), matrix.getInt("expected-output-tokens"), tierFit);
    }
  }

  /** One (model, backend kind) entry with its live statistics. */
  public static final class Entry {
    private final ModelSpec model;
    private final String backendKind;
    private volatile double latencyMs;
    private volatile double ttftMs;
    private volatile double errorRate;
    private volatile long observations;

    Entry(ModelSpec model, String backendKind, double latencyMs) {
      this.model = model;
      this.backendKind = backendKind;
      this.latencyMs = latencyMs;
      this.ttftMs = model.latency().ttftMs();
    }

    public ModelSpec model() {
      return model;
    }

    public String backendKind() {
      return backendKind;
    }

    /** Expected end-to-end latency of a request, in milliseconds. */
    public double latencyMs() {
      return latencyMs;
    }

    public double ttftMs() {
      return ttftMs;
    }

    /** Smoothed fraction of recent requests that failed. */
    public double errorRate() {
      return errorRate;
    }

    public long observations() {
      return observations;
    }

    /**
     * Dollars one request costs: the replica's hourly price for the request's service time, shared by the requests a
     * replica batches together.
     */
    public double costPerRequest() {
      return model.replicaHourlyCost() * latencyMs / 3_600_000.0 / model.latency().maxBatch();
    }

    synchronized void record(Outcome o, double alpha) {
      if (o.ok() || "timeout".equals(o.error())) latencyMs += alpha * (o.latencyMs() - latencyMs);
      if (o.ok() && o.ttftMs() >= 0) ttftMs += alpha * (o.ttftMs() - ttftMs);
      errorRate += alpha * ((o.ok() ? 0.0 : 1.0) - errorRate);
      observations++;
    }
  }

  private final Settings settings;
  private final Catalog catalog;
  private volatile Entry[] entries;

  public ServiceMatrix(Catalog catalog, Settings settings) {
    this.catalog = catalog;
    this.settings = settings;
    List<Entry> l = new ArrayList<>();
    for (ModelSpec m : catalog.models()) {
      Set<String> kinds = new LinkedHashSet<>();
      for (BackendEndpoint b : m.backends()) kinds.add(b.kind());
      if (kinds.isEmpty()) kinds.add(ANY_BACKEND);
      for (String k : kinds) l.add(newEntry(m, k));
    }
    this.entries = l.toArray(Entry[]::new);
  }

  private Entry newEntry(ModelSpec m, String kind) {
    return new Entry(m, kind, m.latency().serviceMs(settings.expectedOutputTokens()));
  }

  public Settings settings() {
    return settings;
  }

  public Catalog catalog() {
    return catalog;
  }

  /** The current entries; the array is never modified after publication, callers must not modify it either. */
  Entry[] entryArray() {
    return entries;
  }

  public List<Entry> entries() {
    return List.of(entries);
  }

  /**
   * Relevance of an entry for a prompt tier: model quality times its tier fit, discounted by the entry's error rate
   * (an answer that fails is worth nothing).
   */
  public double relevance(Entry e, Tier promptTier) {
    return e.model.quality() * settings.tierFit().factor(e.model.tier(), promptTier) * (1 - e.errorRate);
  }

  /**
   * Feeds one completed request's outcome into the statistics of its (model, backend kind). Unknown models are
   * ignored (the catalogue may have changed under a request in flight); a new backend kind of a known model gets an
   * entry.
   */
  public void record(String model, String backendKind, Outcome outcome) {
    String kind = backendKind == null || backendKind.isBlank() ? ANY_BACKEND : backendKind;
    Entry e = find(model, kind);
    if (e == null) {
      ModelSpec spec = catalog.find(model).orElse(null);
      if (spec == null) return;
      e = insert(spec, kind);
    }
    e.record(outcome, settings.ewmaAlpha());
  }

  public Entry find(String model, String backendKind) {
    for (Entry e : entries) if (e.model.id().equals(model) && e.backendKind.equals(backendKind)) return e;
    return null;
  }

  private synchronized Entry insert(ModelSpec spec, String kind) {
    Entry existing = find(spec.id(), kind);
    if (existing != null) return existing;
    Entry[] cur = entries;
    // a model that listed no backends gets its real kind: drop the placeholder entry, keep its statistics as a seed
    Entry placeholder = find(spec.id(), ANY_BACKEND);
    Entry e = newEntry(spec, kind);
    List<Entry> l = new ArrayList<>(List.of(cur));
    if (placeholder != null && placeholder.observations == 0) l.remove(placeholder);
    l.add(e);
    entries = l.toArray(Entry[]::new);
    return e;
  }
}
