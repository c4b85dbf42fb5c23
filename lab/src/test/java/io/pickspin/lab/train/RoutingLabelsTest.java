package io.pickspin.lab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Tier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The routing label rules (docs/classifier-labels.md), one test per rule on tiny fixtures, and the held-out split. */
class RoutingLabelsTest {
  static final String W = RoutingLabels.WEAK, S = RoutingLabels.STRONG;

  @Test
  void outcomeWeakRightIsTheFloorTierOnlyStrongRightIsHighBothWrongIsDropped() {
    assertEquals(Optional.of(Tier.LOW), RoutingLabels.outcome(Tier.LOW, true, true));
    assertEquals(Optional.of(Tier.LOW), RoutingLabels.outcome(Tier.LOW, true, false));
    assertEquals(Optional.of(Tier.HIGH), RoutingLabels.outcome(Tier.LOW, false, true));
    assertEquals(Optional.empty(), RoutingLabels.outcome(Tier.LOW, false, false));
    assertEquals(Optional.of(Tier.MEDIUM), RoutingLabels.outcome(Tier.MEDIUM, true, true), "GSM8K's floor");
    assertEquals(Optional.of(Tier.HIGH), RoutingLabels.outcome(Tier.MEDIUM, false, true));
  }

  @Test
  void judgeScoresGoodAndCloseIsMediumStrongFarBetterIsHighElseDropped() {
    assertEquals(Optional.of(Tier.MEDIUM), RoutingLabels.judged(9, 9));
    assertEquals(Optional.of(Tier.MEDIUM), RoutingLabels.judged(8, 9.5), "1.5 points apart");
    assertEquals(Optional.of(Tier.MEDIUM), RoutingLabels.judged(10, 8), "the weak one better");
    assertEquals(Optional.of(Tier.HIGH), RoutingLabels.judged(8, 10), "2 points apart");
    assertEquals(Optional.of(Tier.HIGH), RoutingLabels.judged(3, 9));
    assertEquals(Optional.empty(), RoutingLabels.judged(7, 8), "weak not good, gap under 2");
    assertEquals(Optional.empty(), RoutingLabels.judged(2, 6), "neither good");
  }

  @Test
  void mathLevelsOneAndTwoAreMediumFiveIsHighThreeAndFourAreDropped() {
    assertEquals(Optional.of(Tier.MEDIUM), RoutingLabels.mathLevel(1));
    assertEquals(Optional.of(Tier.MEDIUM), RoutingLabels.mathLevel(2));
    assertEquals(Optional.empty(), RoutingLabels.mathLevel(3));
    assertEquals(Optional.empty(), RoutingLabels.mathLevel(4));
    assertEquals(Optional.of(Tier.HIGH), RoutingLabels.mathLevel(5));
    assertEquals(Optional.empty(), RoutingLabels.mathLevel(0), "no level");
  }

  @Test
  void aShortReferenceAnswerIsLowALongOneMediumInBetweenDropped() {
    assertEquals(Optional.of(Tier.LOW), RoutingLabels.referenceAnswer("Lisbon."));
    assertEquals(Optional.of(Tier.LOW), RoutingLabels.referenceAnswer(words(40)));
    assertEquals(Optional.empty(), RoutingLabels.referenceAnswer(words(41)));
    assertEquals(Optional.empty(), RoutingLabels.referenceAnswer(words(149)));
    assertEquals(Optional.of(Tier.MEDIUM), RoutingLabels.referenceAnswer(words(150)));
    assertEquals(Optional.empty(), RoutingLabels.referenceAnswer("  "), "no answer, no label");
  }

  @Test
  void multipleChoiceScaffoldingIsStripped() {
    assertEquals("Which gas do plants take in?",
        RoutingLabels.stripChoices("Which gas do plants take in?\nA. Oxygen\nB. Carbon dioxide\nC. Helium\nD. Neon\nAnswer:"));
    assertEquals("Statement 1 | x. Statement 2 | y.",
        RoutingLabels.stripChoices("Statement 1 | x. Statement 2 | y.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer:"));
    assertEquals("Today is Christmas Eve of 1937. What is the date tomorrow?",
        RoutingLabels.stripChoices("Today is Christmas Eve of 1937. What is the date tomorrow?\nOptions:\n(A) 12/11/1937\n(B) 12/25/1937"));
    // roman numerals and a line starting with a capital letter and a dot inside the question stay
    String question = "Which are true?\nI. Cats purr.\nII. Dogs bark.\nA. I only\nB. II only\nC. Both\nD. Neither\nAnswer:";
    assertEquals("Which are true?\nI. Cats purr.\nII. Dogs bark.", RoutingLabels.stripChoices(question));
    assertEquals("What is 2+2?", RoutingLabels.stripChoices("  What is 2+2?  "), "nothing to strip");
    assertEquals("A. Lincoln was president when?", RoutingLabels.stripChoices("A. Lincoln was president when?"),
        "a lone 'A.' is not a list of choices");
  }

  @Test
  void theHeldOutSplitIsAStableThirtyPercentOfTheRouteLlmSourcesOnly() {
    int held = 0, n = 20_000;
    for (int i = 0; i < n; i++) if (RoutingLabels.isHeldOut("mmlu", "prompt number " + i)) held++;
    assertEquals(0.30, (double) held / n, 0.015);
    for (int i = 0; i < 200; i++) {
      String t = "prompt number " + i;
      assertEquals(RoutingLabels.isHeldOut("mmlu", t), RoutingLabels.isHeldOut("gsm8k", t), "same rule for every source");
      assertEquals(RoutingLabels.isHeldOut("mmlu", t), RoutingLabels.isHeldOut("mmlu", "  " + t + "\n"), "stripped");
      assertFalse(RoutingLabels.isHeldOut("lima", t), "only RouteLLM's MMLU, GSM8K and MT-bench");
      assertFalse(RoutingLabels.isHeldOut("math", t));
    }
    // pinned: the rule is written into the shipped metadata, so the hash must not change
    assertEquals(RoutingLabels.bucket("What is 2+2?"), RoutingLabels.bucket("What is 2+2?"));
    assertEquals(expectedBucket("What is 2+2?"), RoutingLabels.bucket("What is 2+2?"));
  }

  /** The rule as written in HELD_OUT_RULE, computed independently. */
  static int expectedBucket(String text) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(text.strip().getBytes(StandardCharsets.UTF_8));
      return new java.math.BigInteger(1, java.util.Arrays.copyOf(d, 8)).mod(java.math.BigInteger.valueOf(10_000)).intValue();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** A fixture with one or two prompts per file of ../shared/data that the rules read. */
  /** The first of {@code text(0), text(1), ...} that the hash does (or does not) hold out. */
  static String pick(String source, boolean heldOut, java.util.function.IntFunction<String> text) {
    for (int k = 0; ; k++) if (RoutingLabels.isHeldOut(source, text.apply(k)) == heldOut) return text.apply(k);
  }

  static final String CHOICES = "\nA. one\nB. two\nC. three\nD. four\nAnswer:";
  static final String KEPT = pick("mmlu", false, k -> "Which muscle number " + k + " flexes the arm?" + CHOICES);
  static final String HELD = pick("mmlu", true, k -> "Which muscle number " + k + " extends the arm?");
  static final String BONE = pick("mmlu", false, k -> "Which bone number " + k + " is longest?" + CHOICES);
  static final String NERVE = pick("mmlu", false, k -> "Which nerve number " + k + " is odd?" + CHOICES);
  static final String PORTUGAL = pick("mmlu", false, k -> "What is the capital city of Portugal? Name it (" + k + ").");
  static final String APPLES = pick("gsm8k", false, k -> "Tom has 3 apples and buys " + k + " more. How many?");
  static final String TRAIN = pick("gsm8k", false, k -> "A train leaves at 3pm at 60 mph; when does it arrive " + k + " miles away?");
  static final String BLOG = pick("mt-bench", false, k -> "Write a travel blog post about Hawaii in " + k + " words.");
  static final String PROOF = pick("mt-bench", false, k -> "Prove that sqrt(" + (2 + k) + ") is irrational if it is not whole.");

  static Path fixture(Path root) throws IOException {
    Path d = root.resolve("data");
    write(d.resolve("routellm_evals/mmlu_responses/mmlu_anatomy.csv"),
        "prompt," + W + "," + S + "\n"
            + csv(KEPT) + ",True,True\n"
            + csv(BONE) + ",False,True\n"
            + csv(NERVE) + ",False,False\n"
            + csv(HELD) + ",True,False\n"
            + csv(PORTUGAL) + ",True,True\n");
    write(d.resolve("routellm_evals/gsm8k/gsm8k_responses.csv"),
        "prompt," + W + "," + S + "\n" + csv(APPLES) + ",True,True\n" + csv(TRAIN) + ",False,True\n");
    write(d.resolve("routellm_evals/mt_bench/question.jsonl"),
        "{\"question_id\": 81, \"category\": \"writing\", \"turns\": [\"" + BLOG + "\", \"Rewrite it.\"]}\n"
            + "{\"question_id\": 82, \"category\": \"math\", \"turns\": [\"" + PROOF + "\", \"Now 3.\"]}\n");
    write(d.resolve("routellm_evals/mt_bench/judgements.jsonl"),
        judgement(81, W, 1, 9) + judgement(81, S, 1, 9) + judgement(81, W, 2, 1) + judgement(81, S, 2, 10)
            + judgement(82, W, 1, 4) + judgement(82, S, 1, 10));
    write(d.resolve("math_hendrycks/math_test_5000.jsonl"),
        "{\"problem\": \"Compute $1+1$.\", \"level\": \"Level 1\"}\n{\"problem\": \"Find all $x$.\", \"level\": \"Level 3\"}\n"
            + "{\"problem\": \"Prove the olympiad bound.\", \"level\": \"Level 5\"}\n");
    for (String n : RoutingLabels.COMPETITION)
      write(d.resolve("math_competition_hard/" + n + "_test.jsonl"), "{\"problem\": \"Hard " + n + " problem.\"}\n");
    write(d.resolve("arena_hard/arena-hard-v0.1_question.jsonl"), "{\"uid\": \"a\", \"prompt\": \"Write a lock-free queue in C++.\"}\n");
    write(d.resolve("arena_hard/arena-hard-v2.0_question.jsonl"),
        "{\"uid\": \"b\", \"category\": \"hard_prompt\", \"prompt\": \"Design a consensus protocol.\"}\n"
            + "{\"uid\": \"c\", \"category\": \"creative_writing\", \"prompt\": \"Write a poem about rain.\"}\n");
    write(d.resolve("mbpp/mbpp.jsonl"), "{\"text\": \"Write a function to reverse a list.\"}\n");
    write(d.resolve("humaneval/HumanEval.jsonl"), "{\"prompt\": \"def add(a, b):\\n    \\\"\\\"\\\"Add.\\\"\\\"\\\"\\n\"}\n");
    write(d.resolve("instruction_prompts/lima_llamafactory.json"),
        "[{\"instruction\": \"How do vaccines work?\", \"output\": \"" + words(200) + "\"},"
            + " {\"instruction\": \"Hello!\", \"output\": \"Hi there.\"}]");
    write(d.resolve("instruction_prompts/alpaca_en_demo_llamafactory.json"),
        "[{\"instruction\": \"Name a primary color.\", \"input\": \"\", \"output\": \"Red.\"},"
            + " {\"instruction\": \"Explain photosynthesis.\", \"input\": \"\", \"output\": \"" + words(160) + "\"},"
            + " {\"instruction\": \"Describe a cat.\", \"input\": \"\", \"output\": \"" + words(80) + "\"},"
            + " {\"instruction\": \"Translate to French.\", \"input\": \"Good morning\", \"output\": \"Bonjour\"}]");
    write(d.resolve("instruction_prompts/alpaca_seed_tasks.jsonl"),
        "{\"id\": \"seed_task_0\", \"instruction\": \"Is this positive?\", \"instances\": [{\"input\": \"I love it\", \"output\": \"Yes\"}]}\n");
    write(d.resolve("commonsenseqa/dev_rand_split.jsonl"),
        "{\"id\": \"x\", \"question\": \"Where do you keep milk?\", \"choices\": {\"label\": [\"A\"], \"text\": [\"fridge\"]}}\n");
    write(d.resolve("truthfulqa/TruthfulQA.csv"), "Type,Category,Question\nAdversarial,Misc,What happens if you swallow gum?\n");
    write(d.resolve("arc/arc_challenge_test.jsonl"), "{\"id\": \"y\", \"question\": \"Which is a physical change?\", \"options\": []}\n");
    return root;
  }

  @Test
  void theCorpusAppliesEveryRuleKeepsHeldOutAndProtectedPromptsOutAndDropsDuplicates(@TempDir Path root) throws IOException {
    fixture(root);
    RoutingLabels.Corpus c = RoutingLabels.load(root, List.of("Explain photosynthesis.", "  where do you keep MILK? "));
    Map<String, String> byText = c.prompts().stream()
        .collect(Collectors.toMap(LabelledPrompt::text, p -> p.source() + "/" + p.tier()));

    String kept = KEPT.substring(0, KEPT.indexOf('\n'));
    assertEquals("mmlu/LOW", byText.get(kept), "weak right, choices stripped");
    assertEquals("mmlu/HIGH", byText.get(BONE.substring(0, BONE.indexOf('\n'))), "only the strong model right");
    assertFalse(byText.containsKey(NERVE.substring(0, NERVE.indexOf('\n'))), "both wrong: dropped");
    assertFalse(byText.containsKey(HELD), "held out");
    assertEquals(List.of("mmlu/LOW/" + HELD),
        c.heldOut().stream().map(p -> p.source() + "/" + p.tier() + "/" + p.text()).toList(), "labelled, but only held out");
    assertTrue(byText.keySet().stream().noneMatch(t -> t.contains("capital city of Portugal")), "the issue's examples are never trained on");
    assertEquals("gsm8k/MEDIUM", byText.get(APPLES), "weak right: GSM8K's floor");
    assertEquals("gsm8k/HIGH", byText.get(TRAIN));
    assertEquals("mt-bench/MEDIUM", byText.get(BLOG), "first turn, judge 9 / 9 (the second turn's 1 / 10 is not read)");
    assertEquals("mt-bench/HIGH", byText.get(PROOF), "first turn, judge 4 / 10");

    assertEquals("math/MEDIUM", byText.get("Compute $1+1$."));
    assertFalse(byText.containsKey("Find all $x$."), "level 3 dropped");
    assertEquals("math/HIGH", byText.get("Prove the olympiad bound."));
    for (String n : RoutingLabels.COMPETITION) assertEquals(n + "/HIGH", byText.get("Hard " + n + " problem."));
    assertEquals("arena-hard-v0.1/HIGH", byText.get("Write a lock-free queue in C++."));
    assertEquals("arena-hard-v2.0/HIGH", byText.get("Design a consensus protocol."));
    assertEquals("arena-creative-v2.0/MEDIUM", byText.get("Write a poem about rain."));
    assertEquals("mbpp/MEDIUM", byText.get("Write a function to reverse a list."));
    assertTrue(byText.entrySet().stream().anyMatch(e -> e.getKey().startsWith("def add") && e.getValue().equals("humaneval/MEDIUM")));
    assertEquals("lima/MEDIUM", byText.get("How do vaccines work?"));
    assertEquals("lima/LOW", byText.get("Hello!"), "a short reference answer");
    assertEquals("alpaca/LOW", byText.get("Name a primary color."));
    assertEquals("alpaca/LOW", byText.get("Translate to French.\nGood morning"), "instruction plus input");
    assertFalse(byText.containsKey("Explain photosynthesis."), "protected: a dev-set prompt");
    assertFalse(byText.containsKey("Describe a cat."), "an 80-word answer: dropped");
    assertEquals("alpaca-seed/LOW", byText.get("Is this positive?\nI love it"));
    assertFalse(byText.containsKey("Where do you keep milk?"), "protected, compared without case and spacing");
    assertEquals("truthfulqa/LOW", byText.get("What happens if you swallow gum?"));
    assertEquals("arc-challenge/LOW", byText.get("Which is a physical change?"));

    assertEquals(1, c.dropped().get("mmlu: no label (both-wrong)"));
    assertEquals(1, c.dropped().get("alpaca: protected (dev set or issue example)"));
    assertEquals(1, c.dropped().get("mmlu: protected (dev set or issue example)"));
    assertEquals(1, c.dropped().get("commonsenseqa: protected (dev set or issue example)"));
  }

  @Test
  void aDuplicateIsLabelledOnceAndACopyOfAHeldOutPromptIsNotTrainedOn() {
    RoutingLabels.Collector c = new RoutingLabels.Collector(List.of());
    c.add("a", "1", "Same text", Optional.of(Tier.LOW), "x", false);
    c.add("b", "1", "same   TEXT", Optional.of(Tier.HIGH), "x", false);
    c.add("mmlu", "2", "Held text", Optional.of(Tier.LOW), "x", true);
    c.add("c", "1", "held text", Optional.of(Tier.MEDIUM), "x", false);
    c.add("d", "1", "Later held", Optional.of(Tier.MEDIUM), "x", false);
    c.add("mmlu", "3", "Later held", Optional.of(Tier.LOW), "x", true);
    c.removeHeldOutDuplicates();
    assertEquals(List.of("a:1"), c.prompts.stream().map(LabelledPrompt::id).toList());
    assertEquals(2, c.heldOut.size());
  }

  /** The real data: the held-out split and the label counts the docs and the shipped metadata report. */
  @Test
  void onTheSharedDataTheHeldOutSplitIsThirtyPercentOfEachRouteLlmSource() throws IOException {
    Path shared = Path.of(System.getProperty("pickspin.shared.dir"));
    List<RoutingLabels.RouteLlmPrompt> all = RoutingLabels.routeLlm(shared);
    Map<String, long[]> bySource = new java.util.TreeMap<>();
    for (var p : all) {
      long[] n = bySource.computeIfAbsent(p.source(), k -> new long[2]);
      n[0]++;
      if (p.heldOut()) n[1]++;
      assertEquals(RoutingLabels.isHeldOut(p.source(), p.prompt()), p.heldOut());
    }
    assertEquals(14042, bySource.get("mmlu")[0]);
    assertEquals(1319, bySource.get("gsm8k")[0]);
    assertEquals(80, bySource.get("mt-bench")[0]);
    assertEquals(0.30, (double) bySource.get("mmlu")[1] / bySource.get("mmlu")[0], 0.015);
    assertEquals(0.30, (double) bySource.get("gsm8k")[1] / bySource.get("gsm8k")[0], 0.03);
    RoutingLabels.Corpus c = RoutingLabels.load(shared, EverydayPrompts.devPrompts());
    for (LabelledPrompt p : c.prompts()) assertFalse(RoutingLabels.isHeldOut(p.source(), p.text()) && p.source().equals("gsm8k"), p.id());
    assertEquals(0, c.prompts().stream().filter(p -> p.source().equals("mmlu") && p.text().endsWith("Answer:")).count(),
        "no MMLU prompt keeps its answer stem");
  }

  static String words(int n) {
    return String.join(" ", java.util.Collections.nCopies(n, "word"));
  }

  static String csv(String field) {
    return "\"" + field.replace("\"", "\"\"") + "\"";
  }

  static String judgement(int q, String model, int turn, int score) {
    return "{\"question_id\": " + q + ", \"model\": \"" + model + "\", \"judge\": [\"gpt-4\", \"single-v1\"], \"turn\": " + turn
        + ", \"score\": " + score + "}\n";
  }

  static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
