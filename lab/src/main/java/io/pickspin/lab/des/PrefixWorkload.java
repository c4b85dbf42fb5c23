package io.pickspin.lab.des;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.lab.common.CsvTable;
import io.pickspin.prefix.PromptBlocks;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Request streams whose prompts carry their prefix-cache block hashes ({@link PromptBlocks}), for the prefix-cache
 * benchmark: Mooncake's conversation trace (its hash_ids), a multi-turn replay of MT-bench, and the Azure LLM
 * conversation trace with every prompt its own (no shared prefixes).
 *
 * @param blockTokens tokens per block of this workload's hashes
 */
public record PrefixWorkload(String name, String description, List<Turn> firstTurns, int blockTokens, double durationMs) {

  /**
   * One request. A conversation's later turn arrives {@code thinkMs} after the previous turn's answer ends.
   *
   * @param blocks the prompt's block hashes
   * @param answered the blocks of prompt and answer (what the next turn's prompt starts with); null when unknown
   * @param next the conversation's next turn, or null
   */
  public record Turn(double atMs, int inputTokens, int outputTokens, long[] blocks, long[] answered, Turn next, double thinkMs) {}

  public PrefixWorkload {
    firstTurns = List.copyOf(firstTurns);
  }

  public int requests() {
    int n = 0;
    for (Turn t : firstTurns) for (Turn u = t; u != null; u = u.next()) n++;
    return n;
  }

  /** The first turns arriving in [fromMs, toMs), shifted to start at 0 (later turns follow them). */
  public PrefixWorkload window(double fromMs, double toMs) {
    List<Turn> l = new ArrayList<>();
    for (Turn t : firstTurns) {
      if (t.atMs() >= fromMs && t.atMs() < toMs) l.add(shift(t, -fromMs));
    }
    return new PrefixWorkload(name, description, l, blockTokens, Math.min(toMs, durationMs) - fromMs);
  }

  /** Every first turn's arrival moved by U(0, jitterMs): the seed's variation of a replayed trace. */
  public PrefixWorkload jittered(double jitterMs, long seed) {
    if (jitterMs <= 0) return this;
    SplittableRandom rng = new SplittableRandom(seed);
    List<Turn> l = new ArrayList<>(firstTurns.size());
    for (Turn t : firstTurns) l.add(shift(t, rng.nextDouble() * jitterMs));
    l.sort(Comparator.comparingDouble(Turn::atMs));
    return new PrefixWorkload(name, description, l, blockTokens, durationMs + jitterMs);
  }

  private static Turn shift(Turn t, double by) {
    return new Turn(t.atMs() + by, t.inputTokens(), t.outputTokens(), t.blocks(), t.answered(), t.next(), t.thinkMs());
  }

  /** Mooncake FAST'25 conversation trace: timestamp (ms), input_length, output_length, hash_ids (512-token blocks). */
  public static PrefixWorkload mooncake(Path jsonl, double speedUp) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Turn> l = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.isBlank()) continue;
        JsonNode j = json.readTree(line);
        JsonNode ids = j.get("hash_ids");
        long[] raw = new long[ids.size()];
        for (int i = 0; i < raw.length; i++) raw[i] = ids.get(i).asLong();
        l.add(new Turn(j.get("timestamp").asDouble() / speedUp, Math.max(2, j.get("input_length").asInt()),
            Math.max(1, j.get("output_length").asInt()), PromptBlocks.chain(raw), null, null, 0));
      }
    }
    l.sort(Comparator.comparingDouble(Turn::atMs));
    return new PrefixWorkload("mooncake-conv", "Mooncake FAST'25 conversation trace, hash_ids as 512-token blocks"
        + speedNote(speedUp), l, PromptBlocks.DEFAULT_BLOCK_TOKENS, l.get(l.size() - 1).atMs() + 1);
  }

  /**
   * Azure LLM inference 2023 conversation trace: real arrivals and lengths, and no shared prefixes (the trace has no
   * content): every prompt's blocks are its own.
   */
  public static PrefixWorkload azureConv(Path csv, double speedUp, int blockTokens) throws IOException {
    CsvTable t = CsvTable.read(csv);
    int at = t.column("TIMESTAMP"), in = t.column("ContextTokens"), out = t.column("GeneratedTokens");
    List<Turn> l = new ArrayList<>();
    long first = Long.MIN_VALUE;
    long id = 0;
    for (List<String> f : t.rows()) {
      long micros = Trace.epochMicros(f.get(at).trim());
      if (first == Long.MIN_VALUE) first = micros;
      int input = Math.max(2, Integer.parseInt(f.get(in).trim()));
      long[] raw = new long[PromptBlocks.blocksOf(input, blockTokens)];
      for (int i = 0; i < raw.length; i++) raw[i] = id++;
      l.add(new Turn((micros - first) / 1000.0 / speedUp, input, Math.max(1, Integer.parseInt(f.get(out).trim())),
          PromptBlocks.chain(raw), null, null, 0));
    }
    l.sort(Comparator.comparingDouble(Turn::atMs));
    double start = l.get(0).atMs();
    List<Turn> shifted = l.stream().map(q -> shift(q, -start)).toList();
    return new PrefixWorkload("azure-conv", "Azure LLM inference 2023 conversation trace, no shared prefixes"
        + speedNote(speedUp), shifted, blockTokens, shifted.get(shifted.size() - 1).atMs() + 1);
  }

  /**
   * A multi-turn replay of MT-bench: conversations start as a Poisson process at {@code conversationsPerSecond} for
   * {@code minutes}; each takes a question (uniformly, with replacement) and asks its first turn after a system prompt
   * of {@code systemTokens} words shared by every conversation; the answer has a length drawn from {@code answerLengths}
   * (words standing for its tokens, its own); the second turn arrives {@code thinkMs} (exponential mean) after the
   * first answer ends and carries system prompt, question, answer and the second question. Tokens are words (the sim
   * server's count); blocks of {@code blockTokens}.
   */
  public static PrefixWorkload mtBench(Path questionsJsonl, List<Integer> answerLengths, double conversationsPerSecond,
      double minutes, int systemTokens, double thinkMs, int blockTokens, long seed) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String[]> questions = new ArrayList<>();
    for (String line : Files.readAllLines(questionsJsonl, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      JsonNode turns = json.readTree(line).get("turns");
      if (turns != null && turns.size() >= 2) questions.add(new String[] {turns.get(0).asText(), turns.get(1).asText()});
    }
    StringBuilder system = new StringBuilder();
    for (int i = 0; i < systemTokens; i++) system.append("sys").append(i).append(' ');
    SplittableRandom rng = new SplittableRandom(seed);
    List<Turn> l = new ArrayList<>();
    double t = 0, end = minutes * 60_000;
    for (int c = 0; ; c++) {
      t += -Math.log(1 - rng.nextDouble()) / conversationsPerSecond * 1000;
      if (t >= end) break;
      String[] q = questions.get(rng.nextInt(questions.size()));
      String prompt1 = system + q[0];
      int answer1 = answerLengths.get(rng.nextInt(answerLengths.size()));
      int answer2 = answerLengths.get(rng.nextInt(answerLengths.size()));
      String withAnswer1 = prompt1 + ' ' + words("c" + c + "a", answer1);
      String prompt2 = withAnswer1 + ' ' + q[1];
      String withAnswer2 = prompt2 + ' ' + words("c" + c + "b", answer2);
      Turn second = new Turn(0, count(prompt2), answer2, PromptBlocks.ofWords(prompt2, blockTokens),
          PromptBlocks.ofWords(withAnswer2, blockTokens), null, 0);
      l.add(new Turn(t, count(prompt1), answer1, PromptBlocks.ofWords(prompt1, blockTokens),
          PromptBlocks.ofWords(withAnswer1, blockTokens), second, -Math.log(1 - rng.nextDouble()) * thinkMs));
    }
    return new PrefixWorkload("mt-bench-2turn", String.format(java.util.Locale.ROOT,
        "MT-bench, %d questions, 2 turns per conversation, %.2f conversations/s for %.0f min, %d-word shared system prompt, "
            + "answers of the Azure conversation trace's output lengths, think time exp(mean %.0f s), %d-token blocks",
        questions.size(), conversationsPerSecond, minutes, systemTokens, thinkMs / 1000, blockTokens), l, blockTokens, end);
  }

  /**
   * llm-d's "KV-cache wins you can see" workload shape: {@code groups} customers, each with its own context of {@code
   * contextTokens} that all its requests start with, followed by a question of {@code queryTokens} of their own;
   * Poisson arrivals at {@code qps}, customers drawn uniformly.
   */
  public static PrefixWorkload sharedContexts(int groups, int contextTokens, int queryTokens, int outputTokens, double qps,
      double minutes, int blockTokens, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int input = contextTokens + queryTokens;
    int blocks = PromptBlocks.blocksOf(input, blockTokens), shared = contextTokens / blockTokens;
    List<Turn> l = new ArrayList<>();
    double t = 0, end = minutes * 60_000;
    long unique = 1L << 40;
    while (true) {
      t += -Math.log(1 - rng.nextDouble()) / qps * 1000;
      if (t >= end) break;
      long[] raw = new long[blocks];
      int g = rng.nextInt(groups);
      for (int i = 0; i < blocks; i++) raw[i] = i < shared ? (long) g * blocks + i : unique++;
      l.add(new Turn(t, input, outputTokens, PromptBlocks.chain(raw), null, null, 0));
    }
    return new PrefixWorkload("llm-d-shape", String.format(java.util.Locale.ROOT,
        "llm-d's benchmark shape (synthetic): %d customers with a %d-token context each, %d-token questions, %d-token "
            + "answers (assumed), Poisson %.1f req/s for %.0f min", groups, contextTokens, queryTokens, outputTokens, qps, minutes),
        l, blockTokens, end);
  }

  private static String words(String tag, int n) {
    StringBuilder b = new StringBuilder(n * 8);
    for (int i = 0; i < n; i++) b.append(tag).append(i).append(' ');
    return b.toString();
  }

  private static int count(String text) {
    int n = 0;
    boolean in = false;
    for (int i = 0; i < text.length(); i++) {
      boolean space = Character.isWhitespace(text.charAt(i));
      if (!space && !in) n++;
      in = !space;
    }
    return Math.max(2, n);
  }

  private static String speedNote(double speedUp) {
    return speedUp == 1 ? ", real time" : String.format(java.util.Locale.ROOT, ", time compressed x%.2f", speedUp);
  }
}
