package io.pickspin.sim.rl;

import io.pickspin.time.MillisClock;

import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.routing.matrix.TierFit;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.PoolStateView;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The best-effort serving environment (papers.md 2.5): a deployment of the catalogue's models, requests routed one by
 * one at their arrival time, and the outcome of each (served on time, late, or given up in the queue) turned into a
 * reward and a {@link ServingMetrics.Served} record.
 *
 * <p>Task utility of model m on a prompt of labelled tier t: {@code quality(m) x tierFit(tier(m), t)}, the product's
 * own relevance (ServiceMatrix, pickspin.routing.matrix.tier-fit), because no per-task correctness model exists yet
 * (issue 5's simulator will have one). The "large model" is the catalogue's default model of the HIGH tier.
 *
 * <p>A waiting request leaves the queue once it could no longer be sure to finish in time on its model, i.e. once less
 * than the model's service time for it at a full batch is left of its budget (the deadline in hard mode, twice the
 * deadline in soft mode, where a late answer keeps some value until then): a best-effort server does not spend capacity
 * on answers that would come too late, so overload degrades availability instead of collapsing it. The same rule holds
 * for every router.
 */
public final class RoutingEnv {
  /** Chooses the model of each arrival (index into {@link #models()}) and hears how it went. */
  public interface Router {
    int route(Workload.Arrival a);

    default void outcome(Workload.Arrival a, int model, boolean served, double latencyMs, boolean onTime) {}
  }

  private final List<ModelSpec> models;
  private final Map<String, Integer> index = new HashMap<>();
  private final TierFit fit;
  private final DqnPolicy.Reward reward;
  private final double batchTpotSlope;
  private final int peakModel;

  public RoutingEnv(Catalog catalog, TierFit fit, DqnPolicy.Reward reward, double batchTpotSlope) {
    this.models = catalog.models();
    for (int i = 0; i < models.size(); i++) index.put(models.get(i).id(), i);
    this.fit = fit;
    this.reward = reward;
    this.batchTpotSlope = batchTpotSlope;
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
    return new StandInServers(models, replicas, batchTpotSlope);
  }

  public double utility(int model, Tier promptTier) {
    ModelSpec m = models.get(model);
    return m.quality() * fit.factor(m.tier(), promptTier);
  }

  /** The training reward of an outcome (a request that gave up counts as late). */
  public double reward(int model, Workload.Arrival a, boolean served, double latencyMs) {
    double u = utility(model, a.prompt().trueTier());
    double late = served ? latencyMs : Math.max(latencyMs, giveUpAfterMs(a)) + 1;
    return reward.of(u, late, a.deadlineMs());
  }

  /** Service time of a request on model m when its replica's batch is full. */
  public double fullBatchServiceMs(int m, int tokens) {
    LatencyProfile l = models.get(m).latency();
    return l.ttftMs() + l.tpotMs() * (1 + batchTpotSlope * (l.maxBatch() - 1)) * Math.max(0, tokens - 1);
  }

  double giveUpAfterMs(Workload.Arrival a) {
    return DqnPolicy.Reward.SOFT.equals(reward.mode()) ? 2.0 * a.deadlineMs() : a.deadlineMs();
  }

  /** Routes every arrival through {@code router} on {@code sim} and returns one record per request. */
  public List<ServingMetrics.Served> run(List<Workload.Arrival> arrivals, ServingSimulator sim, Router router) {
    List<ServingMetrics.Served> out = new ArrayList<>(arrivals.size());
    for (Workload.Arrival a : arrivals) {
      sim.runUntil(a.timeMs());
      int m = router.route(a);
      double peak = utility(peakModel, a.prompt().trueTier());
      double giveUpAt = a.timeMs() + giveUpAfterMs(a) - fullBatchServiceMs(m, a.outputTokens());
      sim.submit(m, a.outputTokens(), giveUpAt, (served, latency) -> {
        boolean onTime = served && latency <= a.deadlineMs();
        double credit = Math.max(0, reward(m, a, served, latency)); // hard: utility or 0; soft: scaled by lateness
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
      return new PoolStateView.ModelLoad(sim.inFlight(i), sim.queued(i), sim.replicas(i));
    };
  }

  /** A clock that reads the simulator's virtual time. */
  public static Clock clock(ServingSimulator sim) {
    return new MillisClock(() -> (long) sim.nowMs());
  }
}
