package io.pickspin.routing.classify;

/**
 * The {@link TierNet#BAG bag} architecture evaluated in plain Java on weights copied out of the trained DJL block:
 * mean of the ids' embedding rows, a ReLU hidden layer, three logits, softmax. Same arithmetic as {@link TierNet}'s
 * forward pass (dropout is off at inference), but with no native call and no NDArray per request: a request costs a few
 * microseconds and allocates one small array, where the DJL path cost about half a millisecond of CPU and native memory
 * that has to be released. Immutable and thread-safe.
 */
final class BagTierNet {
  private final float[] embedding; // rows x width, row-major
  private final int rows;
  private final int width;
  private final float[] hiddenWeight; // hidden x width (DJL Linear: y = x W^T + b)
  private final float[] hiddenBias;
  private final float[] outputWeight; // 3 x hidden
  private final float[] outputBias;

  BagTierNet(float[] embedding, int width, float[] hiddenWeight, float[] hiddenBias, float[] outputWeight,
      float[] outputBias) {
    if (width <= 0 || embedding.length % width != 0)
      throw new IllegalArgumentException("embedding of " + embedding.length + " values is not a multiple of width " + width);
    int hidden = hiddenBias.length;
    if (hiddenWeight.length != hidden * width)
      throw new IllegalArgumentException("hidden weight has " + hiddenWeight.length + " values, expected " + hidden * width);
    if (outputBias.length != 3 || outputWeight.length != 3 * hidden)
      throw new IllegalArgumentException("output layer must map " + hidden + " hidden units to 3 logits");
    this.embedding = embedding;
    this.rows = embedding.length / width;
    this.width = width;
    this.hiddenWeight = hiddenWeight;
    this.hiddenBias = hiddenBias;
    this.outputWeight = outputWeight;
    this.outputBias = outputBias;
  }

  /** P(LOW), P(MEDIUM), P(HIGH) for the first {@code count} ids of {@code ids} starting at {@code offset}. */
  float[] probabilities(long[] ids, int offset, int count) {
    float[] pooled = new float[width];
    for (int i = 0; i < count; i++) {
      long id = ids[offset + i];
      if (id < 0 || id >= rows) throw new IllegalArgumentException("id " + id + " outside the embedding of " + rows + " rows");
      int row = (int) id * width;
      for (int j = 0; j < width; j++) pooled[j] += embedding[row + j];
    }
    float scale = 1f / Math.max(count, 1);
    for (int j = 0; j < width; j++) pooled[j] *= scale;

    int hidden = hiddenBias.length;
    float[] logits = outputBias.clone();
    for (int h = 0; h < hidden; h++) {
      float a = hiddenBias[h];
      int w = h * width;
      for (int j = 0; j < width; j++) a += hiddenWeight[w + j] * pooled[j];
      if (a <= 0) continue; // ReLU
      for (int k = 0; k < 3; k++) logits[k] += outputWeight[k * hidden + h] * a;
    }
    return softmax(logits);
  }

  private static float[] softmax(float[] logits) {
    float max = Math.max(logits[0], Math.max(logits[1], logits[2]));
    double sum = 0;
    double[] e = new double[3];
    for (int k = 0; k < 3; k++) sum += e[k] = Math.exp(logits[k] - max);
    float[] p = new float[3];
    for (int k = 0; k < 3; k++) p[k] = (float) (e[k] / sum);
    return p;
  }
}
