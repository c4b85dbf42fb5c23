package io.pickspin.lab.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.lab.common.CsvTable;
import io.pickspin.model.Tier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Builds the complexity classifier's labelled prompts from the real data sets in ../shared/data. The label rule is
 * documented in docs/classifier-labels.md; in short:
 *
 * <ul>
 *   <li>per-prompt model outcomes (RouteLLM): MMLU and GSM8K test prompts are LOW when the weak model (Mixtral-8x7B)
 *       answered correctly, MEDIUM when only the strong model (GPT-4-1106) did, HIGH when both failed; MT-bench first
 *       turns the same way with GPT-4 judge scores (a score of at least 8 counts as correct);
 *   <li>per-prompt human difficulty: MATH level 1-2 LOW, 3 MEDIUM, 4-5 HIGH;
 *   <li>benchmark identity: competition maths (AIME, AMC, OlympiadBench, Minerva) and Arena-Hard hard prompts HIGH;
 *       multi-step reasoning, coding and open-ended sets (BBH, ARC-Challenge, MBPP, HumanEval, LIMA, Arena-Hard
 *       creative writing) MEDIUM; single-fact and instruction sets (CommonsenseQA, TruthfulQA, Alpaca) LOW.
 * </ul>
 *
 * <p>{@link Rule#BENCHMARK} instead labels every prompt with the majority tier of its source under the difficulty
 * rule: the label a router could give knowing only which benchmark a prompt came from.
 */
public final class PromptCorpus {
  public enum Rule {
    DIFFICULTY,
    BENCHMARK
  }

  /** Train / validation / held-out test split. */
  public record Split(List<LabelledPrompt> train, List<LabelledPrompt> validation, List<LabelledPrompt> test) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1";
  private static final String STRONG = "gpt-4-1106-preview";

  private final Path data;
  private final List<LabelledPrompt> out = new ArrayList<>();
  private final Set<String> seen = new HashSet<>();

  private PromptCorpus(Path sharedDir) {
    this.data = sharedDir.resolve("data");
  }

  /** Loads every source under {@code sharedDir/data} and labels it with the given rule. */
  public static List<LabelledPrompt> load(Path sharedDir, Rule rule) throws IOException {
    PromptCorpus c = new PromptCorpus(sharedDir);
    c.loadAll();
    return rule == Rule.BENCHMARK ? majorityPerSource(c.out) : List.copyOf(c.out);
  }

  /** The shared directory: -Dpickspin.shared.dir, else ../shared relative to the working directory. */
  public static Path sharedDir() {
    String p = System.getProperty("pickspin.shared.dir");
    if (p == null || p.isBlank()) p = System.getenv("PICKSPIN_SHARED_DIR");
    Path dir = p == null || p.isBlank() ? Path.of("..", "shared") : Path.of(p);
    if (!Files.isDirectory(dir.resolve("data")) && Files.isDirectory(Path.of("..", "..", "shared", "data")))
      dir = Path.of("..", "..", "shared");
    return dir.toAbsolutePath().normalize();
  }

  private void loadAll() throws IOException {
    routeLlmMmlu();
    routeLlmGsm8k();
    mtBench();
    math();
    for (String n : List.of("aime24", "amc23", "olympiadbench", "minerva_math")) {
      int i = 0;
      for (JsonNode j : jsonl(data.resolve("math_competition_hard/" + n + "_test.jsonl"))) {
        String text = j.hasNonNull("problem") ? j.get("problem").asText() : j.path("question").asText();
        add(n, i++, text, Tier.HIGH, "competition-math");
      }
    }
    int i = 0;
    for (JsonNode j : jsonl(data.resolve("arena_hard/arena-hard-v0.1_question.jsonl")))
      add("arena-hard-v0.1", i++, j.get("prompt").asText(), Tier.HIGH, "arena-hard");
    i = 0;
    for (JsonNode j : jsonl(data.resolve("arena_hard/arena-hard-v2.0_question.jsonl"))) {
      boolean hard = "hard_prompt".equals(j.path("category").asText());
      add(hard ? "arena-hard-v2.0" : "arena-creative-v2.0", i++, j.get("prompt").asText(),
          hard ? Tier.HIGH : Tier.MEDIUM, hard ? "arena-hard" : "benchmark");
    }
    i = 0;
    for (JsonNode j : jsonl(data.resolve("arc/arc_challenge_test.jsonl"))) {
      StringBuilder s = new StringBuilder(j.get("question").asText());
      for (JsonNode o : j.get("options")) s.append('\n').append(o.get("label").asText()).append(". ").append(o.get("text").asText());
      add("arc-challenge", i++, s.toString(), Tier.MEDIUM, "benchmark");
    }
    i = 0;
    for (Path f : sorted(data.resolve("bbh"), ".json"))
      for (JsonNode e : JSON.readTree(f.toFile()).get("examples")) add("bbh", i++, e.get("input").asText(), Tier.MEDIUM, "benchmark");
    i = 0;
    for (JsonNode j : jsonl(data.resolve("mbpp/mbpp.jsonl"))) add("mbpp", i++, j.get("text").asText(), Tier.MEDIUM, "benchmark");
    i = 0;
    for (JsonNode j : jsonl(data.resolve("humaneval/HumanEval.jsonl")))
      add("humaneval", i++, j.get("prompt").asText(), Tier.MEDIUM, "benchmark");
    i = 0;
    for (JsonNode j : JSON.readTree(data.resolve("instruction_prompts/lima_llamafactory.json").toFile()))
      add("lima", i++, j.get("instruction").asText(), Tier.MEDIUM, "benchmark");
    i = 0;
    for (JsonNode j : jsonl(data.resolve("commonsenseqa/dev_rand_split.jsonl"))) {
      StringBuilder s = new StringBuilder(j.get("question").asText());
      JsonNode ch = j.get("choices");
      for (int k = 0; k < ch.get("label").size(); k++)
        s.append('\n').append(ch.get("label").get(k).asText()).append(". ").append(ch.get("text").get(k).asText());
      add("commonsenseqa", i++, s.toString(), Tier.LOW, "benchmark");
    }
    CsvTable tqa = CsvTable.read(data.resolve("truthfulqa/TruthfulQA.csv"));
    int q = tqa.column("Question");
    for (int r = 0; r < tqa.rows().size(); r++) add("truthfulqa", r, tqa.rows().get(r).get(q), Tier.LOW, "benchmark");
    i = 0;
    for (JsonNode j : JSON.readTree(data.resolve("instruction_prompts/alpaca_en_demo_llamafactory.json").toFile()))
      add("alpaca", i++, withInput(j.get("instruction").asText(), j.path("input").asText()), Tier.LOW, "benchmark");
    i = 0;
    for (JsonNode j : jsonl(data.resolve("instruction_prompts/alpaca_seed_tasks.jsonl"))) {
      JsonNode inst = j.path("instances");
      String input = inst.size() > 0 ? inst.get(0).path("input").asText() : "";
      add("alpaca-seed", i++, withInput(j.get("instruction").asText(), input), Tier.LOW, "benchmark");
    }
  }

  private void routeLlmMmlu() throws IOException {
    int i = 0;
    for (Path f : sorted(data.resolve("routellm_evals/mmlu_responses"), ".csv")) {
      CsvTable csv = CsvTable.read(f);
      int p = csv.column("prompt"), w = csv.column(WEAK), s = csv.column(STRONG);
      for (List<String> r : csv.rows())
        outcome("mmlu", i++, r.get(p), Boolean.parseBoolean(r.get(w)), Boolean.parseBoolean(r.get(s)));
    }
  }

  private void routeLlmGsm8k() throws IOException {
    CsvTable csv = CsvTable.read(data.resolve("routellm_evals/gsm8k/gsm8k_responses.csv"));
    int p = csv.column("prompt"), w = csv.column(WEAK), s = csv.column(STRONG);
    int i = 0;
    for (List<String> r : csv.rows())
      outcome("gsm8k", i++, r.get(p), Boolean.parseBoolean(r.get(w)), Boolean.parseBoolean(r.get(s)));
  }

  /** MT-bench first turns, judged by GPT-4 on a 1-10 scale: a score of 8 or more counts as a correct answer. */
  private void mtBench() throws IOException {
    Map<Integer, String> firstTurn = new TreeMap<>();
    for (JsonNode j : jsonl(data.resolve("routellm_evals/mt_bench/question.jsonl")))
      firstTurn.put(j.get("question_id").asInt(), j.get("turns").get(0).asText());
    Map<Integer, Double> weak = new HashMap<>(), strong = new HashMap<>();
    for (JsonNode j : jsonl(data.resolve("routellm_evals/mt_bench/judgements.jsonl"))) {
      if (j.get("turn").asInt() != 1) continue;
      String m = j.get("model").asText();
      (m.equals(WEAK) ? weak : m.equals(STRONG) ? strong : new HashMap<Integer, Double>())
          .put(j.get("question_id").asInt(), j.get("score").asDouble());
    }
    for (Map.Entry<Integer, String> e : firstTurn.entrySet()) {
      Double w = weak.get(e.getKey()), s = strong.get(e.getKey());
      if (w == null || s == null) continue;
      outcome("mt-bench", e.getKey(), e.getValue(), w >= 8, s >= 8);
    }
  }

  private void math() throws IOException {
    int i = 0;
    for (JsonNode j : jsonl(data.resolve("math_hendrycks/math_test_5000.jsonl"))) {
      String lv = j.path("level").asText().replaceAll("[^0-9]", "");
      int level = lv.isEmpty() ? 3 : Integer.parseInt(lv);
      Tier t = level <= 2 ? Tier.LOW : level == 3 ? Tier.MEDIUM : Tier.HIGH;
      add("math", i++, j.get("problem").asText(), t, "level-" + level);
    }
  }

  private void outcome(String source, int i, String text, boolean weakCorrect, boolean strongCorrect) {
    if (weakCorrect) add(source, i, text, Tier.LOW, "weak-correct");
    else if (strongCorrect) add(source, i, text, Tier.MEDIUM, "strong-only");
    else add(source, i, text, Tier.HIGH, "both-wrong");
  }

  private static String withInput(String instruction, String input) {
    return input == null || input.isBlank() ? instruction : instruction + "\n" + input;
  }

  /** Adds a prompt unless an identical text (whitespace-normalised) was added before. */
  private void add(String source, int index, String text, Tier tier, String signal) {
    String t = text == null ? "" : text.strip();
    if (t.isEmpty() || !seen.add(t.replaceAll("\\s+", " "))) return;
    out.add(new LabelledPrompt(source + ":" + index, source, t, tier, signal));
  }

  private static List<LabelledPrompt> majorityPerSource(List<LabelledPrompt> all) {
    Map<String, EnumMap<Tier, Integer>> counts = new HashMap<>();
    for (LabelledPrompt p : all) counts.computeIfAbsent(p.source(), k -> new EnumMap<>(Tier.class)).merge(p.tier(), 1, Integer::sum);
    Map<String, Tier> major = new HashMap<>();
    counts.forEach((s, c) -> major.put(s, Collections.max(c.entrySet(), Map.Entry.comparingByValue()).getKey()));
    return all.stream()
        .map(p -> new LabelledPrompt(p.id(), p.source(), p.text(), major.get(p.source()), "benchmark-majority"))
        .toList();
  }

  /**
   * Deterministic stratified split: within each (source, tier) stratum, prompts are shuffled with a seed derived from
   * {@code seed} and the stratum name; the first testFraction go to test, the next validationFraction to validation.
   */
  public static Split split(List<LabelledPrompt> all, long seed, double testFraction, double validationFraction) {
    Map<String, List<LabelledPrompt>> strata = new TreeMap<>();
    for (LabelledPrompt p : all) strata.computeIfAbsent(p.source() + "/" + p.tier(), k -> new ArrayList<>()).add(p);
    List<LabelledPrompt> train = new ArrayList<>(), val = new ArrayList<>(), test = new ArrayList<>();
    for (Map.Entry<String, List<LabelledPrompt>> e : strata.entrySet()) {
      List<LabelledPrompt> l = new ArrayList<>(e.getValue());
      l.sort(Comparator.comparing(LabelledPrompt::id));
      Collections.shuffle(l, new Random(seed * 31 + e.getKey().hashCode()));
      int nTest = (int) Math.round(l.size() * testFraction);
      int nVal = (int) Math.round(l.size() * validationFraction);
      test.addAll(l.subList(0, nTest));
      val.addAll(l.subList(nTest, Math.min(l.size(), nTest + nVal)));
      train.addAll(l.subList(Math.min(l.size(), nTest + nVal), l.size()));
    }
    Random r = new Random(seed);
    Collections.shuffle(train, r);
    return new Split(List.copyOf(train), List.copyOf(val), List.copyOf(test));
  }

  /** Counts per source and tier, sources in first-seen order. */
  public static Map<String, EnumMap<Tier, Integer>> counts(List<LabelledPrompt> prompts) {
    Map<String, EnumMap<Tier, Integer>> m = new LinkedHashMap<>();
    for (LabelledPrompt p : prompts) m.computeIfAbsent(p.source(), k -> new EnumMap<>(Tier.class)).merge(p.tier(), 1, Integer::sum);
    return m;
  }

  private static List<JsonNode> jsonl(Path file) throws IOException {
    List<JsonNode> l = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) if (!line.isBlank()) l.add(JSON.readTree(line));
    }
    return l;
  }

  private static List<Path> sorted(Path dir, String suffix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
