package io.pickspin.lab.des;

/**
 * The shape of a dense decoder-only transformer, as its config.json states it: what the latency model needs to turn a
 * batch into bytes moved and floating-point operations. Weights and KV cache are 16-bit.
 *
 * @param localLayers layers that attend over a sliding window only (Gemma 3: 5 of every 6); the others see the whole
 *     context
 * @param window the sliding window in tokens (ignored when localLayers is 0)
 * @param tiedEmbeddings the output head reuses the input embedding (one copy of the weights)
 */
public record ModelArchitecture(
    String name,
    int layers,
    int hidden,
    int ffn,
    int heads,
    int kvHeads,
    int headDim,
    int vocab,
    boolean gatedMlp,
    int localLayers,
    int window,
    boolean tiedEmbeddings) {

  public static final int BYTES_PER_VALUE = 2;

  public ModelArchitecture {
    if (layers < 1 || hidden < 1 || ffn < 1 || heads < 1 || kvHeads < 1 || headDim < 1 || vocab < 1)
      throw new IllegalArgumentException("architecture sizes must be positive: " + name);
    if (localLayers < 0 || localLayers > layers) throw new IllegalArgumentException("local layers out of range: " + name);
  }

  /** Weights of one transformer block: Q, K, V and output projections plus the MLP. */
  public double layerParams() {
    double q = (double) hidden * heads * headDim;
    double kv = 2.0 * hidden * kvHeads * headDim;
    double o = (double) heads * headDim * hidden;
    double mlp = (gatedMlp ? 3.0 : 2.0) * hidden * ffn;
    return q + kv + o + mlp;
  }

  /** Weights of the output head (vocabulary projection), used once per generated token. */
  public double headParams() {
    return (double) vocab * hidden;
  }

  /** All weights held in GPU memory. */
  public double totalParams() {
    return layers * layerParams() + headParams() * (tiedEmbeddings ? 1 : 2);
  }

  public double weightBytes() {
    return totalParams() * BYTES_PER_VALUE;
  }

  /** KV-cache bytes of one sequence of {@code contextTokens}, over all layers (local layers keep only the window). */
  public double kvBytes(double contextTokens) {
    double perLayerToken = 2.0 * kvHeads * headDim * BYTES_PER_VALUE;
    int global = layers - localLayers;
    double local = localLayers == 0 ? 0 : localLayers * Math.min(contextTokens, window);
    return perLayerToken * (global * contextTokens + local);
  }

  /**
   * Attention FLOPs of a prefill chunk of {@code tokens} new tokens that follow {@code offset} tokens already in the
   * cache: QK^T and AV over a causal span, summed over layers (local layers see at most the window).
   */
  public double prefillAttentionFlops(double tokens, double offset) {
    double span = offset + tokens / 2.0;
    int global = layers - localLayers;
    double perLayer = 4.0 * heads * headDim * tokens;
    return perLayer * (global * span + (localLayers == 0 ? 0 : localLayers * Math.min(span, window)));
  }

  // Published configurations (config.json on the models' Hugging Face pages).

  public static final ModelArchitecture LLAMA_3_8B =
      new ModelArchitecture("Llama-3/3.1-8B", 32, 4096, 14336, 32, 8, 128, 128256, true, 0, 0, false);
  public static final ModelArchitecture LLAMA_3_70B =
      new ModelArchitecture("Llama-3/3.1-70B", 80, 8192, 28672, 64, 8, 128, 128256, true, 0, 0, false);
  /** Gemma 3 27B: 62 layers, every sixth global, the rest with a 1024-token sliding window; tied embeddings. */
  public static final ModelArchitecture GEMMA_3_27B =
      new ModelArchitecture("Gemma-3-27B", 62, 5376, 21504, 32, 16, 128, 262208, true, 52, 1024, true);
  public static final ModelArchitecture QWEN_3_8B =
      new ModelArchitecture("Qwen3-8B", 36, 4096, 12288, 32, 8, 128, 151936, true, 0, 0, false);
  public static final ModelArchitecture QWEN_3_14B =
      new ModelArchitecture("Qwen3-14B", 40, 5120, 17408, 40, 8, 128, 151936, true, 0, 0, false);
  public static final ModelArchitecture QWEN_3_32B =
      new ModelArchitecture("Qwen3-32B", 64, 5120, 25600, 64, 8, 128, 151936, true, 0, 0, false);
}
