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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The sentence-encoder classifier's labels: a tier says which model a prompt needs, as routing means it. A prompt is
 * LOW when the small model answers it as well as the large one, HIGH when only the large one does, MEDIUM in between
 * (docs/classifier-labels.md, "Routing labels"; the rubric of docs/everyday-dev-set.md). Every rule is a static method
 * here with a unit test; {@link #load} applies them to ../shared/data.
 *
 * <p><b>Per-prompt outcomes first.</b> RouteLLM's MMLU and GSM8K prompts carry whether the weak model (Mixtral-8x7B)
 * and the strong one (GPT-4-1106) answered correctly ({@link #outcome}); MT-bench first turns carry both models' GPT-4
 * judge scores ({@link #judged}); MATH problems their human difficulty level ({@link #mathLevel}).
 *
 * <p><b>Benchmark identity for the rest</b>, each source being one kind of task of the rubric: competition maths and
 * Arena-Hard's hard prompts HIGH; small self-contained code (MBPP, HumanEval) and creative writing MEDIUM; one-step
 * questions (CommonsenseQA, TruthfulQA, ARC-Challenge) LOW; instructions with a reference answer (Alpaca, LIMA) by the
 * length of that answer ({@link #referenceAnswer}).
 *
 * <p><b>Not the formatting.</b> Multiple-choice scaffolding is removed before a prompt is used ({@link #stripChoices}):
 * a user types the question, not "A. ... B. ... Answer:". BBH is not used (27 synthetic templates with no per-prompt
 * signal: what the bag-of-word-pieces model learned to recognise).
 *
 * <p><b>The held-out test split</b> ({@link #isHeldOut}): 30% of RouteLLM's MMLU, GSM8K and MT-bench prompts, chosen by
 * a hash of the prompt text, never enter training or model selection; RouteLLM's APGR / CPT metrics are computed on
 * them.
 */
public final class RoutingLabels {
  // source names
  public static final String MMLU = "mmlu";
  public static final String GSM8K = "gsm8k";
  public static final String MT_BENCH = "mt-bench";
  public static final String MATH = "math";
  public static final String ALPACA = "alpaca";
  public static final String ALPACA_SEED = "alpaca-seed";
  public static final String LIMA = "lima";
  public static final String MBPP = "mbpp";
  public static final String HUMANEVAL = "humaneval";
  public static final String ARENA_HARD_V01 = "arena-hard-v0.1";
  public static final String ARENA_HARD_V2 = "arena-hard-v2.0";
  public static final String ARENA_CREATIVE_V2 = "arena-creative-v2.0";
  public static final String COMMONSENSEQA = "commonsenseqa";
  public static final String TRUTHFULQA = "truthfulqa";
  public static final String ARC = "arc-challenge";
  public static final String EVERYDAY = "everyday";
  public static final List<String> COMPETITION = List.of("aime24", "amc23", "olympiadbench", "minerva_math");

  /** RouteLLM's models, as named in its files. */
  public static final String WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1";
  public static final String STRONG = "gpt-4-1106-preview";

  // the held-out test split
  public static final Set<String> HELD_OUT_SOURCES = Set.of(MMLU, GSM8K, MT_BENCH);
  /** Held-out share, in 1/10,000: 30%. */
  public static final int HELD_OUT_PER_10000 = 3000;
  public static final String HELD_OUT_RULE =
      "a RouteLLM prompt (source mmlu, gsm8k or mt-bench) is held out when the first 8 bytes of SHA-256 of its text"
          + " (UTF-8, String.strip()ped; MMLU: the 'prompt' column of routellm_evals/mmlu_responses/*.csv with its"
          + " choices and 'Answer:'; GSM8K: the 'prompt' column of routellm_evals/gsm8k/gsm8k_responses.csv; MT-bench:"
          + " turns[0] of routellm_evals/mt_bench/question.jsonl, both turns going with it), read as an unsigned"
          + " big-endian 64-bit number, modulo 10000, is below 3000 (30%). Held-out prompts, and any prompt whose"
          + " training text equals a held-out one's, never enter training or model selection."
          + " io.pickspin.lab.train.RoutingLabels.isHeldOut(source, text).";

  // rule thresholds
  /** MT-bench: a GPT-4 judge score of at least this counts as a good answer. */
  public static final double GOOD_SCORE = 8;
  /** MT-bench: the strong model is better when its score is at least this much higher. */
  public static final double SCORE_GAP = 2;
  /** Alpaca: a reference answer of at most this many words is a short answer (LOW). */
  public static final int SHORT_ANSWER_WORDS = 40;
  /** Alpaca: a reference answer of at least this many words is long-form work (MEDIUM). */
  public static final int LONG_ANSWER_WORDS = 150;

  /**
   * The issue's own examples (issue 21): tests use them, training must not. A training prompt containing one of these
   * phrases (case and spacing ignored) is left out.
   */
  public static final List<String> ISSUE_EXAMPLES =
      List.of("What is the capital city of Portugal?", "Convert 5 kilometers to meters.", "List three primary colors.",
          "What is 2+2?", "Design a distributed rate limiter for a global API", "Implement a lock-free ring buffer",
          "Write a formal proof that the halting problem is undecidable");

  private static final ObjectMapper JSON = new ObjectMapper();

  private RoutingLabels() {}

  // ---------------------------------------------------------------------------------------------------------------
  // the rules

  /**
   * RouteLLM's per-prompt correctness. The weak model right: the prompt needs no more than its task's floor tier
   * (LOW for MMLU's one-fact knowledge questions, MEDIUM for GSM8K's multi-step word problems: the rubric's
   * "routine multi-step math"; Mixtral-8x7B is larger than the small tier, so on multi-step work its success says the
   * medium model suffices). Only the strong model right: HIGH. Both wrong: no label (dropped), since neither answer
   * shows which model the prompt needs, and many such MMLU items are mis-keyed or ambiguous.
   */
  public static Optional<Tier> outcome(Tier floor, boolean weakCorrect, boolean strongCorrect) {
    if (weakCorrect) return Optional.of(floor);
    if (strongCorrect) return Optional.of(Tier.HIGH);
    return Optional.empty();
  }

  /**
   * MT-bench, GPT-4 judge scores (1-10) of one turn. The weak model good ({@value #GOOD_SCORE}+) and within
   * {@value #SCORE_GAP} points of the strong one: MEDIUM (MT-bench's tasks are multi-constraint writing, reasoning,
   * coding and explanation, the rubric's MEDIUM work, and Mixtral is larger than the small tier). The strong model
   * good and at least {@value #SCORE_GAP} points better: HIGH. Anything else (both below {@value #GOOD_SCORE}): no label.
   */
  public static Optional<Tier> judged(double weakScore, double strongScore) {
    if (weakScore >= GOOD_SCORE && strongScore - weakScore < SCORE_GAP) return Optional.of(Tier.MEDIUM);
    if (strongScore >= GOOD_SCORE && strongScore - weakScore >= SCORE_GAP) return Optional.of(Tier.HIGH);
    return Optional.empty();
  }

  /**
   * MATH's human difficulty level. Levels 1-2 MEDIUM: routine multi-step algebra, but not LOW, because a small model
   * is far worse than a large one on MATH overall (Llama 3 8B / 70B instruct: 30.0% / 50.4%,
   * model_quality_matrix_long.csv). Level 5 HIGH. Levels 3-4 no label: they sit between the two and the data has no
   * per-level model accuracies to place them.
   */
  public static Optional<Tier> mathLevel(int level) {
    if (level == 1 || level == 2) return Optional.of(Tier.MEDIUM);
    if (level == 5) return Optional.of(Tier.HIGH);
    return Optional.empty();
  }

  /**
   * An instruction (Alpaca, LIMA) by its reference answer: at most {@value #SHORT_ANSWER_WORDS} words (a fact, a word, one
   * rewritten sentence, a label) is LOW, since a small model gives a short complete answer as well as a large one; at
   * least {@value #LONG_ANSWER_WORDS} words (an explanation, a story, an email, a plan) is MEDIUM; in between no label.
   */
  public static Optional<Tier> referenceAnswer(String output) {
    int words = words(output);
    if (words == 0) return Optional.empty();
    if (words <= SHORT_ANSWER_WORDS) return Optional.of(Tier.LOW);
    if (words >= LONG_ANSWER_WORDS) return Optional.of(Tier.MEDIUM);
    return Optional.empty();
  }

  private static String answerLength(String output) {
    int w = words(output);
    return w <= SHORT_ANSWER_WORDS ? "short reference answer" : w >= LONG_ANSWER_WORDS ? "long reference answer"
        : "reference answer of " + (SHORT_ANSWER_WORDS + 1) + "-" + (LONG_ANSWER_WORDS - 1) + " words";
  }

  static int words(String s) {
    if (s == null || s.isBlank()) return 0;
    return s.strip().split("\\s+").length;
  }

  private static final Pattern ANSWER_STEM = Pattern.compile("(?s)\\s*Answer\\s*:\\s*$");
  private static final Pattern CHOICE = Pattern.compile("(?m)^\\(?([A-J])[.)]\\s");

  /**
   * A multiple-choice prompt without its scaffolding: the trailing "Answer:" stem and the trailing run of choice lines
   * ("A. ...", "B. ...", or "(A) ..."), lettered from A in order, are removed, as is an "Options:" header before them.
   * A prompt without such a run is returned stripped of surrounding space only.
   */
  public static String stripChoices(String prompt) {
    String s = ANSWER_STEM.matcher(prompt).replaceFirst("");
    Matcher m = CHOICE.matcher(s);
    List<int[]> starts = new ArrayList<>(); // {position, letter index}
    while (m.find()) starts.add(new int[] {m.start(), m.group(1).charAt(0) - 'A'});
    // the last run A, B, C, ... that reaches the end of the text
    for (int i = starts.size() - 1; i >= 0; i--) {
      if (starts.get(i)[1] != 0) continue;
      boolean run = true;
      for (int k = i + 1; k < starts.size(); k++) if (starts.get(k)[1] != starts.get(k - 1)[1] + 1) run = false;
      if (!run || starts.size() - i < 2) continue;
      String head = s.substring(0, starts.get(i)[0]).stripTrailing();
      if (head.endsWith("Options:")) head = head.substring(0, head.length() - "Options:".length()).stripTrailing();
      return head.isBlank() ? s.strip() : head;
    }
    return s.strip();
  }

  /** The text a prompt is compared by: lower case, whitespace collapsed. */
  public static String normalise(String text) {
    return text.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
  }

  /** Whether a RouteLLM prompt belongs to the held-out test split (see {@link #HELD_OUT_RULE}). */
  public static boolean isHeldOut(String source, String text) {
    return HELD_OUT_SOURCES.contains(source) && bucket(text) < HELD_OUT_PER_10000;
  }

  /** The prompt's hash bucket in [0, 10000): SHA-256 of the stripped UTF-8 text, first 8 bytes unsigned, mod 10000. */
  public static int bucket(String text) {
    byte[] d = sha256(text.strip());
    long x = 0;
    for (int i = 0; i < 8; i++) x = (x << 8) | (d[i] & 0xff);
    return (int) Long.remainderUnsigned(x, 10_000);
  }

  static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // the data

  /** One RouteLLM prompt with both models' results: correctness as 1/0 (MMLU, GSM8K) or the judge score (MT-bench). */
  public record RouteLlmPrompt(String id, String source, String prompt, double weak, double strong, boolean heldOut) {}

  /**
   * The labelled corpus.
   *
   * @param prompts labelled prompts that training may use (held-out and protected ones excluded)
   * @param heldOut RouteLLM's held-out test prompts, labelled by the same rules (never trained on)
   * @param dropped prompts given no label or left out, by reason
   */
  public record Corpus(List<LabelledPrompt> prompts, List<LabelledPrompt> heldOut, Map<String, Integer> dropped) {}

  /** Collects labelled prompts; skips duplicates (the first one wins) and counts what it drops. */
  static final class Collector {
    private final Set<String> protectedTexts;
    private final List<String> protectedPhrases;
    final List<LabelledPrompt> prompts = new ArrayList<>();
    final List<LabelledPrompt> heldOut = new ArrayList<>();
    final Map<String, Integer> dropped = new TreeMap<>();
    private final Set<String> seen = new HashSet<>();

    /**
     * @param protectedTexts prompts that must never be trained on (the everyday dev set), compared normalised
     */
    Collector(Collection<String> protectedTexts) {
      this.protectedTexts = new HashSet<>();
      for (String t : protectedTexts) this.protectedTexts.add(normalise(t));
      this.protectedPhrases = ISSUE_EXAMPLES.stream().map(RoutingLabels::normalise).toList();
    }

    void drop(String source, String reason) {
      dropped.merge(source + ": " + reason, 1, Integer::sum);
    }

    /** Adds a prompt with its label, or counts why not. {@code held} marks RouteLLM's held-out test prompts. */
    void add(String source, String id, String text, Optional<Tier> tier, String signal, boolean held) {
      String t = text == null ? "" : text.strip();
      if (t.isEmpty()) {
        drop(source, "empty");
        return;
      }
      if (tier.isEmpty()) {
        drop(source, "no label (" + signal + ")");
        return;
      }
      String n = normalise(t);
      if (held) {
        heldOut.add(new LabelledPrompt(source + ":" + id, source, t, tier.get(), signal));
        seen.add(n); // a later copy of a held-out prompt is not trained on either
        return;
      }
      if (protectedTexts.contains(n) || protectedPhrases.stream().anyMatch(n::contains)) {
        drop(source, "protected (dev set or issue example)");
        return;
      }
      if (!seen.add(n)) {
        drop(source, "duplicate");
        return;
      }
      prompts.add(new LabelledPrompt(source + ":" + id, source, t, tier.get(), signal));
    }

    void removeHeldOutDuplicates() {
      // a training prompt loaded before a held-out one with the same text
      Set<String> held = new HashSet<>();
      for (LabelledPrompt p : heldOut) held.add(normalise(p.text()));
      int before = prompts.size();
      prompts.removeIf(p -> held.contains(normalise(p.text())));
      if (prompts.size() < before) dropped.merge("(any): same text as a held-out prompt", before - prompts.size(), Integer::sum);
    }
  }

  /**
   * Labels every source under {@code sharedDir/data}, plus the hand-written everyday training set
   * ({@link EverydayPrompts#train()}, labelled by the rubric). {@code protectedTexts} (the everyday dev set) and the
   * issue's examples are never in {@link Corpus#prompts()}.
   */
  public static Corpus load(Path sharedDir, Collection<String> protectedTexts) throws IOException {
    Path data = sharedDir.resolve("data");
    Collector c = new Collector(protectedTexts);
    for (RouteLlmPrompt p : routeLlm(sharedDir)) {
      switch (p.source()) {
        case MMLU -> c.add(MMLU, p.id(), stripChoices(p.prompt()), outcome(Tier.LOW, p.weak() > 0, p.strong() > 0),
            signal(p.weak() > 0, p.strong() > 0), p.heldOut());
        case GSM8K -> c.add(GSM8K, p.id(), p.prompt(), outcome(Tier.MEDIUM, p.weak() > 0, p.strong() > 0),
            signal(p.weak() > 0, p.strong() > 0), p.heldOut());
        default -> c.add(MT_BENCH, p.id(), p.prompt(), judged(p.weak(), p.strong()),
            judged(p.weak(), p.strong()).isPresent()
                ? String.format(Locale.ROOT, "judge %.0f/%.0f", p.weak(), p.strong())
                : "GPT-4 judge: neither answer good enough", p.heldOut());
      }
    }
    math(c, data.resolve("math_hendrycks/math_test_5000.jsonl"));
    for (String n : COMPETITION) competition(c, n, data.resolve("math_competition_hard/" + n + "_test.jsonl"));
    arenaHard(c, data.resolve("arena_hard/arena-hard-v0.1_question.jsonl"), data.resolve("arena_hard/arena-hard-v2.0_question.jsonl"));
    identity(c, MBPP, jsonl(data.resolve("mbpp/mbpp.jsonl")), "text", Tier.MEDIUM, "small code");
    identity(c, HUMANEVAL, jsonl(data.resolve("humaneval/HumanEval.jsonl")), "prompt", Tier.MEDIUM, "small code");
    lima(c, data.resolve("instruction_prompts/lima_llamafactory.json"));
    alpaca(c, data.resolve("instruction_prompts/alpaca_en_demo_llamafactory.json"));
    alpacaSeed(c, data.resolve("instruction_prompts/alpaca_seed_tasks.jsonl"));
    identity(c, COMMONSENSEQA, jsonl(data.resolve("commonsenseqa/dev_rand_split.jsonl")), "question", Tier.LOW, "one-step question");
    truthfulQa(c, data.resolve("truthfulqa/TruthfulQA.csv"));
    identity(c, ARC, jsonl(data.resolve("arc/arc_challenge_test.jsonl")), "question", Tier.LOW, "one-step question");
    List<EverydayPrompts.Item> everyday = EverydayPrompts.train();
    for (int i = 0; i < everyday.size(); i++) {
      EverydayPrompts.Item p = everyday.get(i);
      c.add(EVERYDAY, Integer.toString(i), p.prompt(), Optional.of(p.tier()), "hand-labelled by the rubric", false);
    }
    c.removeHeldOutDuplicates();
    return new Corpus(List.copyOf(c.prompts), List.copyOf(c.heldOut), Map.copyOf(c.dropped));
  }

  private static String signal(boolean weak, boolean strong) {
    return weak ? "weak-correct" : strong ? "strong-only" : "both-wrong";
  }

  /**
   * RouteLLM's MMLU, GSM8K and MT-bench prompts with both models' results and the held-out flag, in file order (MMLU
   * subjects alphabetically). MT-bench: the first turn's text, with the first turn's judge scores.
   */
  public static List<RouteLlmPrompt> routeLlm(Path sharedDir) throws IOException {
    Path data = sharedDir.resolve("data/routellm_evals");
    List<RouteLlmPrompt> out = new ArrayList<>();
    for (Path f : sorted(data.resolve("mmlu_responses"), ".csv")) {
      String subject = f.getFileName().toString().replaceFirst("^mmlu_", "").replaceFirst("\\.csv$", "");
      correctness(out, MMLU, subject + ":", CsvTable.read(f));
    }
    correctness(out, GSM8K, "", CsvTable.read(data.resolve("gsm8k/gsm8k_responses.csv")));
    out.addAll(mtBench(data.resolve("mt_bench/question.jsonl"), data.resolve("mt_bench/judgements.jsonl")));
    return out;
  }

  static void correctness(List<RouteLlmPrompt> out, String source, String idPrefix, CsvTable csv) {
    int p = csv.column("prompt"), w = csv.column(WEAK), s = csv.column(STRONG);
    int i = 0;
    for (List<String> r : csv.rows()) {
      String text = r.get(p).strip();
      out.add(new RouteLlmPrompt(idPrefix + i++, source, text, bool(r.get(w)), bool(r.get(s)), isHeldOut(source, text)));
    }
  }

  private static double bool(String s) {
    String t = s.strip();
    if (t.equalsIgnoreCase("true")) return 1;
    if (t.equalsIgnoreCase("false")) return 0;
    throw new IllegalArgumentException("not a boolean: '" + s + "'");
  }

  static List<RouteLlmPrompt> mtBench(Path questions, Path judgements) throws IOException {
    Map<Integer, String> firstTurn = new TreeMap<>();
    for (JsonNode j : jsonl(questions)) firstTurn.put(j.get("question_id").asInt(), j.get("turns").get(0).asText().strip());
    Map<Integer, Double> weak = new HashMap<>(), strong = new HashMap<>();
    for (JsonNode j : jsonl(judgements)) {
      if (j.get("turn").asInt() != 1) continue;
      String m = j.get("model").asText();
      if (m.equals(WEAK)) weak.put(j.get("question_id").asInt(), j.get("score").asDouble());
      else if (m.equals(STRONG)) strong.put(j.get("question_id").asInt(), j.get("score").asDouble());
    }
    List<RouteLlmPrompt> out = new ArrayList<>();
    for (Map.Entry<Integer, String> e : firstTurn.entrySet()) {
      Double w = weak.get(e.getKey()), s = strong.get(e.getKey());
      if (w == null || s == null) continue;
      out.add(new RouteLlmPrompt(String.valueOf(e.getKey()), MT_BENCH, e.getValue(), w, s, isHeldOut(MT_BENCH, e.getValue())));
    }
    return out;
  }

  static void math(Collector c, Path file) throws IOException {
    int i = 0;
    for (JsonNode j : jsonl(file)) {
      String lv = j.path("level").asText().replaceAll("[^0-9]", "");
      int level = lv.isEmpty() ? 0 : Integer.parseInt(lv);
      c.add(MATH, String.valueOf(i++), j.get("problem").asText(), mathLevel(level), "level-" + level, false);
    }
  }

  static void competition(Collector c, String source, Path file) throws IOException {
    int i = 0;
    for (JsonNode j : jsonl(file)) {
      String text = j.hasNonNull("problem") ? j.get("problem").asText() : j.path("question").asText();
      c.add(source, String.valueOf(i++), text, Optional.of(Tier.HIGH), "competition maths", false);
    }
  }

  /** Arena-Hard v0.1 (all hard) and v2.0's hard prompts (coding, maths) HIGH; v2.0 creative writing MEDIUM. */
  static void arenaHard(Collector c, Path v01, Path v2) throws IOException {
    int i = 0;
    for (JsonNode j : jsonl(v01)) c.add(ARENA_HARD_V01, String.valueOf(i++), text(j.get("prompt")), Optional.of(Tier.HIGH), "arena hard prompt", false);
    i = 0;
    for (JsonNode j : jsonl(v2)) {
      boolean hard = "hard_prompt".equals(j.path("category").asText());
      c.add(hard ? ARENA_HARD_V2 : ARENA_CREATIVE_V2, String.valueOf(i++), text(j.get("prompt")),
          Optional.of(hard ? Tier.HIGH : Tier.MEDIUM), hard ? "arena hard prompt" : "creative writing", false);
    }
  }

  private static String text(JsonNode n) {
    if (n == null) return "";
    if (n.isTextual()) return n.asText();
    if (n.isArray() && n.size() > 0) return text(n.get(0).has("content") ? n.get(0).get("content") : n.get(0));
    return n.asText();
  }

  /** Alpaca demo: instruction plus its input, by the length of the reference output. */
  static void alpaca(Collector c, Path file) throws IOException {
    int i = 0;
    for (JsonNode j : array(file)) {
      String output = j.path("output").asText();
      c.add(ALPACA, String.valueOf(i++), withInput(j.get("instruction").asText(), j.path("input").asText()),
          referenceAnswer(output), answerLength(output), false);
    }
  }

  /** LIMA: the instruction (its first turn), by the length of its reference answer, as Alpaca. */
  static void lima(Collector c, Path file) throws IOException {
    int i = 0;
    for (JsonNode j : array(file)) {
      String output = j.path("output").asText();
      c.add(LIMA, String.valueOf(i++), j.get("instruction").asText(), referenceAnswer(output), answerLength(output), false);
    }
  }

  /** Alpaca seed tasks: instruction plus the first instance's input, by the length of that instance's output. */
  static void alpacaSeed(Collector c, Path file) throws IOException {
    int i = 0;
    for (JsonNode j : jsonl(file)) {
      JsonNode inst = j.path("instances");
      JsonNode first = inst.size() > 0 ? inst.get(0) : JSON.createObjectNode();
      String output = first.path("output").asText();
      c.add(ALPACA_SEED, String.valueOf(i++), withInput(j.get("instruction").asText(), first.path("input").asText()),
          referenceAnswer(output), answerLength(output), false);
    }
  }

  static void truthfulQa(Collector c, Path file) throws IOException {
    CsvTable t = CsvTable.read(file);
    int q = t.column("Question");
    for (int r = 0; r < t.rows().size(); r++)
      c.add(TRUTHFULQA, String.valueOf(r), t.rows().get(r).get(q), Optional.of(Tier.LOW), "one-step question", false);
  }

  private static void identity(Collector c, String source, List<JsonNode> rows, String field, Tier tier, String why) {
    int i = 0;
    for (JsonNode j : rows) c.add(source, String.valueOf(i++), stripChoices(j.path(field).asText()), Optional.of(tier), why, false);
  }

  static String withInput(String instruction, String input) {
    return input == null || input.isBlank() || input.strip().equalsIgnoreCase("No input.")
        ? instruction
        : instruction + "\n" + input;
  }

  /** Counts per source and tier, sources in first-seen order. */
  public static Map<String, EnumMap<Tier, Integer>> counts(List<LabelledPrompt> prompts) {
    Map<String, EnumMap<Tier, Integer>> m = new LinkedHashMap<>();
    for (LabelledPrompt p : prompts) m.computeIfAbsent(p.source(), k -> new EnumMap<>(Tier.class)).merge(p.tier(), 1, Integer::sum);
    return m;
  }

  static List<JsonNode> jsonl(Path file) throws IOException {
    List<JsonNode> l = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) if (!line.isBlank()) l.add(JSON.readTree(line));
    }
    return l;
  }

  static List<JsonNode> array(Path file) throws IOException {
    List<JsonNode> l = new ArrayList<>();
    JSON.readTree(file.toFile()).forEach(l::add);
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
