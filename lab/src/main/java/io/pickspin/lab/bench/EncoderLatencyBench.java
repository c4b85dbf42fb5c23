package io.pickspin.lab.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.pickspin.lab.common.Percentiles;
import io.pickspin.routing.classify.SentenceEncoder.Pooling;
import io.pickspin.routing.classify.SentenceEncoder.Spec;
import io.pickspin.routing.classify.SentenceEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one encoder call costs ({@link SentenceEncoder#embed(String)}: tokenise, ONNX Runtime forward pass through DJL,
 * pool, normalise), one call at a time on the calling thread with 1 ONNX Runtime thread, per encoder and prompt length.
 * Prints a markdown table; writes nothing.
 *
 * <p>Prompt lengths are counted by each encoder's own tokenizer before truncation, {@code [CLS]} and {@code [SEP]}
 * included: 16, 128 and 512 tokens. The shipped window is {@value SentenceEncoder#DEFAULT_MAX_TOKENS} tokens, so a
 * 512-token prompt is cut to 128 before the forward pass (it still pays for tokenising all 512); one more row per
 * encoder runs the 512-token prompt with a 512-token window, to show what the cut saves, and one the 128-token prompt
 * with a 64-token window, to show what a narrower window would buy.
 *
 * <p>The cells are interleaved: each round runs every cell's share of the calls in turn, so that the machine's noise
 * (other work on its 2 cores, CPU steal) falls on every cell alike. Next to the wall-clock percentiles it gives the
 * calling thread's CPU time per call, which scheduler waits do not inflate.
 *
 * <p>Options: {@code --calls N} measured calls per cell (default 300), {@code --warmup N} per cell (default 50),
 * {@code --rounds N} (default 5), {@code --models a,b} (default all four: all-minilm-l6-v2-q, all-minilm-l6-v2,
 * bge-small-en-v1.5-q, e5-small-v2-q).
 */
public final class EncoderLatencyBench {
  private EncoderLatencyBench() {}

  /** The other small encoders on lab's classpath (langchain4j 0.36.2 artifacts; resource names from their jars). */
  static final Spec BGE_SMALL_Q =
      new Spec("bge-small-en-v1.5-q", "bge-small-en-v1.5-q.onnx", "bge-small-en-v1.5-q-tokenizer.json", Pooling.CLS);

  static final Spec E5_SMALL_Q =
      new Spec("e5-small-v2-q", "e5-small-v2-q.onnx", "e5-small-v2-q-tokenizer.json", Pooling.MEAN);

  static final List<Spec> SPECS = List.of(Spec.MINILM_L6_V2_Q, Spec.MINILM_L6_V2, BGE_SMALL_Q, E5_SMALL_Q);
  static final int[] LENGTHS = {16, 128, 512};
  static final int PROMPTS_PER_CELL = 16; // different prompts of the same length, cycled

  /** Everyday and technical sentences; prompts are cut from their concatenation at different offsets. */
  static final String TEXT =
      String.join(
          " ",
          "What is the capital city of Portugal, and how many people live there?",
          "Convert five kilometers to meters and explain the conversion.",
          "Write a Python function that merges two sorted lists into one sorted list without using sort().",
          "Our service returns HTTP 503 under load; the logs show connection pool exhaustion in the database driver.",
          "Summarise the following meeting notes for the team and list the decisions and the owners of each action.",
          "Design a distributed rate limiter for a global API with per-tenant quotas and explain the trade-offs.",
          "Prove that the square root of two is irrational, step by step, and say where the proof uses parity.",
          "Translate 'where is the train station' into French, German and Spanish.",
          "Implement a lock-free ring buffer in C++ and explain the memory ordering of each atomic operation.",
          "Plan a three-day trip to Kyoto in autumn on a modest budget, with temples, food and one day trip.",
          "Why does my React component render twice in development mode, and is that a problem in production?",
          "Explain the difference between a process and a thread to a new engineer, with an example from a web server.",
          "Given the table of monthly sales below, compute the growth rate and flag the months that look anomalous.",
          "Draft a polite email to a customer whose order was delayed by a week, offering a discount on the next one.",
          "What are the main causes of inflation, and how do central banks try to control it with interest rates?",
          "Refactor this Java class so that the parsing and the validation are separate and each can be tested.");

  record Cell(Spec spec, int window, int promptTokens, List<String> prompts, SentenceEncoder encoder) {}

  public static void main(String[] args) throws Exception {
    int calls = 300, warmup = 50, rounds = 5;
    List<Spec> specs = SPECS;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--calls" -> calls = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--models" -> {
          List<String> names = List.of(args[++i].split(","));
          specs = SPECS.stream().filter(sp -> names.contains(sp.name())).toList();
          if (specs.size() != names.size()) throw new IllegalArgumentException("--models takes names among " + SPECS.stream().map(Spec::name).toList());
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--calls, --warmup, --rounds, --models)");
      }
    }
    if (calls < rounds || rounds < 1 || warmup < 0) throw new IllegalArgumentException("need calls >= rounds >= 1, warmup >= 0");

    List<String> notes = new ArrayList<>();
    Map<Spec, Long> loadMs = new LinkedHashMap<>();
    List<SentenceEncoder> open = new ArrayList<>();
    List<Cell> cells = new ArrayList<>();
    try {
      for (Spec spec : specs) {
        SentenceEncoder shipped, wide, narrow;
        try {
          long t0 = System.nanoTime();
          shipped = SentenceEncoder.builder().spec(spec).build(); // the default window, 1 ORT thread
          loadMs.put(spec, (System.nanoTime() - t0) / 1_000_000);
          open.add(shipped);
          wide = SentenceEncoder.builder().spec(spec).maxTokens(512).build();
          open.add(wide);
          narrow = SentenceEncoder.builder().spec(spec).maxTokens(64).build();
          open.add(narrow);
        } catch (IOException | RuntimeException e) {
          notes.add("- " + spec.name() + ": skipped, it did not load: " + e);
          continue;
        }
        for (int length : LENGTHS) {
          List<String> prompts = prompts(spec, length);
          cells.add(new Cell(spec, shipped.maxTokens(), length, prompts, shipped));
          if (length > shipped.maxTokens()) cells.add(new Cell(spec, wide.maxTokens(), length, prompts, wide));
          if (length == shipped.maxTokens()) cells.add(new Cell(spec, narrow.maxTokens(), length, prompts, narrow));
        }
      }
      String loadBefore = loadAverage();
      long[] stealBefore = cpuTicks();
      long[][] wall = new long[cells.size()][calls];
      long[][] cpu = new long[cells.size()][calls];
      long[][] tokenize = new long[cells.size()][calls];
      for (Cell c : cells) {
        for (int i = 0; i < warmup; i++) c.encoder().embed(c.prompts().get(i % c.prompts().size()));
      }
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      float sink = 0;
      int perRound = calls / rounds;
      for (int r = 0; r < rounds; r++) {
        int from = r * perRound, to = r == rounds - 1 ? calls : from + perRound;
        for (int k = 0; k < cells.size(); k++) {
          Cell c = cells.get(k);
          for (int i = from; i < to; i++) {
            String prompt = c.prompts().get(i % c.prompts().size());
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            float[] v = c.encoder().embed(prompt);
            wall[k][i] = System.nanoTime() - t0;
            cpu[k][i] = threads.getCurrentThreadCpuTime() - c0;
            sink += v[0];
            long t1 = System.nanoTime();
            sink += c.encoder().tokens(prompt);
            tokenize[k][i] = System.nanoTime() - t1;
          }
        }
      }
      long[] stealAfter = cpuTicks();
      String loadAfter = loadAverage();

      StringBuilder out = new StringBuilder();
      out.append("## Encoder latency: one call at a time, 1 ONNX Runtime thread (intra-op 1, inter-op 1)\n\n");
      out.append(String.format(Locale.ROOT,
          "%d cores; %d measured calls per cell after %d warm-up calls, in %d interleaved rounds; %d different prompts per"
              + " cell; load average %s before, %s after; CPU steal %s over the run. Percentiles are nearest-rank"
              + " (io.pickspin.lab.common.Percentiles). wall = embed(prompt) (tokenise + forward + pool); cpu = the calling"
              + " thread's CPU time in that call; tokenise = the tokenizer alone, timed separately.%n%n",
          Runtime.getRuntime().availableProcessors(), calls, warmup, rounds, PROMPTS_PER_CELL, loadBefore, loadAfter,
          steal(stealBefore, stealAfter)));
      out.append("| encoder | window | prompt tokens | tokens seen | wall p50 ms | wall p99 ms | cpu p50 ms | cpu p99 ms |"
          + " tokenise p50 ms |\n");
      out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (int k = 0; k < cells.size(); k++) {
        Cell c = cells.get(k);
        out.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.2f | %.2f | %.2f | %.2f | %.3f |%n",
            c.spec().name(), c.window(), c.promptTokens(), c.encoder().tokens(c.prompts().get(0)),
            ms(wall[k], 0.50), ms(wall[k], 0.99), ms(cpu[k], 0.50), ms(cpu[k], 0.99), ms(tokenize[k], 0.50)));
      }
      out.append("\nLoad (graph copied from the jar, session built, one probe call): ");
      loadMs.forEach((s, v) -> out.append(s.name()).append(' ').append(v).append(" ms; "));
      out.append("\nGraph sizes: ");
      for (Spec s : loadMs.keySet()) out.append(s.name()).append(' ').append(resourceMb(s.onnxResource())).append("; ");
      out.append('\n');
      out.append(batchTable(open, loadMs.keySet()));
      if (!notes.isEmpty()) out.append("\nNotes:\n").append(String.join("\n", notes)).append('\n');
      System.out.print(out);
      if (sink == 42.4242f) System.out.print(""); // keep the JIT from dropping the work
    } finally {
      for (SentenceEncoder e : open) e.close();
    }
  }

  /**
   * For training, which embeds thousands of prompts once: 32 everyday prompts embedded one call each (what inference
   * does) against one padded call, per prompt; and how far the padded vectors are from the single-call ones.
   */
  static String batchTable(List<SentenceEncoder> open, Iterable<Spec> specs) {
    List<String> batch = new ArrayList<>();
    String[] sentences = TEXT.split("(?<=[?.!]) ");
    for (int i = 0; i < 32; i++) batch.add(sentences[i % sentences.length] + (i >= sentences.length ? " Thanks." : ""));
    StringBuilder b = new StringBuilder("\n### 32 everyday prompts (window 128): one call each vs one padded call\n\n");
    b.append("| encoder | one call each, ms/prompt | padded batch, ms/prompt | min cosine padded vs single |\n");
    b.append("|---|---:|---:|---:|\n");
    for (Spec s : specs) {
      SentenceEncoder e = open.stream().filter(x -> x.spec().equals(s) && x.maxTokens() == 128).findFirst().orElseThrow();
      for (int i = 0; i < 3; i++) {
        e.embed(batch);
        e.embedPadded(batch);
      }
      long single = Long.MAX_VALUE, padded = Long.MAX_VALUE;
      float[][] one = null, pad = null;
      for (int i = 0; i < 5; i++) { // best of 5: the machine is shared
        long t0 = System.nanoTime();
        one = e.embed(batch);
        long t1 = System.nanoTime();
        pad = e.embedPadded(batch);
        long t2 = System.nanoTime();
        single = Math.min(single, t1 - t0);
        padded = Math.min(padded, t2 - t1);
      }
      float min = 1;
      for (int i = 0; i < batch.size(); i++) min = Math.min(min, SentenceEncoder.cosine(one[i], pad[i]));
      b.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.4f |%n", s.name(), single / 1e6 / batch.size(),
          padded / 1e6 / batch.size(), min));
    }
    return b.toString();
  }

  /** {@link #PROMPTS_PER_CELL} prompts of exactly {@code tokens} tokens by the encoder's own tokenizer, untruncated. */
  static List<String> prompts(Spec spec, int tokens) throws IOException {
    try (InputStream in = EncoderLatencyBench.class.getClassLoader().getResourceAsStream(spec.tokenizerResource())) {
      if (in == null) throw new IOException("no " + spec.tokenizerResource() + " on the classpath");
      try (HuggingFaceTokenizer counter =
          HuggingFaceTokenizer.newInstance(in, Map.of("truncation", "false", "padding", "false",
              "addSpecialTokens", "true", "modelMaxLength", "100000", "maxLength", "100000"))) {
        String[] words = (TEXT + " " + TEXT + " " + TEXT + " " + TEXT).split(" ");
        List<String> out = new ArrayList<>();
        for (int p = 0; p < PROMPTS_PER_CELL; p++) {
          int start = (p * 37) % (words.length / 4);
          int lo = start + 1, hi = words.length;
          while (lo < hi) { // the fewest words from `start` with at least `tokens` tokens
            int mid = (lo + hi) >>> 1;
            if (count(counter, String.join(" ", Arrays.copyOfRange(words, start, mid))) >= tokens) hi = mid;
            else lo = mid + 1;
          }
          String prompt = String.join(" ", Arrays.copyOfRange(words, start, lo));
          // the last word may split into several pieces and overshoot: drop its characters until the count fits
          while (count(counter, prompt) > tokens && prompt.length() > 1) prompt = prompt.substring(0, prompt.length() - 1);
          if (count(counter, prompt) != tokens) throw new IllegalStateException("cannot build a " + tokens + "-token prompt");
          out.add(prompt);
        }
        return out;
      }
    }
  }

  private static int count(HuggingFaceTokenizer counter, String text) {
    return counter.encode(text).getIds().length;
  }

  private static double ms(long[] nanos, double q) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return Percentiles.nearestRank(sorted, q) / 1e6;
  }

  private static String resourceMb(String resource) {
    try (var in = EncoderLatencyBench.class.getClassLoader().getResourceAsStream(resource)) {
      return in == null ? "?" : String.format(Locale.ROOT, "%.1f MB", in.transferTo(java.io.OutputStream.nullOutputStream()) / 1e6);
    } catch (IOException e) {
      return "?";
    }
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " / " + f[1] + " / " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** The aggregate cpu line of /proc/stat: total ticks and steal ticks; null if unreadable. */
  private static long[] cpuTicks() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]);
      return new long[] {total, f.length > 8 ? Long.parseLong(f[8]) : 0};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String steal(long[] before, long[] after) {
    if (before == null || after == null || after[0] == before[0]) return "unknown";
    return String.format(Locale.ROOT, "%.1f%%", 100.0 * (after[1] - before[1]) / (after[0] - before[0]));
  }
}
