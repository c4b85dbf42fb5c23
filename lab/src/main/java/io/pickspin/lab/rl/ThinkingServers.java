package io.pickspin.lab.rl;

/**
 * Servers whose thinking-mode models generate {@code factor[m]} times a request's answer tokens: the reasoning they
 * emit before the answer costs decode steps and KV cache like any output. Everything else is the wrapped model's.
 */
public record ThinkingServers(ServerModel base, double[] factor) implements ServerModel {
  public ThinkingServers {
    factor = factor.clone();
  }

  int output(int model, int outputTokens) {
    return (int) Math.round(outputTokens * factor[model]);
  }

  @Override
  public ServingSimulator newSimulator(int[] replicas) {
    ServingSimulator sim = base.newSimulator(replicas);
    return new ServingSimulator() {
      @Override
      public double nowMs() {
        return sim.nowMs();
      }

      @Override
      public void runUntil(double tMs) {
        sim.runUntil(tMs);
      }

      @Override
      public void runToEnd() {
        sim.runToEnd();
      }

      @Override
      public void submit(int model, int inputTokens, int outputTokens, double giveUpAtMs, Completion done) {
        sim.submit(model, inputTokens, output(model, outputTokens), giveUpAtMs, done);
      }

      @Override
      public int inFlight(int model) {
        return sim.inFlight(model);
      }

      @Override
      public int queued(int model) {
        return sim.queued(model);
      }

      @Override
      public int replicas(int model) {
        return sim.replicas(model);
      }
    };
  }

  @Override
  public double idleServiceMs(int model, int inputTokens, int outputTokens) {
    return base.idleServiceMs(model, inputTokens, output(model, outputTokens));
  }

  @Override
  public double fullBatchServiceMs(int model, int inputTokens, int outputTokens) {
    return base.fullBatchServiceMs(model, inputTokens, output(model, outputTokens));
  }

  @Override
  public int maxBatch(int model) {
    return base.maxBatch(model);
  }
}
