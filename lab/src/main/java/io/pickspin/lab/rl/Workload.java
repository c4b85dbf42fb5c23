package io.pickspin.lab.rl;

import io.pickspin.lab.des.Trace;
import io.pickspin.lab.train.LabelledPrompt;
import io.pickspin.model.Tier;
import io.pickspin.routing.classify.ComplexityClassifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.ToDoubleBiFunction;

/**
 * Trace-derived request streams for the RL environment:
 *
 * <ul>
 *   <li>arrival rate: per-minute invocation counts of the Azure Functions 2019 sample (../shared/data/
 *       azure_functions_2019_invitro_sample), normalised to mean 1 and scaled to a target mean rate, one trace minute
 *       compressed to {@code minuteMs} of virtual time, Poisson arrivals within each minute (papers.md 2.5);
 *   <li>prompts: real benchmark prompts ({@link io.pickspin.lab.train.PromptCorpus}), drawn by their labelled
 *       tier from a task mix that is fixed ("stable") or redrawn from a flat Dirichlet every {@code mixShiftMs}
 *       ("shifting"); the router sees the tier its classifier assigns; each prompt carries every model's task utility
 *       on it (in the DES set-up: the answer model's probability of a correct answer);
 *   <li>token lengths: (ContextTokens, GeneratedTokens) pairs of the Azure LLM inference 2023 conversation trace, read
 *       by the DES's {@link Trace#azureLlm}, clipped;
 *   <li>deadlines: a slack factor drawn uniformly from a list, times the time the large model takes for the request
 *       when idle (the DES's rule, {@code SimRequest}): a latency budget that grows with the request, as LLM SLOs are
 *       usually stated, that the large model meets unless it queues.
 * </ul>
 */
public final class Workload {
  /**
   * A prompt with its labelled ("true") tier, the tier the router's classifier gives it, and the task utility of each
   * environment model on it (environment model order).
   */
  public record Prompt(String text, Tier trueTier, Tier routerTier, double[] utility) {}

  public record Arrival(long id, double timeMs, Prompt prompt, int inputTokens, int outputTokens, long deadlineMs) {}

  /**
   * One workload.
   *
   * @param meanRatePerSecond the mean arrival rate over the trace
   * @param shape per-minute multipliers with mean 1
   * @param mix the fixed tier mix (LOW, MEDIUM, HIGH), or null for a shifting mix
   * @param referenceMs the large model's idle latency for (input, output) tokens: deadlines are slack times it
   */
  public record Spec(
      double meanRatePerSecond,
      double[] shape,
      double minuteMs,
      double[] mix,
      double mixShiftMs,
      List<Double> deadlineSlack,
      ToDoubleBiFunction<Integer, Integer> referenceMs,
      double durationMs) {}

  /** Prompts by labelled tier. */
  public static final class PromptPool {
    private final EnumMap<Tier, Prompt[]> byTier = new EnumMap<>(Tier.class);

    public PromptPool(Map<Tier, List<Prompt>> prompts) {
      for (Tier t : Tier.values()) {
        List<Prompt> l = prompts.getOrDefault(t, List.of());
        if (l.isEmpty()) throw new IllegalArgumentException("no prompts of tier " + t);
        byTier.put(t, l.toArray(Prompt[]::new));
      }
    }

    /** Classifies every labelled prompt once with the router's classifier and grades it with {@code utility}. */
    public static PromptPool classify(
        List<LabelledPrompt> labelled, ComplexityClassifier classifier, Function<LabelledPrompt, double[]> utility) {
      Map<Tier, List<Prompt>> m = new EnumMap<>(Tier.class);
      for (LabelledPrompt p : labelled) {
        m.computeIfAbsent(p.tier(), t -> new ArrayList<>())
            .add(new Prompt(p.text(), p.tier(), classifier.classify(p.text()).tier(), utility.apply(p)));
      }
      return new PromptPool(m);
    }

    /** Mean utility of each model over the prompts of labelled tier {@code t}. */
    public double[] meanUtility(Tier t) {
      Prompt[] a = byTier.get(t);
      double[] u = new double[a[0].utility().length];
      for (Prompt p : a) for (int i = 0; i < u.length; i++) u[i] += p.utility()[i] / a.length;
      return u;
    }

    Prompt draw(Tier t, Random rng) {
      Prompt[] a = byTier.get(t);
      return a[rng.nextInt(a.length)];
    }

    public int size(Tier t) {
      return byTier.get(t).length;
    }

    /** Share of the prompts of labelled tier {@code t} that the classifier puts in each tier. */
    public double[] confusion(Tier t) {
      double[] c = new double[3];
      for (Prompt p : byTier.get(t)) c[p.routerTier().ordinal()]++;
      for (int i = 0; i < 3; i++) c[i] /= byTier.get(t).length;
      return c;
    }
  }

  private Workload() {}

  /**
   * Per-minute multipliers (mean 1 over the day) from an Azure Functions invocation file: {@code "all"} sums every
   * function, {@code "rank:N"} takes the N-th busiest (1 = busiest).
   */
  public static double[] traceShape(Path invocationsCsv, String select) throws IOException {
    long[] counts = Trace.invocationsPerMinute(invocationsCsv, select);
    double mean = Arrays.stream(counts).average().orElse(0);
    if (mean <= 0) throw new IOException("trace rows have no invocations");
    return Arrays.stream(counts).mapToDouble(c -> c / mean).toArray();
  }

  /**
   * (input, output) token lengths of the Azure LLM inference 2023 trace, read by the DES's {@link Trace#azureLlm},
   * clipped to [1, maxInput] and [1, maxOutput].
   */
  public static int[][] tokenLengths(Path azureLlmCsv, int maxInput, int maxOutput) throws IOException {
    List<Trace.Request> r = Trace.azureLlm(azureLlmCsv, "lengths", 1).requests();
    int[][] out = new int[r.size()][];
    for (int i = 0; i < out.length; i++)
      out[i] = new int[] {clamp(r.get(i).inputTokens(), maxInput), clamp(r.get(i).outputTokens(), maxOutput)};
    return out;
  }

  private static int clamp(int v, int max) {
    return Math.max(1, Math.min(max, v));
  }

  /** The arrivals of one workload, in time order, starting at a random minute of the trace. */
  public static List<Arrival> generate(Spec spec, PromptPool prompts, int[][] lengths, Random rng) {
    int minutes = (int) Math.ceil(spec.durationMs() / spec.minuteMs());
    int offset = rng.nextInt(Math.max(1, spec.shape().length - minutes));
    double[] mix = spec.mix() != null ? spec.mix() : dirichlet(rng);
    double nextShift = spec.mixShiftMs();
    List<Arrival> out = new ArrayList<>();
    long id = 0;
    for (int m = 0; m < minutes; m++) {
      double start = m * spec.minuteMs();
      double end = Math.min(spec.durationMs(), start + spec.minuteMs());
      double ratePerMs = spec.meanRatePerSecond() * spec.shape()[(offset + m) % spec.shape().length] / 1000.0;
      if (ratePerMs <= 0) continue;
      double t = start;
      while (true) {
        t += -Math.log(1 - rng.nextDouble()) / ratePerMs;
        if (t >= end) break;
        while (spec.mix() == null && t >= nextShift) {
          mix = dirichlet(rng);
          nextShift += spec.mixShiftMs();
        }
        Tier tier = Tier.values()[pick(mix, rng)];
        int[] len = lengths[rng.nextInt(lengths.length)];
        double slack = spec.deadlineSlack().get(rng.nextInt(spec.deadlineSlack().size()));
        long deadline = Math.round(slack * spec.referenceMs().applyAsDouble(len[0], len[1]));
        out.add(new Arrival(id++, t, prompts.draw(tier, rng), len[0], len[1], deadline));
      }
    }
    return out;
  }

  private static double[] dirichlet(Random rng) {
    double[] d = new double[3];
    double s = 0;
    for (int i = 0; i < 3; i++) s += d[i] = -Math.log(1 - rng.nextDouble());
    for (int i = 0; i < 3; i++) d[i] /= s;
    return d;
  }

  private static int pick(double[] p, Random rng) {
    double u = rng.nextDouble();
    for (int i = 0; i < p.length - 1; i++) if ((u -= p[i]) < 0) return i;
    return p.length - 1;
  }
}
