package io.pickspin.lab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.pickspin.model.Tier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The training command's sampling, weighting and choice rules, on tiny fixtures (no model is trained). */
class TrainEncoderClassifierTest {
  static List<LabelledPrompt> prompts(String source, Tier tier, int n) {
    List<LabelledPrompt> l = new ArrayList<>();
    for (int i = 0; i < n; i++) l.add(new LabelledPrompt(source + ":" + tier + i, source, source + " " + tier + " " + i, tier, "x"));
    return l;
  }

  @Test
  void theCapKeepsASourcesTierSharesAndLeavesSmallSourcesWhole() {
    List<LabelledPrompt> all = new ArrayList<>(prompts("mmlu", Tier.LOW, 800));
    all.addAll(prompts("mmlu", Tier.HIGH, 200));
    all.addAll(prompts("lima", Tier.MEDIUM, 30));
    List<LabelledPrompt> capped = TrainEncoderClassifier.capPerSource(all, 100, 42);
    Map<String, java.util.EnumMap<Tier, Integer>> c = RoutingLabels.counts(capped);
    assertEquals(80, c.get("mmlu").get(Tier.LOW));
    assertEquals(20, c.get("mmlu").get(Tier.HIGH));
    assertEquals(30, c.get("lima").get(Tier.MEDIUM));
    assertEquals(capped, TrainEncoderClassifier.capPerSource(all, 100, 42), "seeded: the same sample every run");
  }

  @Test
  void balancingGivesEverySourceGroupOfATierTheSameWeightUpToTheBoost() {
    List<LabelledPrompt> all = new ArrayList<>(prompts("mmlu", Tier.LOW, 90));
    all.addAll(prompts("alpaca", Tier.LOW, 10));
    all.addAll(prompts("alpaca-seed", Tier.LOW, 5)); // same group as alpaca
    all.addAll(prompts("lima", Tier.MEDIUM, 50));
    float[][] x = new float[all.size()][1];
    int[] y = all.stream().mapToInt(p -> p.tier().ordinal()).toArray();
    TrainEncoderClassifier.Rows rows = new TrainEncoderClassifier.Rows(x, y, all);

    float[] plain = TrainEncoderClassifier.sampleWeights(rows, false, "none", 5);
    for (float w : plain) assertEquals(1f, w);

    float[] w = TrainEncoderClassifier.sampleWeights(rows, false, "source", 100);
    double mmlu = 0, alpaca = 0, low = 0;
    for (int i = 0; i < all.size(); i++) {
      if (all.get(i).source().equals("mmlu")) mmlu += w[i];
      if (all.get(i).source().startsWith("alpaca")) alpaca += w[i];
      if (all.get(i).tier() == Tier.LOW) low += w[i];
    }
    assertEquals(mmlu, alpaca, 1e-3, "two groups of LOW, the same weight");
    assertEquals(105, low, 1e-3, "the tier keeps its total");

    float[] capped = TrainEncoderClassifier.sampleWeights(rows, false, "source", 2);
    // LOW: 105 prompts in 2 groups, 52.5 each: an mmlu prompt 52.5 / 90, an alpaca one 52.5 / 15 = 3.5, capped at 2
    assertEquals(2 / (52.5 / 90), capped[95] / capped[0], 1e-4, "an alpaca prompt: at most twice its plain weight");

    float[] cw = TrainEncoderClassifier.sampleWeights(rows, true, "none", 5);
    double lowW = 0, medW = 0;
    for (int i = 0; i < all.size(); i++) if (y[i] == 0) lowW += cw[i]; else medW += cw[i];
    assertEquals(lowW, medW, 1e-3, "class weights: each tier a third of the whole (two tiers here)");
  }

  static TrainEncoderClassifier.Result result(int window, int hidden, double dev, double[] recall, double cross) {
    long[][] confusion = new long[3][3];
    for (int t = 0; t < 3; t++) confusion[t][t] = 1;
    return new TrainEncoderClassifier.Result(new TrainEncoderClassifier.Variant(window, hidden, false), 10,
        new TrainEncoderClassifier.Metrics(100, 0.8, recall, confusion), Map.of(), cross,
        new TrainEncoderClassifier.Metrics(180, dev, recall, confusion), null);
  }

  @Test
  void theChoicePrefersTheGoalThenTheShorterWindowUnlessTheLongerIsClearlyBetter() {
    double[] ok = {0.9, 0.9, 0.9}, weak = {0.95, 0.95, 0.6};
    var w64 = result(64, 0, 0.91, ok, 0.5);
    var w64big = result(64, 128, 0.91, ok, 0.5);
    var w128 = result(128, 0, 0.93, ok, 0.5);
    assertSame(w64, TrainEncoderClassifier.choose(List.of(w64big, w64, w128)), "2 points is not clearly better; tie -> smaller head");
    var w128clear = result(128, 0, 0.95, ok, 0.5);
    assertSame(w128clear, TrainEncoderClassifier.choose(List.of(w64, w128clear)));
    var w64miss = result(64, 64, 0.97, weak, 0.6);
    assertSame(w128, TrainEncoderClassifier.choose(List.of(w64miss, w128)), "only variants meeting the goal, when any does");
    var a = result(64, 0, 0.60, weak, 0.40);
    var b = result(64, 64, 0.58, weak, 0.50);
    assertSame(b, TrainEncoderClassifier.choose(List.of(a, b)), "none meets the goal: dev + cross-source accuracy");
  }
}
