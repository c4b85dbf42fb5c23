package io.pickspin.lab.rl;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.SequentialBlock;
import ai.djl.pytorch.jni.JniUtils;
import io.pickspin.lab.common.Percentiles;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.rl.DjlQNetwork;
import io.pickspin.routing.rl.DqnPolicy;
import io.pickspin.routing.rl.QNetwork;
import io.pickspin.routing.rl.RlRoutingPolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * Per-request cost of the RL router on the CPU: one greedy Q-network evaluation in plain Java (what the product uses),
 * the same network through DJL/PyTorch (1 intra-op thread), and the whole {@link RlRoutingPolicy#decide} path
 * (classification, pool reads, state encoding, forward pass, ordering).
 */
public final class InferenceLatency {
  private InferenceLatency() {}

  /** One measured path: per-call latency percentiles in microseconds. */
  public record Row(String path, int calls, double p50Us, double p99Us, double meanUs) {}

  public static List<Row> measure(DqnPolicy policy, List<Integer> hidden, RlRoutingPolicy router, List<RouteRequest> requests) {
    int stateSize = policy.network().inputSize();
    Random rng = new Random(1);
    float[][] states = new float[1024][stateSize];
    for (float[] s : states) for (int i = 0; i < stateSize; i++) s[i] = rng.nextFloat();
    List<Row> rows = new ArrayList<>();
    QNetwork net = policy.network();
    float[] sink = new float[1];
    rows.add(time("Q-network forward, plain Java", 200_000, 50_000, i -> sink[0] += net.forward(states[i & 1023])[0]));
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      JniUtils.setNumThreads(1);
      SequentialBlock block = DjlQNetwork.block(hidden, policy.actions().size());
      DjlQNetwork.initialize(block, m, stateSize);
      DjlQNetwork.load(block, net);
      rows.add(time("Q-network forward, DJL PyTorch (1 thread)", 20_000, 5_000,
          i -> sink[0] += DjlQNetwork.forward(block, m, states[i & 1023], 1)[0]));
    }
    if (router != null && !requests.isEmpty()) {
      rows.add(time("RlRoutingPolicy.decide (memoised class + pool reads + state + forward)", 100_000, 20_000,
          i -> sink[0] += router.decide(requests.get(i % requests.size())).model().length()));
    }
    if (sink[0] == 42.4242f) System.out.print(""); // keep the JIT from dropping the work
    return rows;
  }

  static Row time(String name, int calls, int warmup, IntConsumer call) {
    for (int i = 0; i < warmup; i++) call.accept(i);
    long[] ns = new long[calls];
    long total = 0;
    for (int i = 0; i < calls; i++) {
      long t0 = System.nanoTime();
      call.accept(i);
      ns[i] = System.nanoTime() - t0;
      total += ns[i];
    }
    Arrays.sort(ns);
    return new Row(name, calls, Percentiles.nearestRank(ns, 0.50) / 1e3, Percentiles.nearestRank(ns, 0.99) / 1e3,
        total / 1e3 / calls);
  }
}
