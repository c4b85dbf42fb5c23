package io.pickspin.lab.des;

import io.pickspin.lab.common.CsvTable;
import io.pickspin.lab.common.Percentiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Fits the {@link LatencyModel} to measurements in ../shared/data, in three steps:
 *
 * <ol>
 *   <li>per GPU (A100, H100, A40): the block roofline (fixed cost, bandwidth, FLOP rate) on every row of the vidur
 *       per-operator profiles ({@code vidur_profiling/compute__<gpu>__<model>__mlp.csv}: the linear layers of one block
 *       for 1-32k tokens and tensor parallel 1-8), minimising the mean squared log error;
 *   <li>the step and request overheads on the vLLM end-to-end measurements of {@code
 *       perf_reference/serving_perf_reference.csv} (LambdaLabs vllm-benchmark: mean TPOT and mean TTFT of Llama-3
 *       8B/70B on A100/H100 with TP 1/2/4), by least squares on relative error; the vLLM nightly latency tests and the
 *       vLLM blog's light-load TPOT are kept out of the fit as checks;
 *   <li>the cold start as start-up plus weight loading, a least-squares line through the nine measured cold starts of
 *       the CLOUD-2026 Pick and Spin repository (research/papers.md section 1.14: weights 2-54 GB, 32-95 s).
 * </ol>
 */
public final class LatencyCalibration {
  /** Defaults that are not fitted: vLLM's chunked-prefill budget and memory utilisation, a 4k-token nominal context. */
  public static final int CHUNK_TOKENS = 2048;
  public static final double KV_MEMORY_FRACTION = 0.90;
  public static final int NOMINAL_CONTEXT = 4096;
  public static final int MAX_SEQS = 128;

  /** Memory per GPU in GB of the GPUs the profiles cover (A100 and H100 80 GB SXM, A40 48 GB). */
  static final Map<String, Double> GPU_MEMORY_GB = Map.of("a100", 80.0, "h100", 80.0, "a40", 48.0);

  /**
   * CLOUD-2026 Pick and Spin measured cold starts (papers.md 1.14): weight GB and seconds for Llama-3.2-1B, Qwen2.5-1.5B,
   * Gemma-2-2B, Llama-3.2-3B, Qwen2.5-7B, Llama-3.1-8B, Gemma-2-9B, Qwen2.5-14B, Gemma-3-27B.
   */
  static final double[][] COLD_STARTS_GB_S = {
    {2, 32}, {3, 35}, {4, 38}, {6, 32}, {14, 48}, {16, 42}, {18, 48}, {28, 65}, {54, 95}
  };

  /** One measurement next to the model's prediction. */
  public record Check(String source, String config, String metric, double measured, double predicted, boolean fitted) {
    public double relativeError() {
      return predicted / measured - 1;
    }
  }

  /** Quality of the block fit on one GPU's profile rows. */
  public record ProfileFit(String gpu, int rows, double medianAbsRelError, double p90AbsRelError) {}

  /** The fitted model with everything it was checked against. */
  public record Result(LatencyModel model, List<ProfileFit> profiles, List<Check> checks, double coldStartR2) {}

  private LatencyCalibration() {}

  public static Result fit(Path shared) throws IOException {
    Path data = shared.resolve("data");
    Map<String, List<double[]>> rowsByGpu = loadProfiles(data.resolve("vidur_profiling"));
    Map<String, LatencyModel.GpuFit> gpus = new LinkedHashMap<>();
    List<ProfileFit> profiles = new ArrayList<>();
    for (Map.Entry<String, List<double[]>> e : rowsByGpu.entrySet()) {
      LatencyModel.GpuFit g = fitGpu(e.getKey(), e.getValue());
      gpus.put(e.getKey(), g);
      double[] err = e.getValue().stream()
          .mapToDouble(r -> Math.abs(LatencyModel.layerMs(g, r[0], r[1]) / r[2] - 1)).sorted().toArray();
      profiles.add(new ProfileFit(e.getKey(), err.length, Percentiles.nearestRank(err, 0.5), Percentiles.nearestRank(err, 0.9)));
    }
    double[] cold = line(COLD_STARTS_GB_S);
    double coldR2 = r2(COLD_STARTS_GB_S, cold);
    List<PerfPoint> points = loadPerfPoints(data.resolve("perf_reference/serving_perf_reference.csv"));
    // overheads start at zero: the predictions without them are the base the least-squares fit corrects
    LatencyModel base = new LatencyModel(gpus, settings(0, 0, cold));
    double[] overheads = fitOverheads(base, points);
    LatencyModel model = new LatencyModel(gpus, settings(overheads[0], overheads[1], cold));
    List<Check> checks = new ArrayList<>();
    for (PerfPoint p : points) {
      checks.add(new Check(p.source, p.config(), p.metric, p.measured, p.predict(model), p.fitted));
    }
    for (double[] c : COLD_STARTS_GB_S) {
      checks.add(new Check("CLOUD-2026 cold starts (papers.md 1.14)", String.format(Locale.ROOT, "%.0f GB of weights", c[0]),
          "cold_start_s", c[1], (model.settings().coldStartInitMs() + model.settings().coldStartMsPerGb() * c[0]) / 1000, true));
    }
    return new Result(model, profiles, checks, coldR2);
  }

  private static LatencyModel.Settings settings(double step, double request, double[] cold) {
    return new LatencyModel.Settings(step, request, cold[0] * 1000, cold[1] * 1000, CHUNK_TOKENS, KV_MEMORY_FRACTION,
        NOMINAL_CONTEXT, MAX_SEQS);
  }

  // ---- step 1: block roofline per GPU

  /** Rows {paramsPerGpu, tokens, ms} of every profile file, by GPU. */
  static Map<String, List<double[]>> loadProfiles(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().matches("compute__[a-z0-9]+__.*__mlp\\.csv")).sorted().toList();
    }
    if (files.isEmpty()) throw new IOException("no vidur profile files in " + dir);
    Map<String, List<double[]>> out = new LinkedHashMap<>();
    for (Path f : files) {
      String gpu = f.getFileName().toString().split("__")[1];
      CsvTable csv = CsvTable.read(f);
      List<Integer> medians = new ArrayList<>();
      for (String op : List.of("emb", "input_layernorm", "attn_pre_proj", "attn_rope", "attn_post_proj",
          "post_attention_layernorm", "mlp_up_proj", "mlp_act", "mlp_down_proj", "add")) {
        String col = "time_stats." + op + ".median";
        if (csv.hasColumn(col)) medians.add(csv.column(col));
      }
      int d = csv.column("n_embd"), ffn = csv.column("n_expanded_embd"), h = csv.column("n_head");
      int kv = csv.column("n_kv_head"), gated = csv.column("use_gated_mlp");
      int tokens = csv.column("num_tokens"), tp = csv.column("num_tensor_parallel_workers");
      for (List<String> r : csv.rows()) {
        double ms = 0;
        for (int c : medians) if (!r.get(c).isBlank()) ms += Double.parseDouble(r.get(c));
        int hidden = Integer.parseInt(r.get(d));
        int heads = Integer.parseInt(r.get(h));
        ModelArchitecture a = new ModelArchitecture("profile", 1, hidden, Integer.parseInt(r.get(ffn)), heads,
            Integer.parseInt(r.get(kv)), hidden / heads, 1, Boolean.parseBoolean(r.get(gated)), 0, 0, false);
        out.computeIfAbsent(gpu, k -> new ArrayList<>())
            .add(new double[] {a.layerParams() / Integer.parseInt(r.get(tp)), Double.parseDouble(r.get(tokens)), ms});
      }
    }
    return out;
  }

  static LatencyModel.GpuFit fitGpu(String gpu, List<double[]> rows) {
    Double mem = GPU_MEMORY_GB.get(gpu);
    if (mem == null) throw new IllegalArgumentException("unknown GPU memory for " + gpu);
    ToDoubleFunction<double[]> loss = x -> {
      LatencyModel.GpuFit g = new LatencyModel.GpuFit(gpu, mem, Math.exp(x[0]), Math.exp(x[1]), Math.exp(x[2]));
      double s = 0;
      for (double[] r : rows) {
        double e = Math.log(LatencyModel.layerMs(g, r[0], r[1]) / r[2]);
        s += e * e;
      }
      return s / rows.size();
    };
    // start: 0.05 ms per block, 2 TB/s, 300 TFLOPS (in bytes and FLOPs per ms)
    double[] x = nelderMead(loss, new double[] {Math.log(0.05), Math.log(2e9), Math.log(3e11)}, 0.5, 4000);
    return new LatencyModel.GpuFit(gpu, mem, Math.exp(x[0]), Math.exp(x[1]), Math.exp(x[2]));
  }

  /** Nelder-Mead simplex minimisation (standard coefficients), deterministic. */
  static double[] nelderMead(ToDoubleFunction<double[]> f, double[] start, double step, int iterations) {
    int n = start.length;
    double[][] p = new double[n + 1][];
    double[] v = new double[n + 1];
    for (int i = 0; i <= n; i++) {
      p[i] = start.clone();
      if (i > 0) p[i][i - 1] += step;
      v[i] = f.applyAsDouble(p[i]);
    }
    for (int it = 0; it < iterations; it++) {
      Integer[] order = new Integer[n + 1];
      for (int i = 0; i <= n; i++) order[i] = i;
      final double[] vv = v;
      Arrays.sort(order, (a, b) -> Double.compare(vv[a], vv[b]));
      double[][] sp = new double[n + 1][];
      double[] sv = new double[n + 1];
      for (int i = 0; i <= n; i++) {
        sp[i] = p[order[i]];
        sv[i] = v[order[i]];
      }
      p = sp;
      v = sv;
      if (Math.abs(v[n] - v[0]) < 1e-14) break;
      double[] c = new double[n];
      for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) c[j] += p[i][j] / n;
      double[] r = combine(c, p[n], -1.0);
      double fr = f.applyAsDouble(r);
      if (fr < v[0]) {
        double[] e = combine(c, p[n], -2.0);
        double fe = f.applyAsDouble(e);
        if (fe < fr) {
          p[n] = e;
          v[n] = fe;
        } else {
          p[n] = r;
          v[n] = fr;
        }
      } else if (fr < v[n - 1]) {
        p[n] = r;
        v[n] = fr;
      } else {
        double[] k = fr < v[n] ? combine(c, p[n], -0.5) : combine(c, p[n], 0.5);
        double fk = f.applyAsDouble(k);
        if (fk < Math.min(fr, v[n])) {
          p[n] = k;
          v[n] = fk;
        } else {
          for (int i = 1; i <= n; i++) {
            p[i] = combine(p[0], p[i], 0.5);
            v[i] = f.applyAsDouble(p[i]);
          }
        }
      }
    }
    int best = 0;
    for (int i = 1; i <= n; i++) if (v[i] < v[best]) best = i;
    return p[best];
  }

  /** c + t (x - c). */
  private static double[] combine(double[] c, double[] x, double t) {
    double[] out = new double[c.length];
    for (int i = 0; i < c.length; i++) out[i] = c[i] + t * (x[i] - c[i]);
    return out;
  }

  // ---- step 2: end-to-end vLLM measurements

  /** A measured serving number and how to predict it. */
  static final class PerfPoint {
    final String source, hardware, metric, workload;
    final int tp;
    final ModelArchitecture arch;
    final String gpu;
    final double measured;
    final boolean fitted;
    /** Burst workloads: prompts, mean input and output tokens; latency test: batch, input, output. */
    final int prompts;
    final double input, output;

    PerfPoint(String source, String hardware, String gpu, int tp, ModelArchitecture arch, String workload, String metric,
        double measured, boolean fitted, int prompts, double input, double output) {
      this.source = source;
      this.hardware = hardware;
      this.gpu = gpu;
      this.tp = tp;
      this.arch = arch;
      this.workload = workload;
      this.metric = metric;
      this.measured = measured;
      this.fitted = fitted;
      this.prompts = prompts;
      this.input = input;
      this.output = output;
    }

    String config() {
      return String.format(Locale.ROOT, "%s TP%d %s, %d x (%.0f in, %.0f out)", arch.name(), tp, hardware, prompts, input, output);
    }

    LatencyModel.Deployment deployment() {
      return new LatencyModel.Deployment(arch, gpu, tp);
    }

    /** Prediction split as base + stepCoeff x stepOverhead + requestCoeff x requestOverhead. */
    double[] terms(LatencyModel m) {
      LatencyModel.Deployment d = deployment();
      double ctx = input + output / 2;
      double decodeForward = m.forwardMs(d, prompts, prompts, prompts * arch.kvBytes(ctx), 0);
      switch (metric) {
        case "mean_tpot", "time_per_output_token":
          return new double[] {decodeForward, 1, 0};
        case "mean_ttft": {
          double prefill = m.idleTtftMs(d, prompts, (int) Math.round(input)) - m.settings().requestOverheadMs();
          int steps = (int) Math.ceil(prompts * input / m.settings().chunkTokens() - 1e-9);
          return new double[] {prefill - steps * m.settings().stepOverheadMs(), steps, 1};
        }
        case "mean_e2e_latency": {
          double prefill = m.idleTtftMs(d, prompts, (int) Math.round(input)) - m.settings().requestOverheadMs();
          int steps = (int) Math.ceil(prompts * input / m.settings().chunkTokens() - 1e-9);
          double base = prefill - steps * m.settings().stepOverheadMs() + (output - 1) * decodeForward;
          return new double[] {base, steps + output - 1, 1};
        }
        default:
          throw new IllegalStateException(metric);
      }
    }

    double predict(LatencyModel m) {
      double[] t = terms(m);
      return t[0] + t[1] * m.settings().stepOverheadMs() + t[2] * m.settings().requestOverheadMs();
    }
  }

  private static final Pattern PROMPTS = Pattern.compile("(\\d+) prompts");
  private static final Pattern TOTAL_INPUT = Pattern.compile("total_input_tokens=(\\d+)");
  private static final Pattern LATENCY_TEST = Pattern.compile("input (\\d+), output (\\d+), batch (\\d+)");

  static List<PerfPoint> loadPerfPoints(Path file) throws IOException {
    CsvTable csv = CsvTable.read(file);
    int src = csv.column("source_id"), hw = csv.column("hardware"), tpc = csv.column("tp"), model = csv.column("model");
    int wl = csv.column("workload"), metric = csv.column("metric"), value = csv.column("value"), engine = csv.column("engine");
    // mean output length of each LambdaLabs burst run: output tok/s divided by requests/s of the same run
    Map<String, Double> outTps = new LinkedHashMap<>(), reqTps = new LinkedHashMap<>();
    for (List<String> r : csv.rows()) {
      String key = r.get(src) + "|" + r.get(hw) + "|" + r.get(tpc) + "|" + r.get(model);
      if (r.get(metric).equals("output_throughput")) outTps.put(key, Double.parseDouble(r.get(value)));
      if (r.get(metric).equals("request_throughput")) reqTps.put(key, Double.parseDouble(r.get(value)));
    }
    List<PerfPoint> out = new ArrayList<>();
    for (List<String> r : csv.rows()) {
      if (!r.get(engine).startsWith("vLLM")) continue;
      String gpu = gpuOf(r.get(hw));
      ModelArchitecture arch = archOf(r.get(model));
      if (gpu == null || arch == null) continue;
      int tp = Integer.parseInt(r.get(tpc));
      String m = r.get(metric);
      String w = r.get(wl);
      double v = Double.parseDouble(r.get(value));
      String key = r.get(src) + "|" + r.get(hw) + "|" + r.get(tpc) + "|" + r.get(model);
      Matcher total = TOTAL_INPUT.matcher(w), prompts = PROMPTS.matcher(w), lat = LATENCY_TEST.matcher(w);
      if ((m.equals("mean_tpot") || m.equals("mean_ttft")) && total.find() && prompts.find() && outTps.containsKey(key)) {
        int n = Integer.parseInt(prompts.group(1));
        double in = Double.parseDouble(total.group(1)) / n;
        double outTokens = outTps.get(key) / reqTps.get(key);
        out.add(new PerfPoint(r.get(src), r.get(hw), gpu, tp, arch, w, m, v, true, n, in, outTokens));
      } else if (m.equals("mean_e2e_latency") && lat.find()) {
        out.add(new PerfPoint(r.get(src), r.get(hw), gpu, tp, arch, w, m, v, false, Integer.parseInt(lat.group(3)),
            Double.parseDouble(lat.group(1)), Double.parseDouble(lat.group(2))));
      } else if (m.equals("time_per_output_token") && w.contains("light load")) {
        // "Llama3 8B can generate 1 token every 13 ms under light load": one sequence, ShareGPT-sized context
        out.add(new PerfPoint(r.get(src), r.get(hw), gpu, tp, arch, w, m, v, false, 1, 202, 179));
      }
    }
    if (out.stream().noneMatch(p -> p.fitted)) throw new IOException("no vLLM TTFT/TPOT measurements found in " + file);
    return out;
  }

  private static String gpuOf(String hardware) {
    String h = hardware.toUpperCase(Locale.ROOT);
    if (h.contains("H100")) return "h100";
    if (h.contains("A100")) return "a100";
    return null;
  }

  private static ModelArchitecture archOf(String model) {
    String m = model.toLowerCase(Locale.ROOT);
    if (!m.contains("llama-3") && !m.contains("llama 3")) return null;
    if (m.contains("70b")) return ModelArchitecture.LLAMA_3_70B;
    if (m.contains("8b")) return ModelArchitecture.LLAMA_3_8B;
    return null;
  }

  /** Least squares on relative error of the fit-set points: {stepOverheadMs, requestOverheadMs}, both >= 0. */
  static double[] fitOverheads(LatencyModel base, List<PerfPoint> points) {
    double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
    for (PerfPoint p : points) {
      if (!p.fitted) continue;
      double[] t = p.terms(base);
      double w = 1 / (p.measured * p.measured);
      double y = p.measured - t[0];
      a11 += w * t[1] * t[1];
      a12 += w * t[1] * t[2];
      a22 += w * t[2] * t[2];
      b1 += w * t[1] * y;
      b2 += w * t[2] * y;
    }
    double det = a11 * a22 - a12 * a12;
    double s = (b1 * a22 - b2 * a12) / det;
    double r = (a11 * b2 - a12 * b1) / det;
    if (s < 0) {
      s = 0;
      r = Math.max(0, b2 / a22);
    } else if (r < 0) {
      r = 0;
      s = Math.max(0, b1 / a11);
    }
    return new double[] {s, r};
  }

  // ---- step 3: cold start line

  /** {intercept, slope} of y on x by least squares. */
  static double[] line(double[][] xy) {
    double n = xy.length, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (double[] p : xy) {
      sx += p[0];
      sy += p[1];
      sxx += p[0] * p[0];
      sxy += p[0] * p[1];
    }
    double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    return new double[] {(sy - slope * sx) / n, slope};
  }

  static double r2(double[][] xy, double[] line) {
    double mean = Arrays.stream(xy).mapToDouble(p -> p[1]).average().orElse(0);
    double ssTot = 0, ssRes = 0;
    for (double[] p : xy) {
      double e = p[1] - (line[0] + line[1] * p[0]);
      ssRes += e * e;
      ssTot += (p[1] - mean) * (p[1] - mean);
    }
    return 1 - ssRes / ssTot;
  }
}
