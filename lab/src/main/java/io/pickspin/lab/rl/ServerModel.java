package io.pickspin.lab.rl;

/**
 * How the environment's models serve: builds a simulator of a deployment and states the service times the give-up
 * rule and the deadlines are measured by. Models are addressed by their index in the environment's model list.
 */
public interface ServerModel {
  /** A fresh simulator with {@code replicas[m]} replicas of model m, at virtual time 0. */
  ServingSimulator newSimulator(int[] replicas);

  /** End-to-end latency of a request alone on an idle replica of model m. */
  double idleServiceMs(int model, int inputTokens, int outputTokens);

  /** Its latency on a replica whose batch is full (every sequence slot decoding). */
  double fullBatchServiceMs(int model, int inputTokens, int outputTokens);

  /** Requests one replica of model m holds at once. */
  int maxBatch(int model);
}
