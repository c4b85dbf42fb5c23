package io.pickspin.lab.rl;

import io.pickspin.routing.rl.QNetwork;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DoubleDqnTrainerTest {

  /**
   * Online and target networks of 2 inputs -> ReLU(2) -> 2 actions, set by hand so that the online network's best
   * next action differs from the target network's: Double DQN must value the online argmax with the target network.
   */
  @Test
  void doubleDqnTargetsOfAHandMadeBatch() {
    QNetwork identity = new QNetwork(List.of(
        TestNets.dense(2, 2, new float[] {1, 0, 0, 1}, new float[] {0, 0}),
        TestNets.dense(2, 2, new float[] {1, 0, 0, 1}, new float[] {0, 0})));
    // target Q(s') = [2 h1 + 0.5, 3 h0] with h = relu(s')
    QNetwork swapped = new QNetwork(List.of(
        TestNets.dense(2, 2, new float[] {1, 0, 0, 1}, new float[] {0, 0}),
        TestNets.dense(2, 2, new float[] {0, 2, 3, 0}, new float[] {0.5f, 0})));
    DoubleDqnTrainer.Settings s = new DoubleDqnTrainer.Settings(
        List.of(2), 0.9, 0.001, 4, 16, 4, 100, 1.0, 0, 0, 0, 0, 1, 1);
    try (DoubleDqnTrainer t = new DoubleDqnTrainer(2, 2, s)) {
      t.load(identity, swapped);
      ReplayBuffer.Batch b = new ReplayBuffer.Batch(4, 2,
          new float[8], new int[4],
          new float[] {1f, -1f, 0.5f, 0.25f},
          new float[] {1, 0, /**/ 0, 2, /**/ 3, -1, /**/ -1, -1},
          new float[] {0, 0, 1, 0});
      // row 1: online [1,0] -> a*=0; target [0.5, 3] -> 0.5 (plain DQN would take 3); y = 1 + 0.9 * 0.5
      // row 2: online [0,2] -> a*=1; target [4.5, 0] -> 0;  y = -1
      // row 3: terminal: y = r = 0.5
      // row 4: h = 0: online [0,0] ties -> a*=0; target [0.5, 0] -> 0.5; y = 0.25 + 0.45
      assertArrayEquals(new float[] {1.45f, -1f, 0.5f, 0.7f}, t.doubleDqnTargets(b), 1e-6f);
    }
  }

  @Test
  void huberLossIsQuadraticThenLinearOnTheTakenAction() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      DoubleDqnTrainer.HuberOnChosenAction loss = new DoubleDqnTrainer.HuberOnChosenAction(1f);
      NDList labels = new NDList(m.create(new float[] {1f, 0f}),
          m.create(new float[] {0, 1, 1, 0}, new ai.djl.ndarray.types.Shape(2, 2)));
      NDList q = new NDList(m.create(new float[] {9, 1.5f, -3, 9}, new ai.djl.ndarray.types.Shape(2, 2)));
      // errors: 0.5 -> 0.125; 3 -> 1 * (3 - 0.5) = 2.5; mean 1.3125
      assertEquals(1.3125f, loss.evaluate(labels, q).getFloat(), 1e-6f);
    }
  }

  /** Contextual bandit: context 0 pays 1.0 / 0.2 for actions 0 / 1, context 1 pays 0.0 / 0.7, plus noise. */
  @Test
  void learnsTheBestArmOfAContextualBandit() {
    float[][] contexts = {{1, 0}, {0, 1}};
    double[][] pay = {{1.0, 0.2}, {0.0, 0.7}};
    Random env = new Random(3);
    try (DoubleDqnTrainer t = new DoubleDqnTrainer(2, 2, TestNets.settings(0.5, 1500, 11))) {
      for (int step = 0; step < 2500; step++) {
        int c = env.nextInt(2);
        int a = t.act(contexts[c]);
        double r = pay[c][a] + 0.1 * env.nextGaussian();
        t.remember(contexts[c], a, r, contexts[c], true);
        t.train();
      }
      for (int c = 0; c < 2; c++) {
        float[] q = t.qValues(contexts[c]);
        assertEquals(c, QNetwork.argMax(q), "best arm of context " + c);
        for (int a = 0; a < 2; a++) assertEquals(pay[c][a], q[a], 0.12, "Q(" + c + "," + a + ")");
      }
      assertTrue(t.updates() > 2000);
    }
  }

  /**
   * Two-step MDP where the greedy-now action is wrong: in A, action 0 ends with 0.5 and action 1 moves to B for 0; in
   * B, action 1 ends with 1.0 and action 0 with 0. With gamma 0.9, Q*(A,1) = 0.9 > Q*(A,0) = 0.5: only a learner that
   * bootstraps through the target network prefers action 1 in A.
   */
  @Test
  void learnsToDelayRewardThroughTheTargetNetwork() {
    float[] a = {1, 0};
    float[] b = {0, 1};
    float[] end = {0, 0};
    Random env = new Random(5);
    try (DoubleDqnTrainer t = new DoubleDqnTrainer(2, 2, TestNets.settings(0.9, 2000, 13))) {
      for (int episode = 0; episode < 1800; episode++) {
        boolean startInB = env.nextInt(4) == 0; // visit B directly too, so both states are well covered
        float[] s = startInB ? b : a;
        while (true) {
          int act = t.act(s);
          t.train();
          if (s == a) {
            if (act == 0) {
              t.remember(a, 0, 0.5, end, true);
              break;
            }
            t.remember(a, 1, 0.0, b, false);
            s = b;
          } else {
            t.remember(b, act, act == 1 ? 1.0 : 0.0, end, true);
            break;
          }
        }
      }
      float[] qa = t.qValues(a);
      float[] qb = t.qValues(b);
      assertEquals(1, QNetwork.argMax(qb));
      assertEquals(1, QNetwork.argMax(qa), "A must prefer the delayed reward: " + qa[0] + " vs " + qa[1]);
      assertEquals(0.9, qa[1], 0.1);
      assertEquals(0.5, qa[0], 0.1);
      assertEquals(1.0, qb[1], 0.1);
    }
  }

  @Test
  void sameSeedSameNetwork() {
    QNetwork first;
    QNetwork second;
    try (DoubleDqnTrainer t = new DoubleDqnTrainer(3, 2, TestNets.settings(0.9, 100, 99))) {
      first = t.exportOnline();
    }
    try (DoubleDqnTrainer t = new DoubleDqnTrainer(3, 2, TestNets.settings(0.9, 100, 99))) {
      second = t.exportOnline();
    }
    for (int l = 0; l < first.layers().size(); l++)
      assertArrayEquals(first.layers().get(l).weight(), second.layers().get(l).weight());
  }

  @Test
  void epsilonDecaysLinearlyToItsFloor() {
    try (DoubleDqnTrainer t = new DoubleDqnTrainer(2, 2, TestNets.settings(0.9, 100, 1))) {
      assertEquals(1.0, t.epsilon(), 1e-9);
      for (int i = 0; i < 50; i++) t.act(new float[] {0, 1});
      assertEquals(0.55, t.epsilon(), 1e-9);
      for (int i = 0; i < 100; i++) t.act(new float[] {0, 1});
      assertEquals(0.1, t.epsilon(), 1e-9);
    }
  }
}
