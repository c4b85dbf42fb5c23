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
 * <p>What the scorer compares across models is each entry's {@link Entry#expectedLatencyMs() expected latency}: the
 * latency of the same typical request on every model, the profile's service time times the slowdown telemetry measured
 * against the profile. The typical request's output length starts at the configured expected output length and then
 * follows a moving average of the answers every model returned ({@link #typicalOutputTokens()}): a workload of short
 * answers (code completion averages 28 tokens, not 256) must not make every model look too slow for its deadlines, or a
 * model that never gets a request never gets the telemetry that would show it fits. The plain moving average of what each entry served
 * ({@link Entry#latencyMs()}) is not comparable across models: it follows the lengths of the answers each happened to
 * serve, and a model that served a few short answers would look faster and cheaper than one still on its prior.
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
    private final ServiceMatrix matrix;
    private volatile double latencyMs;
    private volatile double ttftMs;
    private volatile double errorRate;
    private volatile double slowdown = 1.0;
    private volatile long observations;

    Entry(ServiceMatrix matrix, ModelSpec model, String backendKind, double latencyMs) {
      this.matrix = matrix;
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

    /**
     * Moving average of the end-to-end latency of the requests this entry served, in milliseconds, from the profile's
     * service time of a request of the expected output length. It follows the lengths of the answers served, so it
     * describes this entry's traffic; {@link #expectedLatencyMs()} is the one to compare models with.
     */
    public double latencyMs() {
      return latencyMs;
    }

    /**
     * Expected end-to-end latency of a request of the expected output length, in milliseconds, before any wait for a
     * replica: the profile's service time times {@link #slowdown()}.
     */
    public double expectedLatencyMs() {
      return profileLatencyMs() * slowdown;
    }

    /** The profile's service time of the matrix's typical request. */
    double profileLatencyMs() {
      return model.latency().serviceMs((int) Math.round(matrix.typicalOutputTokens));
    }

    /**
     * How much slower than its latency profile this entry serves, as a moving average of observed / predicted latency
     * (1 = as the profile says). A success with a known output length compares its latency with the profile's for that
     * length; a success of unknown length counts as 1 (it says the entry works, not how fast per token); a timeout
     * counts as at least its latency over the profile's expected latency.
     */
    public double slowdown() {
      return slowdown;
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
      return costOf(latencyMs);
    }

    /** As {@link #costPerRequest()} for a request of the expected output length: {@link #expectedLatencyMs()}. */
    public double expectedCostPerRequest() {
      return costOf(expectedLatencyMs());
    }

    private double costOf(double serviceMs) {
      return model.replicaHourlyCost() * serviceMs / 3_600_000.0 / model.latency().maxBatch();
    }

    synchronized void record(Outcome o, double alpha) {
      boolean timeout = "timeout".equals(o.error());
      if (o.ok() || timeout) latencyMs += alpha * (o.latencyMs() - latencyMs);
      if (o.ok() && o.ttftMs() >= 0) ttftMs += alpha * (o.ttftMs() - ttftMs);
      errorRate += alpha * ((o.ok() ? 0.0 : 1.0) - errorRate);
      double ratio = Double.NaN;
      if (o.ok()) {
        double predicted = o.outputTokens() > 0 ? model.latency().serviceMs(o.outputTokens()) : 0;
        ratio = predicted > 0 ? o.latencyMs() / predicted : 1.0;
      } else if (timeout && profileLatencyMs() > 0) {
        ratio = Math.max(1.0, o.latencyMs() / profileLatencyMs());
      }
      if (!Double.isNaN(ratio)) slowdown += alpha * (ratio - slowdown);
      observations++;
    }
  }

  private final Settings settings;
  private final Catalog catalog;
  private volatile Entry[] entries;
  /** Output length of the typical request, tokens: the configured prior, then a moving average of observed answers. */
  private volatile double typicalOutputTokens;

  public ServiceMatrix(Catalog catalog, Settings settings) {
    this.catalog = catalog;
    this.settings = settings;
    this.typicalOutputTokens = settings.expectedOutputTokens();
    List<Entry> l = new ArrayList<>();
    for (ModelSpec m : catalog.models()) {
      if (m.embeddings()) continue; // never a candidate for a completion
      Set<String> kinds = new LinkedHashSet<>();
      for (BackendEndpoint b : m.backends()) kinds.add(b.kind());
      if (kinds.isEmpty()) kinds.add(ANY_BACKEND);
      for (String k : kinds) l.add(newEntry(m, k));
    }
    this.entries = l.toArray(Entry[]::new);
  }

  private Entry newEntry(ModelSpec m, String kind) {
    return new Entry(this, m, kind, m.latency().serviceMs((int) Math.round(typicalOutputTokens)));
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
   * ignored (the catalogue may have changed under a request in flight), and so are embeddings models (no candidates);
   * a new backend kind of a known model gets an entry.
   */
  public void record(String model, String backendKind, Outcome outcome) {
    String kind = backendKind == null || backendKind.isBlank() ? ANY_BACKEND : backendKind;
    Entry e = find(model, kind);
    if (e == null) {
      ModelSpec spec = catalog.find(model).orElse(null);
      if (spec == null || spec.embeddings()) return;
      e = insert(spec, kind);
    }
    if (outcome.ok() && outcome.outputTokens() > 0) observeOutput(outcome.outputTokens());
    e.record(outcome, settings.ewmaAlpha());
  }

  /**
   * Weight of one answer in the typical output length: slower than the entries' statistics (every model's answers
   * feed it, and one long answer must not swing every model's expected latency).
   */
  static final double OUTPUT_ALPHA = 0.02;

  private synchronized void observeOutput(int tokens) {
    typicalOutputTokens += OUTPUT_ALPHA * (tokens - typicalOutputTokens);
  }

  /**
   * Output length, in tokens, of the typical request every entry's expected latency is quoted for: the configured
   * expected-output-tokens until answers come back, then a moving average of their lengths over every model.
   */
  public double typicalOutputTokens() {
    return typicalOutputTokens;
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
