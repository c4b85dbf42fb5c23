package io.pickspin.lab.des;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.Tier;
import io.pickspin.lab.train.LabelledPrompt;
import io.pickspin.lab.train.PromptCorpus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AnswerModelTest {
  static AnswerModel answers;

  @BeforeAll
  static void load() throws IOException {
    answers = AnswerModel.fit(PromptCorpus.sharedDir(), List.of(), 3);
  }

  @Test
  void factorWeightReproducesTheMeasuredAgreement() {
    for (AnswerModel.Reference r : answers.references().values()) {
      double tw = Gaussian.inverseCdf(r.weakAccuracy()), ts = Gaussian.inverseCdf(r.strongAccuracy());
      assertEquals(r.bothRight(), Gaussian.bivariateCdf(tw, ts, r.rho()), 0.002, r.toString());
      assertTrue(r.rho() > 0 && r.rho() < 1, r.toString());
    }
  }

  @Test
  void eachModelKeepsItsPublishedAccuracyAndHarderPromptsFailMore() {
    List<LabelledPrompt> plain = new ArrayList<>(), easy = new ArrayList<>(), hard = new ArrayList<>();
    for (int i = 0; i < 4000; i++) {
      plain.add(new LabelledPrompt("arc-challenge:" + i, "arc-challenge", "q" + i, Tier.MEDIUM, "benchmark"));
      easy.add(new LabelledPrompt("mmlu:" + i, "mmlu", "q" + i, Tier.LOW, "weak-correct"));
      hard.add(new LabelledPrompt("mmlu:" + (10_000 + i), "mmlu", "h" + i, Tier.HIGH, "both-wrong"));
    }
    for (String m : List.of("Llama-3.1-8B-Instruct", "Gemma-3-27B-IT", "Qwen3-32B(non-thinking)")) {
      double published = answers.accuracy(m, "arc-challenge");
      assertEquals(published, answers.expectedAccuracy(m, plain), 0.02, m);
      long drawn = plain.stream().filter(p -> answers.correct(m, p)).count();
      assertEquals(published, drawn / 4000.0, 0.03, m + " draws");
      assertTrue(answers.expectedAccuracy(m, easy) > published + 0.05, m + " on prompts Mixtral got right");
      assertTrue(answers.expectedAccuracy(m, hard) < published - 0.10, m + " on prompts GPT-4 and Mixtral both failed");
    }
    LabelledPrompt p = plain.get(7);
    assertEquals(answers.correct("Gemma-3-27B-IT", p), answers.correct("Gemma-3-27B-IT", p), "deterministic");
  }
}
