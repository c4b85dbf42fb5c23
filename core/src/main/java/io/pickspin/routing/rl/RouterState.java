package io.pickspin.routing.rl;

import io.pickspin.model.Tier;
import java.util.ArrayList;
import java.util.List;

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
 *       full batch on every replica), each clipped to [0, clip];
 *   <li>{@code rate = arrivals per second / rateScale}, clipped to [0, clip] (the EWMA estimate of
 *       {@link ArrivalRateEstimator});
 *   <li>{@code deadline = deadline ms / deadlineScale}, clipped to [0, clip].
 * </ol>
 *
 * Size: {@code 3 + 2M + 2}.
 */
public final class RouterState {
  public static final int TIER_FEATURES = Tier.values().length;

  private RouterState() {}

  /**
   * Normalisation constants, stored in the policy file so that inference scales exactly as training did.
   *
   * @param ratePerSecond arrival rate that maps to 1.0
   * @param deadlineMs deadline that maps to 1.0
   * @param clip upper bound of every load, rate and deadline feature
   */
  public record Scales(double ratePerSecond, double deadlineMs, double clip) {
    public Scales {
      if (!(ratePerSecond > 0) || !(deadlineMs > 0) || !(clip > 0))
        throw new IllegalArgumentException("state scales must be > 0");
    }
  }

  public static int size(int models) {
    return TIER_FEATURES + 2 * models + 2;
  }

  /** Names of the features in vector order, for the policy file and for reading a state in logs. */
  public static List<String> featureNames(List<String> models) {
    List<String> names = new ArrayList<>(size(models.size()));
    for (Tier t : Tier.values()) names.add("tier=" + t.name().toLowerCase(java.util.Locale.ROOT));
    for (String m : models) {
      names.add("inflight[" + m + "]");
      names.add("queued[" + m + "]");
    }
    names.add("rate");
    names.add("deadline");
    return names;
  }

  /**
   * Writes the state into {@code out} (length {@link #size}).
   *
   * @param capacity per model: maxBatch x max(1, replicas)
   */
  public static void encode(
      Tier tier,
      int[] inFlight,
      int[] queued,
      double[] capacity,
      double ratePerSecond,
      double deadlineMs,
      Scales scales,
      float[] out) {
    int m = inFlight.length;
    if (queued.length != m || capacity.length != m || out.length != size(m))
      throw new IllegalArgumentException("state arrays do not match " + m + " models");
    for (int i = 0; i < TIER_FEATURES; i++) out[i] = 0f;
    out[tier.ordinal()] = 1f;
    int k = TIER_FEATURES;
    for (int i = 0; i < m; i++) {
      double cap = Math.max(1e-9, capacity[i]);
      out[k++] = clip(inFlight[i] / cap, scales.clip());
      out[k++] = clip(queued[i] / cap, scales.clip());
    }
    out[k++] = clip(ratePerSecond / scales.ratePerSecond(), scales.clip());
    out[k] = clip(deadlineMs / scales.deadlineMs(), scales.clip());
  }

  public static float[] encode(
      Tier tier, int[] inFlight, int[] queued, double[] capacity, double ratePerSecond, double deadlineMs, Scales s) {
    float[] out = new float[size(inFlight.length)];
    encode(tier, inFlight, queued, capacity, ratePerSecond, deadlineMs, s, out);
    return out;
  }

  /**
   * Encodes states of one deployment: the candidate models in action order, their batch sizes, and the policy's
   * scales. The product's router and the simulator's training environment both encode through this, so a policy sees
   * the same features in both. Immutable and thread-safe.
   */
  public static final class Encoder {
    private final String[] models;
    private final int[] maxBatch;
    private final Scales scales;

    public Encoder(List<String> models, int[] maxBatch, Scales scales) {
      if (models.size() != maxBatch.length) throw new IllegalArgumentException("one batch size per model");
      this.models = models.toArray(String[]::new);
      this.maxBatch = maxBatch.clone();
      this.scales = scales;
    }

    public int size() {
      return RouterState.size(models.length);
    }

    public List<String> models() {
      return List.of(models);
    }

    /** The state of a request of {@code tier} with {@code deadlineMs}, under the pools' current load. */
    public float[] encode(Tier tier, PoolStateView pools, double ratePerSecond, double deadlineMs) {
      int n = models.length;
      int[] inFlight = new int[n];
      int[] queued = new int[n];
      double[] capacity = new double[n];
      for (int i = 0; i < n; i++) {
        PoolStateView.ModelLoad l = pools.load(models[i]);
        if (l == null) l = PoolStateView.ModelLoad.IDLE;
        inFlight[i] = l.inFlight();
        queued[i] = l.queued();
        capacity[i] = (double) maxBatch[i] * Math.max(1, l.replicas());
      }
      return RouterState.encode(tier, inFlight, queued, capacity, ratePerSecond, deadlineMs, scales);
    }
  }

  private static float clip(double v, double max) {
    return (float) Math.max(0, Math.min(max, v));
  }
}
