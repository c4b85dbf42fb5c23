package io.pickspin.lab.rl;

import io.pickspin.routing.rl.DjlQNetwork;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.QNetwork;
import io.pickspin.routing.rl.RouterState;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.SequentialBlock;
import io.pickspin.model.Tier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DqnPolicyTest {
  static final List<DqnPolicy.Action> ACTIONS = List.of(
      new DqnPolicy.Action("small", Tier.LOW, 16), new DqnPolicy.Action("medium", Tier.MEDIUM, 8),
      new DqnPolicy.Action("large", Tier.HIGH, 8));
  static final RouterState.Scales SCALES = new RouterState.Scales(20, 2000, 4, 4);

  @Test
  void savedPolicyReloadsWithIdenticalQValues(@TempDir Path dir) throws IOException {
    int stateSize = RouterState.Layout.CURRENT.size(3);
    QNetwork net;
    try (DoubleDqnTrainer t = new DoubleDqnTrainer(stateSize, 3, TestNets.settings(0.9, 10, 5))) {
      net = t.exportOnline();
    }
    DqnPolicy p = new DqnPolicy(ACTIONS, SCALES, 1500, new DqnPolicy.Reward("hard", 0.5), net, Map.of("seed", 5));
    Path file = dir.resolve("policy.json");
    p.write(file);
    DqnPolicy back = DqnPolicy.read(file);
    assertEquals(p.actions(), back.actions());
    assertEquals(p.scales(), back.scales());
    assertEquals(RouterState.Layout.LOAD_AND_REPLICAS, back.layout());
    assertEquals(1500, back.defaultDeadlineMs());
    assertEquals(p.reward(), back.reward());
    assertEquals(5, ((Number) back.training().get("seed")).intValue());
    Random rng = new Random(1);
    for (int i = 0; i < 100; i++) {
      float[] s = randomState(rng, stateSize);
      assertArrayEquals(p.qValues(s), back.qValues(s), 0f);
    }
    assertTrue(Files.readString(file).contains("\"inflight[large]\""), "the file names its features");
  }

  @Test
  void plainJavaForwardMatchesDjl() {
    int stateSize = RouterState.Layout.CURRENT.size(3);
    try (DoubleDqnTrainer t = new DoubleDqnTrainer(stateSize, 3, TestNets.settings(0.9, 10, 8));
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      QNetwork net = t.exportOnline();
      SequentialBlock block = DjlQNetwork.block(List.of(16, 16), 3);
      DjlQNetwork.initialize(block, m, stateSize);
      DjlQNetwork.load(block, net);
      Random rng = new Random(2);
      for (int i = 0; i < 100; i++) {
        float[] s = randomState(rng, stateSize);
        assertArrayEquals(t.qValues(s), net.forward(s), 1e-5f);
        assertArrayEquals(DjlQNetwork.forward(block, m, s, 1), net.forward(s), 1e-5f);
      }
    }
  }

  @Test
  void brokenFilesAreReportedClearly(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("p.json");
    Files.writeString(f, "{\"format\": 7}");
    IOException e = assertThrows(IOException.class, () -> DqnPolicy.read(f));
    assertTrue(e.getMessage().contains("format 7"), e.getMessage());
    QNetwork wrongInputs = new QNetwork(List.of(TestNets.dense(2, 3, new float[6], new float[3])));
    assertThrows(IllegalArgumentException.class,
        () -> new DqnPolicy(ACTIONS, SCALES, 1000, new DqnPolicy.Reward("soft", 0), wrongInputs, Map.of()));
    assertThrows(IOException.class, () -> DqnPolicy.fromClasspath("pickspin/rl/no-such-policy.json"));
    // a diverged network would send every request to the first action
    float[] weight = new float[6];
    weight[4] = Float.NaN;
    IllegalArgumentException nan =
        assertThrows(IllegalArgumentException.class, () -> TestNets.dense(2, 3, weight, new float[3]));
    assertTrue(nan.getMessage().contains("weight [4] is NaN"), nan.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> TestNets.dense(2, 3, new float[6], new float[] {0, Float.POSITIVE_INFINITY, 0}));
  }

  @Test
  void hardAndSoftDeadlineRewards() {
    DqnPolicy.Reward hard = new DqnPolicy.Reward("hard", 0.5);
    DqnPolicy.Reward soft = new DqnPolicy.Reward("soft", 0.5);
    assertEquals(0.8, hard.of(0.8, 1000, 1000), 1e-12);
    assertEquals(-0.5, hard.of(0.8, 1001, 1000), 1e-12);
    assertEquals(0.8 * 0.75, soft.of(0.8, 1250, 1000), 1e-12);
    assertEquals(0, soft.of(0.8, 2500, 1000), 1e-12);
  }

  static float[] randomState(Random rng, int n) {
    float[] s = new float[n];
    for (int i = 0; i < n; i++) s[i] = rng.nextFloat() * 2;
    return s;
  }
}
