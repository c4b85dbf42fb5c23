package io.pickspin.lab.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Tier;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WorkloadTest {
  static final Path SHARED = Path.of(System.getProperty("pickspin.shared.dir", "../shared"));
  static final java.util.function.ToDoubleBiFunction<Integer, Integer> LARGE = (in, out) -> 150 + 0.1 * in + 25.0 * (out - 1);

  static Workload.PromptPool pool() {
    Map<Tier, List<Workload.Prompt>> m = new EnumMap<>(Tier.class);
    for (Tier t : Tier.values()) m.put(t, List.of(new Workload.Prompt("p-" + t, t, t, new double[] {0.5, 1})));
    return new Workload.PromptPool(m);
  }

  @Test
  void traceShapesHaveMeanOneOverTheDay() throws Exception {
    Path inv = SHARED.resolve("data/azure_functions_2019_invitro_sample/1000_inv.csv");
    double[] all = Workload.traceShape(inv, "all");
    double[] busiest = Workload.traceShape(inv, "rank:2");
    assertEquals(1440, all.length);
    assertEquals(1.0, Arrays.stream(all).average().orElseThrow(), 1e-9);
    assertEquals(1.0, Arrays.stream(busiest).average().orElseThrow(), 1e-9);
    // the single function is burstier than the sum of a thousand
    assertTrue(sd(busiest) > sd(all), sd(busiest) + " vs " + sd(all));
  }

  @Test
  void tokenLengthsComeFromTheLlmTraceClipped() throws Exception {
    int[][] t = Workload.tokenLengths(SHARED.resolve("data/azure_llm_inference_2023/AzureLLMInferenceTrace_conv.csv"), 2000, 300);
    assertEquals(19366, t.length);
    assertEquals(2000, Arrays.stream(t).mapToInt(l -> l[0]).max().orElseThrow());
    assertEquals(300, Arrays.stream(t).mapToInt(l -> l[1]).max().orElseThrow());
    assertTrue(Arrays.stream(t).allMatch(l -> l[0] >= 1 && l[1] >= 1));
  }

  @Test
  void poissonArrivalsAtTheScaledRateWithDeadlinesFromTheLargeModel() {
    double[] flat = new double[100];
    Arrays.fill(flat, 1.0);
    Workload.Spec spec = new Workload.Spec(20, flat, 10_000, new double[] {0, 0, 1}, 60_000, List.of(2.0), LARGE, 300_000);
    List<Workload.Arrival> a = Workload.generate(spec, pool(), new int[][] {{100, 11}, {700, 101}}, new Random(4));
    assertEquals(6000, a.size(), 4 * Math.sqrt(6000));
    for (int i = 1; i < a.size(); i++) assertTrue(a.get(i).timeMs() >= a.get(i - 1).timeMs());
    for (Workload.Arrival r : a) {
      assertEquals(Tier.HIGH, r.prompt().trueTier());
      assertEquals(Math.round(2.0 * LARGE.applyAsDouble(r.inputTokens(), r.outputTokens())), r.deadlineMs());
    }
  }

  @Test
  void theShapeScalesTheRatePerTraceMinute() {
    double[] shape = new double[100];
    for (int i = 0; i < 100; i++) shape[i] = i % 2 == 0 ? 0.2 : 1.8;
    Workload.Spec spec = new Workload.Spec(10, shape, 10_000, null, 5_000, List.of(1.0), LARGE, 200_000);
    List<Workload.Arrival> a = Workload.generate(spec, pool(), new int[][] {{10, 10}}, new Random(5));
    long[] perMinute = new long[20];
    for (Workload.Arrival r : a) perMinute[(int) (r.timeMs() / 10_000)]++;
    long quiet = 0, busy = 0;
    for (int m = 0; m < 20; m++) {
      // the start offset is random: a minute is quiet or busy, never in between
      if (perMinute[m] < 50) quiet += perMinute[m];
      else busy += perMinute[m];
    }
    assertEquals(9.0, (double) busy / quiet, 2.0); // 1.8 / 0.2
  }

  static double sd(double[] x) {
    double m = Arrays.stream(x).average().orElseThrow();
    return Math.sqrt(Arrays.stream(x).map(v -> (v - m) * (v - m)).average().orElseThrow());
  }
}
