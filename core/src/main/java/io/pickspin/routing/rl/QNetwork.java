package io.pickspin.routing.rl;

import java.util.List;
import java.util.stream.IntStream;

/**
 * The router's Q-network evaluated in plain Java: dense layers with ReLU between them and a linear output (one Q-value
 * per action). The product routes with this rather than with DJL because the network is tiny (about 5k
 * multiply-adds): a JNI call into PyTorch costs far more than the arithmetic, and plain Java needs no native engine,
 * no NDManager scoping and no lock. {@code DjlQNetwork} runs the same weights in DJL; a test checks that both agree.
 *
 * <p>Immutable and thread-safe.
 */
public final class QNetwork {
  /**
   * One dense layer: {@code y = W x + b}.
   *
   * @param weight row-major {@code out x in} (DJL's Linear layout)
   */
  public record Dense(int in, int out, float[] weight, float[] bias) {
    public Dense {
      if (in < 1 || out < 1) throw new IllegalArgumentException("layer sizes must be >= 1");
      if (weight == null || weight.length != in * out)
        throw new IllegalArgumentException("layer weight must have " + in * out + " values");
      if (bias == null || bias.length != out) throw new IllegalArgumentException("layer bias must have " + out + " values");
      // a NaN weight makes every Q-value NaN, and argMax then picks the first action for every request, silently
      requireFinite("weight", weight);
      requireFinite("bias", bias);
    }

    private static void requireFinite(String what, float[] values) {
      for (int i = 0; i < values.length; i++) {
        if (!Float.isFinite(values[i]))
          throw new IllegalArgumentException("layer " + what + " [" + i + "] is " + values[i] + " (did training diverge?)");
      }
    }
  }

  private final Dense[] layers;

  public QNetwork(List<Dense> layers) {
    if (layers.isEmpty()) throw new IllegalArgumentException("a Q-network needs at least one layer");
    for (int i = 1; i < layers.size(); i++) {
      if (layers.get(i).in() != layers.get(i - 1).out())
        throw new IllegalArgumentException("layer " + i + " expects " + layers.get(i).in() + " inputs but layer "
            + (i - 1) + " gives " + layers.get(i - 1).out());
    }
    this.layers = layers.toArray(Dense[]::new);
  }

  public List<Dense> layers() {
    return List.of(layers);
  }

  public int inputSize() {
    return layers[0].in();
  }

  public int outputSize() {
    return layers[layers.length - 1].out();
  }

  /** Q-values of one state. */
  public float[] forward(float[] x) {
    if (x.length != inputSize()) throw new IllegalArgumentException("state has " + x.length + " features, expected " + inputSize());
    float[] a = x;
    for (int l = 0; l < layers.length; l++) {
      Dense d = layers[l];
      float[] y = new float[d.out()];
      float[] w = d.weight();
      for (int o = 0; o < d.out(); o++) {
        float s = d.bias()[o];
        int row = o * d.in();
        for (int i = 0; i < d.in(); i++) s += w[row + i] * a[i];
        y[o] = (l < layers.length - 1 && s < 0) ? 0f : s;
      }
      a = y;
    }
    return a;
  }

  /** The indices from the largest value to the smallest; ties go to the lower index first (the first is {@link #argMax}). */
  public static int[] ranking(float[] q) {
    return IntStream.range(0, q.length).boxed()
        .sorted((a, b) -> q[a] != q[b] ? Float.compare(q[b], q[a]) : Integer.compare(a, b))
        .mapToInt(Integer::intValue).toArray();
  }

  /** Index of the largest value; ties go to the lower index. */
  public static int argMax(float[] q) {
    int best = 0;
    for (int i = 1; i < q.length; i++) if (q[i] > q[best]) best = i;
    return best;
  }
}
