package io.pickspin.lab.rl;

import io.pickspin.time.MillisClock;

import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.PoolStateView;
import io.pickspin.scaling.ScalingSettings;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The best-effort serving environment (papers.md 2.5): a deployment of the fleet's models on a {@link ServerModel}
 * (the DES's calibrated servers, {@link CalibratedServers}), requests routed one by one at their arrival time, and the
 * outcome of each (served on time, late, or given up in the queue) turned into a reward and a
 * {@link ServingMetrics.Served} record.
 *
 * <p>Task utility of model m on a prompt: {@link Workload.Prompt#utility()}, in the DES set-up the answer model's
 * probability that m answers that benchmark prompt correctly. The "large model" (peak) is the catalogue's default
 * model of the HIGH tier.
 *
 * <p>A waiting request leaves the queue once it could no longer be sure to finish in time on its model, i.e. once less
 * than the model's service time for it at a full batch is left of its budget (the deadline in hard mode, twice the
 * deadline in soft mode, where a late answer keeps some value until then): a best-effort server does not spend capacity
 * on answers that would come too late, so overload degrades availability instead of collapsing it. The same rule holds
 * for every router.
 *
 * <p>A simulator with the scaler in the loop may send a request to one of its decision's fallbacks instead (the
 * product's spill, {@link ServingSimulator#destination}); the request is then credited, charged and reported as the
 * fallback's.
 */
public final class RoutingEnv {
  /** Chooses the model of each arrival (index into {@link #models()}) and hears how it went. */
  public interface Router {
    Choice route(Workload.Arrival a);

    /** @param model the model that took the request: the choice, or the fallback it spilled to */
    default void outcome(Workload.Arrival a, int model, boolean served, double latencyMs, boolean onTime) {}
  }

  /**
   * A routing decision: the model, then the models to try instead, best first (the decision's fallbacks, where a
   * request spills when its model is cold, see {@link ServingSimulator#destination}).
   */
  public record Choice(int model, List<Integer> fallbacks) {
    public Choice {
      fallbacks = List.copyOf(fallbacks);
    }

    /** No fallbacks: the request waits for its model, as one whose client named the model does. */
    public static Choice only(int model) {
      return new Choice(model, List.of());
    }

    /** {@code model}, the other models of {@code ranking} (model indices, best first) as its fallbacks in that order. */
    public static Choice ranked(int model, int[] ranking) {
      List<Integer> fallbacks = new ArrayList<>(ranking.length);
      for (int m : ranking) if (m != model) fallbacks.add(m);
      return new Choice(model, fallbacks);
    }
  }

  private final List<ModelSpec> models;
  private final Map<String, Integer> index = new HashMap<>();
  private final ServerModel servers;
  private final DqnPolicy.Reward reward;
  private final double regretWeight;
  private final double gpuWeight;
  private final int peakModel;

  /**
   * @param servers serves the catalogue's models, in catalogue order
   * @param regretWeight reward shaping (see {@link #reward}): an answer's value is {@code 1 - regretWeight x (u_peak -
   *     u_m)}, its quality gap to the large model on that prompt, amplified; 0 = the raw utility u_m
   */
  public RoutingEnv(Catalog catalog, ServerModel servers, DqnPolicy.Reward reward, double regretWeight) {
    this(catalog, servers, reward, regretWeight, 0);
  }

  /**
   * @param gpuWeight reward shaping (see {@link #reward}): the reward loses this much per GPU-second the request costs
   *     its model ({@link #gpuSeconds}); 0 = none
   */
  public RoutingEnv(Catalog catalog, ServerModel servers, DqnPolicy.Reward reward, double regretWeight, double gpuWeight) {
    if (regretWeight < 0 || gpuWeight < 0) throw new IllegalArgumentException("regret and gpu weights must be >= 0");
    this.gpuWeight = gpuWeight;
    this.models = catalog.models();
    for (int i = 0; i < models.size(); i++) index.put(models.get(i).id(), i);
    this.servers = servers;
    this.reward = reward;
    this.regretWeight = regretWeight;
    this.peakModel = index.get(catalog.defaultFor(Tier.HIGH).id());
  }

  public List<ModelSpec> models() {
    return models;
  }

  public List<String> modelIds() {
    return models.stream().map(ModelSpec::id).toList();
  }

  public int indexOf(String model) {
    Integer i = index.get(model);
    if (i == null) throw new IllegalArgumentException("model " + model + " is not in the environment");
    return i;
  }

  public int peakModel() {
    return peakModel;
  }

  public DqnPolicy.Reward reward() {
    return reward;
  }

  public ServerModel servers() {
    return servers;
  }

  /** Replicas per model for a per-tier replica count (every model of a tier gets that many). */
  public int[] replicas(Map<Tier, Integer> byTier) {
    return models.stream().mapToInt(m -> byTier.getOrDefault(m.tier(), 0)).toArray();
  }

  public int gpus(int[] replicas) {
    int g = 0;
    for (int i = 0; i < replicas.length; i++) g += replicas[i] * models.get(i).gpusPerReplica();
    return g;
  }

  public ServingSimulator newSimulator(int[] replicas) {
    return servers.newSimulator(replicas);
  }

  /**
   * A simulator whose pools the product's scaler resizes ({@link ScaledServers}), starting from {@code replicas}
   * ready; only on the calibrated servers themselves (a thinking-mode fleet's servers are not resizable).
   */
  public ScaledServers newScaledSimulator(int[] replicas, ScalingSettings scaling) {
    if (!(servers instanceof CalibratedServers.Model calibrated))
      throw new IllegalArgumentException("the scaler runs on CalibratedServers, not on " + servers.getClass().getSimpleName());
    return new ScaledServers(calibrated.newSimulator(replicas), calibrated, models, scaling, replicas);
  }

  /**
   * The training reward of an outcome (a request that gave up counts as late): the deadline mode's reward (hard: the
   * value on time, {@code -latePenalty} late; soft: the value scaled by lateness) of a value that is, with a regret
   * weight k > 0, {@code 1 - k (u_peak - u_m)} instead of the raw utility u_m. The quality gaps between the models are
   * a few points of accuracy, far below the per-prompt spread of accuracy that a raw-utility reward carries as noise,
   * and the quality-window metrics ask for exactly this gap to be small; u_peak (the large model's utility on the same
   * prompt) is common to every action, so it drops out and the gap is amplified. With a GPU weight g > 0 the reward
   * also loses {@code g x} {@link #gpuSeconds} (the choice's marginal GPU cost when a scaler sizes the pools). (Charging a late answer its whole
   * peak utility, k times, as the window metric would, made the policy avoid the large model at low load: see
   * bench/results/rl-router.md.)
   */
  public double reward(int model, Workload.Arrival a, boolean served, double latencyMs) {
    double[] u = a.prompt().utility();
    double value = regretWeight > 0 ? 1 - regretWeight * (u[peakModel] - u[model]) : u[model];
    double gpuCost = gpuWeight > 0 ? gpuWeight * gpuSeconds(model, a) : 0;
    return reward.of(value, effectiveLatency(a, served, latencyMs), a.deadlineMs()) - gpuCost;
  }

  /**
   * The GPU time a request takes on {@code model} when it shares a full batch: GPUs per replica x its full-batch
   * service time / max batch. With a scaler in the loop a pool grows with this load, so it is the choice's marginal
   * GPU cost (on time or not: the GPUs were busy either way).
   */
  public double gpuSeconds(int model, Workload.Arrival a) {
    return models.get(model).gpusPerReplica() * servers.fullBatchServiceMs(model, a.inputTokens(), a.outputTokens())
        / servers.maxBatch(model) / 1000.0;
  }

  /** The utility an outcome is credited with in the metrics: the raw task utility, reduced or lost when late. */
  public double credit(int model, Workload.Arrival a, boolean served, double latencyMs) {
    return Math.max(0, reward.of(a.prompt().utility()[model], effectiveLatency(a, served, latencyMs), a.deadlineMs()));
  }

  private double effectiveLatency(Workload.Arrival a, boolean served, double latencyMs) {
    return served ? latencyMs : Math.max(latencyMs, giveUpAfterMs(a)) + 1;
  }

  double giveUpAfterMs(Workload.Arrival a) {
    return DqnPolicy.Reward.SOFT.equals(reward.mode()) ? 2.0 * a.deadlineMs() : a.deadlineMs();
  }

  /** Routes every arrival through {@code router} on {@code sim} and returns one record per request. */
  public List<ServingMetrics.Served> run(List<Workload.Arrival> arrivals, ServingSimulator sim, Router router) {
    List<ServingMetrics.Served> out = new ArrayList<>(arrivals.size());
    for (Workload.Arrival a : arrivals) {
      sim.runUntil(a.timeMs());
      Choice choice = router.route(a);
      // the model that takes it (the choice unless it spills): its credit, GPU cost and give-up time are that model's
      int m = sim.destination(choice.model(), choice.fallbacks(), a.deadlineMs());
      double peak = a.prompt().utility()[peakModel];
      double giveUpAt = a.timeMs() + giveUpAfterMs(a) - servers.fullBatchServiceMs(m, a.inputTokens(), a.outputTokens());
      // a choice without fallbacks is a client that named its model (Choice.only)
      boolean named = choice.fallbacks().isEmpty();
      sim.submit(m, a.inputTokens(), a.outputTokens(), giveUpAt, a.deadlineMs(), named, (served, latency) -> {
        boolean onTime = served && latency <= a.deadlineMs();
        double credit = credit(m, a, served, latency); // hard: utility or 0; soft: scaled by lateness
        out.add(new ServingMetrics.Served((long) a.timeMs(), onTime, credit, peak, m));
        router.outcome(a, m, served, latency, onTime);
      });
    }
    sim.runToEnd();
    return out;
  }

  /** The simulator's queues as the RL router's pool view. */
  public PoolStateView poolView(ServingSimulator sim) {
    return model -> {
      Integer i = index.get(model);
      if (i == null) return PoolStateView.ModelLoad.IDLE;
      return new PoolStateView.ModelLoad(sim.inFlight(i), sim.queued(i), sim.replicas(i), sim.starting(i));
    };
  }

  /** A clock that reads the simulator's virtual time. */
  public static Clock clock(ServingSimulator sim) {
    return new MillisClock(() -> (long) sim.nowMs());
  }
}
