package io.pickspin.routing.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * The Q-network as a DJL block (Linear, ReLU, ..., Linear) and the copies between DJL parameters and the plain-Java
 * {@link QNetwork}. Used by the trainer (online and target networks) and by the inference benchmark that compares DJL
 * with plain Java on the request path.
 */
public final class DjlQNetwork {
  private DjlQNetwork() {}

  /** A fresh, uninitialised block: {@code hidden.size()} ReLU layers, then a linear output of {@code actions}. */
  public static SequentialBlock block(List<Integer> hidden, int actions) {
    SequentialBlock b = new SequentialBlock();
    for (int h : hidden) b.add(Linear.builder().setUnits(h).build()).add(Activation.reluBlock());
    b.add(Linear.builder().setUnits(actions).build());
    return b;
  }

  /** The block's linear layers' (weight, bias) parameters in forward order. */
  static List<Parameter[]> denseParameters(Block block) {
    List<Parameter[]> dense = new ArrayList<>();
    for (Pair<String, Block> child : block.getChildren()) {
      if (!(child.getValue() instanceof Linear lin)) continue;
      Parameter w = null, b = null;
      for (Pair<String, Parameter> p : lin.getParameters()) {
        if ("weight".equals(p.getKey())) w = p.getValue();
        else if ("bias".equals(p.getKey())) b = p.getValue();
      }
      if (w == null || b == null) throw new IllegalStateException("linear layer without weight or bias");
      dense.add(new Parameter[] {w, b});
    }
    return dense;
  }

  /** Reads an initialised block's weights into a plain-Java network. */
  public static QNetwork export(Block block) {
    List<QNetwork.Dense> layers = new ArrayList<>();
    for (Parameter[] wb : denseParameters(block)) {
      NDArray w = wb[0].getArray();
      Shape s = w.getShape();
      layers.add(new QNetwork.Dense((int) s.get(1), (int) s.get(0), w.toFloatArray(), wb[1].getArray().toFloatArray()));
    }
    return new QNetwork(layers);
  }

  /** Overwrites an initialised block's weights with those of {@code net} (same architecture). */
  public static void load(Block block, QNetwork net) {
    List<Parameter[]> dense = denseParameters(block);
    List<QNetwork.Dense> layers = net.layers();
    if (dense.size() != layers.size())
      throw new IllegalArgumentException("block has " + dense.size() + " layers, network " + layers.size());
    for (int i = 0; i < dense.size(); i++) {
      QNetwork.Dense d = layers.get(i);
      Shape s = dense.get(i)[0].getArray().getShape();
      if (s.get(0) != d.out() || s.get(1) != d.in())
        throw new IllegalArgumentException("layer " + i + " is " + s + " in the block but " + d.out() + "x" + d.in());
      dense.get(i)[0].getArray().set(d.weight());
      dense.get(i)[1].getArray().set(d.bias());
    }
  }

  /** Copies every parameter of {@code from} into {@code to} (same architecture): the target-network sync. */
  public static void copy(Block from, Block to) {
    List<Parameter[]> src = denseParameters(from);
    List<Parameter[]> dst = denseParameters(to);
    for (int i = 0; i < src.size(); i++) {
      for (int j = 0; j < 2; j++) dst.get(i)[j].getArray().set(src.get(i)[j].getArray().toByteBuffer());
    }
  }

  /** Initialises a block for states of {@code stateSize} features. */
  public static void initialize(Block block, NDManager manager, int stateSize) {
    block.initialize(manager, DataType.FLOAT32, new Shape(1, stateSize));
  }

  /** One forward pass without gradients: Q-values of {@code states} (n x stateSize, row-major), n x actions. */
  public static float[] forward(Block block, NDManager manager, float[] states, int n) {
    try (NDManager m = manager.newSubManager()) {
      NDArray x = m.create(states, new Shape(n, states.length / n));
      return block.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow().toFloatArray();
    }
  }
}
