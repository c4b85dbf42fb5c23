package io.pickspin.lab.des;

import io.pickspin.model.LatencyProfile;
import java.util.Map;

/**
 * How long one serving step of a replica takes, as a roofline over the replica's GPUs with constants fitted to
 * measurements ({@link LatencyCalibration}): every transformer block streams its weights from memory once per step
 * and multiplies them with every token in the step, whichever takes longer, plus a fixed per-block cost (kernel
 * launches); decoding sequences also read their KV cache, prefill chunks pay attention FLOPs, and each step has a fixed
 * scheduling overhead. Time to first token adds a per-request overhead (tokenisation, HTTP, queue hand-off).
 *
 * <p>Tensor parallelism divides weights, KV reads and FLOPs over the GPUs of a replica; its all-reduce cost is part of
 * the fitted step overhead. Immutable and thread-safe.
 */
public final class LatencyModel {

  /**
   * Fitted constants of one GPU type.
   *
   * @param layerOverheadMs fixed cost per transformer block and step
   * @param bytesPerMs effective memory bandwidth
   * @param flopsPerMs effective 16-bit matrix throughput
   */
  public record GpuFit(String gpu, double memoryGb, double layerOverheadMs, double bytesPerMs, double flopsPerMs) {}

  /** A replica: a model on {@code tensorParallel} GPUs of one type. */
  public record Deployment(ModelArchitecture arch, String gpu, int tensorParallel) {
    public Deployment {
      if (tensorParallel < 1) throw new IllegalArgumentException("tensor parallel degree must be >= 1");
    }
  }

  /**
   * Constants shared by all GPUs.
   *
   * @param stepOverheadMs fixed cost of every engine step (scheduling, sampling, TP all-reduce latency)
   * @param requestOverheadMs fixed cost added to every request's time to first token
   * @param coldStartInitMs a new replica's start-up time without weights (container, engine, health checks)
   * @param coldStartMsPerGb weight loading time per GB (shared model storage)
   * @param chunkTokens tokens one step processes at most (chunked prefill budget, vLLM's max_num_batched_tokens)
   * @param kvMemoryFraction share of GPU memory the engine may use (vLLM's gpu_memory_utilization); what the weights
   *     leave of it holds the KV cache
   * @param nominalContext the context length a replica's concurrency limit is sized for
   * @param maxSeqs most sequences one replica runs at once (vLLM's max_num_seqs, capped for the pool's slots)
   */
  public record Settings(
      double stepOverheadMs,
      double requestOverheadMs,
      double coldStartInitMs,
      double coldStartMsPerGb,
      int chunkTokens,
      double kvMemoryFraction,
      int nominalContext,
      int maxSeqs) {}

  private final Map<String, GpuFit> gpus;
  private final Settings settings;

  public LatencyModel(Map<String, GpuFit> gpus, Settings settings) {
    this.gpus = Map.copyOf(gpus);
    this.settings = settings;
  }

  public Settings settings() {
    return settings;
  }

  /** The same fit with replica concurrency sized for another context length (an operator sizes max-batch per workload). */
  public LatencyModel withNominalContext(int tokens) {
    return with(Math.max(1, tokens), settings.maxSeqs());
  }

  /** The same fit with another cap on sequences per replica (vLLM's max_num_seqs). */
  public LatencyModel withMaxSeqs(int maxSeqs) {
    return with(settings.nominalContext(), Math.max(1, maxSeqs));
  }

  private LatencyModel with(int nominalContext, int maxSeqs) {
    Settings s = settings;
    return new LatencyModel(gpus, new Settings(s.stepOverheadMs(), s.requestOverheadMs(), s.coldStartInitMs(),
        s.coldStartMsPerGb(), s.chunkTokens(), s.kvMemoryFraction(), nominalContext, maxSeqs));
  }

  public Map<String, GpuFit> gpus() {
    return gpus;
  }

  public GpuFit gpu(String name) {
    GpuFit g = gpus.get(name);
    if (g == null) throw new IllegalArgumentException("no latency fit for GPU " + name + ", have " + gpus.keySet());
    return g;
  }

  /** One transformer block on one GPU: fixed cost plus the slower of streaming the weights and the matmuls. */
  static double layerMs(GpuFit g, double paramsPerGpu, double tokens) {
    double memory = ModelArchitecture.BYTES_PER_VALUE * paramsPerGpu / g.bytesPerMs();
    double compute = 2.0 * paramsPerGpu * tokens / g.flopsPerMs();
    return g.layerOverheadMs() + Math.max(memory, compute);
  }

  /**
   * One engine step without the step overhead.
   *
   * @param tokens tokens in the step (one per decoding sequence plus the prefill chunk)
   * @param sampled sequences that produce a token this step (they go through the output head)
   * @param kvReadBytes KV cache the decoding sequences read
   * @param attentionFlops attention FLOPs of the prefill chunk
   */
  public double forwardMs(Deployment d, double tokens, double sampled, double kvReadBytes, double attentionFlops) {
    GpuFit g = gpu(d.gpu());
    int tp = d.tensorParallel();
    ModelArchitecture a = d.arch();
    double blocks = a.layers() * layerMs(g, a.layerParams() / tp, tokens);
    double headParams = a.headParams() / tp;
    double head =
        Math.max(ModelArchitecture.BYTES_PER_VALUE * headParams / g.bytesPerMs(), 2.0 * headParams * Math.max(1, sampled) / g.flopsPerMs());
    return blocks + head + kvReadBytes / tp / g.bytesPerMs() + attentionFlops / tp / g.flopsPerMs();
  }

  /** A full step with its overhead. */
  public double stepMs(Deployment d, double tokens, double sampled, double kvReadBytes, double attentionFlops) {
    return forwardMs(d, tokens, sampled, kvReadBytes, attentionFlops) + settings.stepOverheadMs();
  }

  /** One decode step of {@code batch} sequences of {@code contextTokens} each. */
  public double decodeStepMs(Deployment d, int batch, double contextTokens) {
    return stepMs(d, batch, batch, batch * d.arch().kvBytes(contextTokens), 0);
  }

  /**
   * Time to first token on an idle replica for {@code prompts} prompts of {@code inputTokens} each arriving together:
   * the request overhead plus the chunked prefill of all of them.
   */
  public double idleTtftMs(Deployment d, int prompts, int inputTokens) {
    double left = (double) prompts * inputTokens;
    double done = 0;
    double ms = settings.requestOverheadMs();
    while (left > 1e-9) {
      double chunk = Math.min(left, settings.chunkTokens());
      // the prompts share the chunk evenly: each contributes chunk / prompts tokens after done / prompts of its own
      double attention = prompts * d.arch().prefillAttentionFlops(chunk / prompts, done / prompts);
      ms += stepMs(d, chunk, left - chunk < 1e-9 ? prompts : 0, 0, attention);
      left -= chunk;
      done += chunk;
    }
    return ms;
  }

  /** End-to-end latency of one request alone on an idle replica. */
  public double idleServiceMs(Deployment d, int inputTokens, int outputTokens) {
    return idleTtftMs(d, 1, inputTokens)
        + Math.max(0, outputTokens - 1) * decodeStepMs(d, 1, inputTokens + outputTokens / 2.0);
  }

  /** How long a new replica takes to become ready: start-up plus loading its weights. */
  public double coldStartMs(Deployment d) {
    return settings.coldStartInitMs() + settings.coldStartMsPerGb() * d.arch().weightBytes() / 1e9;
  }

  /** KV-cache bytes a replica has: its share of GPU memory minus the weights. */
  public double kvCapacityBytes(Deployment d) {
    double memory = d.tensorParallel() * gpu(d.gpu()).memoryGb() * 1e9 * settings.kvMemoryFraction();
    double kv = memory - d.arch().weightBytes();
    if (kv <= 0) throw new IllegalArgumentException(d.arch().name() + " does not fit on " + d.tensorParallel() + " x " + d.gpu());
    return kv;
  }

  /** Sequences of the nominal context that fit in the KV cache, capped at maxSeqs: the replica's concurrency. */
  public int maxBatch(Deployment d) {
    int fit = (int) Math.floor(kvCapacityBytes(d) / d.arch().kvBytes(settings.nominalContext()));
    return Math.max(1, Math.min(settings.maxSeqs(), fit));
  }

  /**
   * The catalogue's latency profile of a deployment: idle TTFT of a {@code nominalInput}-token prompt, time per output
   * token of a lone sequence, concurrency, cold start, and the batch curve an operator measures with a serving
   * benchmark at full concurrency: time per output token of max-batch sequences of the nominal context.
   */
  public LatencyProfile profile(Deployment d, int nominalInput, int nominalOutput) {
    int batch = maxBatch(d);
    return new LatencyProfile(
        idleTtftMs(d, 1, nominalInput),
        decodeStepMs(d, 1, nominalInput + nominalOutput / 2.0),
        batch,
        coldStartMs(d),
        decodeStepMs(d, batch, settings.nominalContext()));
  }
}
