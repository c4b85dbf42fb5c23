package io.pickspin.lab.rl;

import io.pickspin.routing.rl.QNetwork;
import java.util.List;

/** Hand-made networks and settings for the RL tests. */
final class TestNets {
  private TestNets() {}

  static QNetwork.Dense dense(int in, int out, float[] weight, float[] bias) {
    return new QNetwork.Dense(in, out, weight, bias);
  }

  /** A small, fast trainer configuration. */
  static DoubleDqnTrainer.Settings settings(double gamma, long decaySteps, long seed) {
    return new DoubleDqnTrainer.Settings(
        List.of(16, 16), gamma, 0.005, 32, 5000, 64, 50, 1.0, 1.0, 0.1, decaySteps, 10.0, seed, 1);
  }
}
