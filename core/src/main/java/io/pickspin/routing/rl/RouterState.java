package io.pickspin.routing.rl;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.pickspin.model.Tier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The state vector the DQN router decides on, for a catalogue of {@code M} candidate models (the policy's actions).
 * Every feature is scaled to about [0, 1] and clipped, so that one policy keeps working when the load runs far beyond
 * what training saw:
 *
 * <ol>
 *   <li>{@code tier=low, tier=medium, tier=high}: one-hot complexity class of the prompt (the task class the paper
 *       conditions on; here the tier the keyword / hybrid classifier assigns);
 *   <li>for each model {@code i} in action order: {@code inflight[i] = inFlight / capacity} and
 *       {@code queued[i] = queued / capacity}, where {@code capacity = maxBatch x max(1, replicas)} (so 1.0 means a
 *       full batch on every replica), each clipped to [0, clip]; in the {@link Layout#LOAD_AND_REPLICAS} layout also
 *       {@code ready[i] = ready replicas / replicaScale} and {@code starting[i] = starting replicas / replicaScale}
 *       (what a scaler in the loop changes: a policy can tell a pool of 2 busy replicas from one of 4);
 *   <li>{@code rate = arrivals per second / rateScale}, clipped to [0, clip] (the EWMA estimate of
 *       {@link ArrivalRateEstimator});
 *   <li>{@code deadline = deadline ms / deadlineScale}, clipped to [0, clip].
 * </ol>
 *
 * Size: {@code 3 + 2M + 2} ({@link Layout#LOAD}, the policies written before replica counts were part of the state)
 * or {@code 3 + 4M + 2} ({@link Layout#LOAD_AND_REPLICAS}, what the trainer writes now). A policy file names its
 * layout; the product encodes each policy in its own layout.
 */
public final class RouterState {
  public static final int TIER_FEATURES = Tier.values().length;

  private RouterState() {}

  /** Which features a policy's state has, in vector order. */
  public enum Layout {
    /** Tier, per model in flight and queued, rate, deadline. */
    LOAD("load", 2),
    /** Tier, per model in flight, queued, ready and starting replicas, rate, deadline. */
    LOAD_AND_REPLICAS("load+replicas", 4);

    /** The layout the trainer writes. */
    public static final Layout CURRENT = LOAD_AND_REPLICAS;

    private final String fileName;
    private final int perModel;

    Layout(String fileName, int perModel) {
      this.fileName = fileName;
      this.perModel = perModel;
    }

    /** Its name in a policy file. */
    public String fileName() {
      return fileName;
    }

    public boolean hasReplicas() {
      return perModel > 2;
    }

    public int size(int models) {
      return TIER_FEATURES + perModel * models + 2;
    }

    /** Names of the features in vector order, for the policy file and for reading a state in logs. */
    public List<String> featureNames(List<String> models) {
      List<String> names = new ArrayList<>(size(models.size()));
      for (Tier t : Tier.values()) names.add("tier=" + t.name().toLowerCase(Locale.ROOT));
      for (String m : models) {
        names.add("inflight[" + m + "]");
        names.add("queued[" + m + "]");
        if (hasReplicas()) {
          names.add("ready[" + m + "]");
          names.add("starting[" + m + "]");
        }
      }
      names.add("rate");
      names.add("deadline");
      return names;
    }

    /** The layout a policy file names, or an error that lists the known ones. */
    public static Layout named(String name) {
      for (Layout l : values()) if (l.fileName.equals(name)) return l;
      throw new IllegalArgumentException("unknown RL state layout '" + name + "' (this build reads " + knownNames() + ")");
    }

    /** The layout whose feature names are exactly {@code features} for {@code models}, or an error. */
    public static Layout ofFeatures(List<String> features, List<String> models) {
      for (Layout l : values()) if (l.featureNames(models).equals(features)) return l;
      throw new IllegalArgumentException("the features " + features + " are no state layout this build reads ("
          + knownNames() + ")");
    }

    /** The layout whose state for {@code models} has {@code inputs} features, or an error. */
    public static Layout ofSize(int inputs, int models) {
      for (Layout l : values()) if (l.size(models) == inputs) return l;
      throw new IllegalArgumentException(
          "no state layout of " + models + " models has " + inputs + " features (this build reads " + knownNames() + ")");
    }

    private static String knownNames() {
      StringBuilder s = new StringBuilder();
      for (Layout l : values()) s.append(s.length() == 0 ? "" : ", ").append(l.fileName);
      return s.toString();
    }
  }

  /**
   * Normalisation constants, stored in the policy file so that inference scales exactly as training did.
   *
   * @param ratePerSecond arrival rate that maps to 1.0
   * @param deadlineMs deadline that maps to 1.0
   * @param clip upper bound of every load, rate, deadline and replica feature
   * @param replicas replica count that maps to 1.0; 0 in policies whose layout has no replica features (files written
   *     before it existed lack it)
   */
  public record Scales(double ratePerSecond, double deadlineMs, double clip, double replicas) {
    @JsonCreator
    public Scales {
      if (!(ratePerSecond > 0) || !(deadlineMs > 0) || !(clip > 0))
        throw new IllegalArgumentException("state scales must be > 0");
      if (!(replicas >= 0)) throw new IllegalArgumentException("the replica scale must be >= 0");
    }

    /** Scales of the {@link Layout#LOAD} layout, which has no replica features. */
    public Scales(double ratePerSecond, double deadlineMs, double clip) {
      this(ratePerSecond, deadlineMs, clip, 0);
    }

    /** Checks that these scales can encode {@code layout}. */
    public void requireFor(Layout layout) {
      if (layout.hasReplicas() && !(replicas > 0))
        throw new IllegalArgumentException("the " + layout.fileName() + " state layout needs a replica scale > 0");
    }
  }

  /**
   * One model's load as the state encodes it.
   *
   * @param capacity maxBatch x max(1, ready replicas)
   */
  public record ModelFeatures(int inFlight, int queued, double capacity, int ready, int starting) {}

  /** Writes the state of {@code layout} into {@code out} (length {@code layout.size(models)}). */
  public static void encode(
      Layout layout, Tier tier, ModelFeatures[] models, double ratePerSecond, double deadlineMs, Scales scales,
      float[] out) {
    int m = models.length;
    if (out.length != layout.size(m)) throw new IllegalArgumentException("state arrays do not match " + m + " models");
    for (int i = 0; i < TIER_FEATURES; i++) out[i] = 0f;
    out[tier.ordinal()] = 1f;
    int k = TIER_FEATURES;
    for (ModelFeatures f : models) {
      double cap = Math.max(1e-9, f.capacity());
      out[k++] = clip(f.inFlight() / cap, scales.clip());
      out[k++] = clip(f.queued() / cap, scales.clip());
      if (layout.hasReplicas()) {
        out[k++] = clip(f.ready() / scales.replicas(), scales.clip());
        out[k++] = clip(f.starting() / scales.replicas(), scales.clip());
      }
    }
    out[k++] = clip(ratePerSecond / scales.ratePerSecond(), scales.clip());
    out[k] = clip(deadlineMs / scales.deadlineMs(), scales.clip());
  }

  public static float[] encode(
      Layout layout, Tier tier, ModelFeatures[] models, double ratePerSecond, double deadlineMs, Scales scales) {
    float[] out = new float[layout.size(models.length)];
    encode(layout, tier, models, ratePerSecond, deadlineMs, scales, out);
    return out;
  }

  /**
   * Encodes states of one deployment: the candidate models in action order, their batch sizes, the policy's scales
   * and state layout. The product's router and the simulator's training environment both encode through this, so a
   * policy sees the same features in both. Immutable and thread-safe.
   */
  public static final class Encoder {
    private final String[] models;
    private final int[] maxBatch;
    private final Scales scales;
    private final Layout layout;

    public Encoder(List<String> models, int[] maxBatch, Scales scales, Layout layout) {
      if (models.size() != maxBatch.length) throw new IllegalArgumentException("one batch size per model");
      scales.requireFor(layout);
      this.models = models.toArray(String[]::new);
      this.maxBatch = maxBatch.clone();
      this.scales = scales;
      this.layout = layout;
    }

    public int size() {
      return layout.size(models.length);
    }

    public Layout layout() {
      return layout;
    }

    public List<String> models() {
      return List.of(models);
    }

    /** The state of a request of {@code tier} with {@code deadlineMs}, under the pools' current load. */
    public float[] encode(Tier tier, PoolStateView pools, double ratePerSecond, double deadlineMs) {
      int n = models.length;
      ModelFeatures[] features = new ModelFeatures[n];
      for (int i = 0; i < n; i++) {
        PoolStateView.ModelLoad l = pools.load(models[i]);
        if (l == null) l = PoolStateView.ModelLoad.IDLE;
        features[i] = new ModelFeatures(l.inFlight(), l.queued(), (double) maxBatch[i] * Math.max(1, l.replicas()),
            l.replicas(), l.starting());
      }
      return RouterState.encode(layout, tier, features, ratePerSecond, deadlineMs, scales);
    }
  }

  private static float clip(double v, double max) {
    return (float) Math.max(0, Math.min(max, v));
  }
}
