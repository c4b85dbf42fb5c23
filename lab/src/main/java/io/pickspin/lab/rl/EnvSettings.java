package io.pickspin.lab.rl;

import com.typesafe.config.Config;
import io.pickspin.model.Tier;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.RouterState;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The training environment ({@code pickspin.routing.rl.training.env}): the deployment, the workload and the reward.
 *
 * @param fleet the DES fleet the policy is trained on (io.pickspin.lab.des.ModelFleet#named)
 * @param answerSeed seed of the DES's answer model (per-prompt correctness)
 * @param replicas replicas per model tier in the mixed deployment the policy is trained for
 * @param deadlineSlack a request's deadline is one of these (uniformly) times the large model's idle latency for it
 * @param defaultDeadlineMs written into the policy file: the deadline assumed for requests without one
 * @param reward hard or soft deadline reward
 * @param regretWeight reward shaping, see {@link RoutingEnv#reward}
 * @param gpuWeight reward per GPU-second a request costs its model, subtracted (see {@link RoutingEnv#reward}); 0 = none
 * @param maxInputTokens / maxOutputTokens token lengths (from the Azure LLM conversation trace) are clipped to these
 * @param traceFile Azure Functions 2019 per-minute invocation counts, relative to the shared directory
 * @param stableShape / burstyShape which trace rows shape the arrival rate: "all" (the sum) or "rank:N" (the N-th
 *     busiest function)
 * @param traceMinuteMs virtual milliseconds one trace minute lasts (the trace is compressed in time)
 * @param mixShiftMs how often the task mix changes in a shifting-mix workload
 * @param episodeMs virtual length of a training episode
 * @param rateMin / rateMax mean arrival rates of training episodes (log-uniform), per second
 * @param scales state normalisation written into the policy
 * @param rateTimeConstantMs memory of the arrival-rate estimate (as pickspin.routing.rl.rate-time-constant)
 * @param decisionsPerUpdate one gradient update every this many routing decisions
 * @param episodes training episodes
 * @param evalEvery greedy evaluation (and best-policy selection) every this many episodes
 * @param evalRates mean rates of the validation episodes (checkpoint and reward-weight selection)
 * @param validationShape trace rows of the validation episodes, a function the benchmark does not replay
 * @param validationSeed first workload seed of the validation episodes (the benchmark's seeds start elsewhere)
 * @param thinkingOutputFactor output tokens of a thinking-mode model = this x the request's answer tokens
 * @param availabilityRates mean rates of the benchmark's availability sweep
 * @param unpredictableRates mean rates of the benchmark's unpredictable workloads
 * @param scaler training and validation run with the product's scaler in the loop ({@link ScaledServers}), starting
 *     from the mixed deployment; false: the mixed deployment stays fixed
 */
public record EnvSettings(
    String fleet,
    long answerSeed,
    Map<Tier, Integer> replicas,
    List<Double> deadlineSlack,
    long defaultDeadlineMs,
    DqnPolicy.Reward reward,
    double regretWeight,
    double gpuWeight,
    int maxInputTokens,
    int maxOutputTokens,
    String traceFile,
    String stableShape,
    String burstyShape,
    double traceMinuteMs,
    double mixShiftMs,
    long episodeMs,
    double rateMin,
    double rateMax,
    RouterState.Scales scales,
    double rateTimeConstantMs,
    int decisionsPerUpdate,
    int episodes,
    int evalEvery,
    List<Double> evalRates,
    String validationShape,
    long validationSeed,
    double thinkingOutputFactor,
    List<Double> availabilityRates,
    List<Double> unpredictableRates,
    boolean scaler) {

  public EnvSettings {
    replicas = Map.copyOf(replicas);
    deadlineSlack = List.copyOf(deadlineSlack);
    evalRates = List.copyOf(evalRates);
    availabilityRates = List.copyOf(availabilityRates);
    unpredictableRates = List.copyOf(unpredictableRates);
    if (gpuWeight < 0) throw new IllegalArgumentException("gpu weight must be >= 0");
    if (thinkingOutputFactor < 1) throw new IllegalArgumentException("thinking output factor must be >= 1");
    if (deadlineSlack.isEmpty() || deadlineSlack.stream().anyMatch(d -> d <= 0)) throw new IllegalArgumentException("deadline slack must be > 0");
    if (!(rateMin > 0) || rateMax < rateMin) throw new IllegalArgumentException("need 0 < rate-min <= rate-max");
    if (decisionsPerUpdate < 1 || episodes < 1 || evalEvery < 1) throw new IllegalArgumentException("counts must be >= 1");
  }

  /** @param env the env block; its {@code fleet-overrides.<fleet>} block, if any, overrides it for that fleet */
  public static EnvSettings fromConfig(Config env) {
    String fleetOverrides = "fleet-overrides.\"" + env.getString("fleet") + "\"";
    if (env.hasPath(fleetOverrides)) env = env.getConfig(fleetOverrides).withFallback(env);
    Map<Tier, Integer> replicas = new EnumMap<>(Tier.class);
    for (Tier t : Tier.values()) replicas.put(t, env.getConfig("replicas").getInt(t.name().toLowerCase(java.util.Locale.ROOT)));
    Config s = env.getConfig("scales");
    return new EnvSettings(
        env.getString("fleet"),
        env.getLong("answer-seed"),
        replicas,
        env.getDoubleList("deadline-slack"),
        env.getLong("default-deadline-ms"),
        new DqnPolicy.Reward(env.getString("reward.mode"), env.getDouble("reward.late-penalty")),
        env.getDouble("reward.regret-weight"),
        env.getDouble("reward.gpu-weight"),
        env.getInt("max-input-tokens"),
        env.getInt("max-output-tokens"),
        env.getString("trace.file"),
        env.getString("trace.stable-shape"),
        env.getString("trace.bursty-shape"),
        env.getDuration("trace.minute").toMillis(),
        env.getDuration("mix-shift").toMillis(),
        env.getDuration("episode").toMillis(),
        env.getDouble("rate-min"),
        env.getDouble("rate-max"),
        new RouterState.Scales(s.getDouble("rate-per-second"), s.getDouble("deadline-ms"), s.getDouble("clip"),
            s.getDouble("replicas")),
        env.getDuration("rate-time-constant").toMillis(),
        env.getInt("decisions-per-update"),
        env.getInt("episodes"),
        env.getInt("eval-every"),
        env.getDoubleList("eval-rates"),
        env.getString("validation.shape"),
        env.getLong("validation.seed"),
        env.getDouble("thinking-output-factor"),
        env.getDoubleList("bench.availability-rates"),
        env.getDoubleList("bench.unpredictable-rates"),
        env.getBoolean("scaler"));
  }
}
