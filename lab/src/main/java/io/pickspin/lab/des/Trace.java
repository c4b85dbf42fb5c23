package io.pickspin.lab.des;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.lab.common.CsvTable;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A request arrival trace: when each request came and how many tokens it read and wrote. Loaders for the real traces in
 * ../shared/data; times start at 0 and may be compressed by a speed-up factor (the traces come from clusters far larger
 * than one deployment; compressing keeps their burst shape and token lengths while raising the rate).
 */
public record Trace(String name, String description, List<Request> requests, double durationMs) {

  /** One arrival. */
  public record Request(double atMs, int inputTokens, int outputTokens) {}

  public Trace {
    requests = List.copyOf(requests);
  }

  public double meanRatePerSecond() {
    return requests.size() / (durationMs / 1000.0);
  }

  /**
   * The same requests with time divided by {@code factor} (2 = twice the rate), named "NAME xFACTOR"; the identity for
   * factor 1.
   */
  public Trace compressed(double factor) {
    if (factor == 1) return this;
    if (!(factor > 0)) throw new IllegalArgumentException("time compression must be > 0, got " + factor);
    List<Request> l = new ArrayList<>(requests.size());
    for (Request r : requests) l.add(new Request(r.atMs() / factor, r.inputTokens(), r.outputTokens()));
    String f = factor == Math.rint(factor) ? String.valueOf((long) factor) : String.valueOf(factor);
    return new Trace(name + " x" + f, description + ", time compressed x" + f, l, durationMs / factor);
  }

  /** The arrivals of [fromMs, toMs), shifted to start at 0. */
  public Trace window(double fromMs, double toMs) {
    List<Request> l = new ArrayList<>();
    for (Request r : requests) {
      if (r.atMs() >= fromMs && r.atMs() < toMs) l.add(new Request(r.atMs() - fromMs, r.inputTokens(), r.outputTokens()));
    }
    return new Trace(name, description + String.format(java.util.Locale.ROOT, ", window %.0f-%.0f min", fromMs / 60000, toMs / 60000),
        l, Math.min(durationMs, toMs) - fromMs);
  }

  /** Azure LLM inference trace 2023 (TIMESTAMP, ContextTokens, GeneratedTokens), time divided by {@code speedUp}. */
  public static Trace azureLlm(Path csv, String name, double speedUp) throws IOException {
    List<Request> l = new ArrayList<>();
    long first = Long.MIN_VALUE;
    CsvTable t = CsvTable.read(csv);
    if (!t.hasColumn("TIMESTAMP")) throw new IOException("not an Azure LLM trace: " + csv);
    int at = t.column("TIMESTAMP"), in = t.column("ContextTokens"), out = t.column("GeneratedTokens");
    for (List<String> f : t.rows()) {
      long micros = epochMicros(f.get(at).trim());
      if (first == Long.MIN_VALUE) first = micros;
      l.add(new Request((micros - first) / 1000.0 / speedUp, Math.max(1, Integer.parseInt(f.get(in).trim())),
          Math.max(1, Integer.parseInt(f.get(out).trim()))));
    }
    l.sort(Comparator.comparingDouble(Request::atMs));
    double start = l.get(0).atMs();
    List<Request> shifted = l.stream().map(q -> new Request(q.atMs() - start, q.inputTokens(), q.outputTokens())).toList();
    return new Trace(name, "Azure LLM inference 2023 (" + csv.getFileName() + ")" + speedNote(speedUp), shifted,
        shifted.get(shifted.size() - 1).atMs() + 1);
  }

  /** "2023-11-16 18:17:03.9799600" to microseconds since the epoch (fraction of any length). */
  static long epochMicros(String ts) {
    int dot = ts.indexOf('.');
    String whole = dot < 0 ? ts : ts.substring(0, dot);
    long seconds = LocalDateTime.parse(whole.replace(' ', 'T')).toEpochSecond(ZoneOffset.UTC);
    long micros = 0;
    if (dot >= 0) {
      String frac = (ts.substring(dot + 1) + "000000").substring(0, 6);
      micros = Long.parseLong(frac);
    }
    return seconds * 1_000_000 + micros;
  }

  /** Mooncake FAST'25 trace (timestamp ms, input_length, output_length per JSON line), time divided by speedUp. */
  public static Trace mooncake(Path jsonl, double speedUp) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Request> l = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.isBlank()) continue;
        JsonNode j = json.readTree(line);
        l.add(new Request(j.get("timestamp").asDouble() / speedUp, Math.max(1, j.get("input_length").asInt()),
            Math.max(1, j.get("output_length").asInt())));
      }
    }
    l.sort(Comparator.comparingDouble(Request::atMs));
    return new Trace("mooncake-conv", "Mooncake FAST'25 conversation trace" + speedNote(speedUp), l, l.get(l.size() - 1).atMs() + 1);
  }

  /**
   * Invocations per minute of the day from an Azure Functions 2019 invitro file (HashFunction, HashOwner, HashApp, then
   * one column per minute): {@code select} "all" sums every function, "rank:N" takes the N-th busiest (1 = busiest).
   */
  public static long[] invocationsPerMinute(Path invocationsCsv, String select) throws IOException {
    CsvTable t = CsvTable.read(invocationsCsv);
    if (!t.hasColumn("HashFunction")) throw new IOException("not an invocations file: " + invocationsCsv);
    List<long[]> rows = new ArrayList<>();
    for (List<String> f : t.rows()) {
      long[] c = new long[f.size() - 3];
      for (int i = 3; i < f.size(); i++) c[i - 3] = Long.parseLong(f.get(i).trim());
      rows.add(c);
    }
    if (rows.isEmpty()) throw new IOException("no functions in " + invocationsCsv);
    if (select.equals("all")) {
      long[] counts = new long[rows.get(0).length];
      for (long[] c : rows) for (int i = 0; i < counts.length; i++) counts[i] += c[i];
      return counts;
    }
    if (select.startsWith("rank:")) {
      rows.sort(Comparator.comparingLong((long[] c) -> Arrays.stream(c).sum()).reversed());
      return rows.get(Integer.parseInt(select.substring(5)) - 1);
    }
    throw new IllegalArgumentException("function selection must be all or rank:N, got " + select);
  }

  /**
   * Azure Functions 2019 per-minute invocation counts (invitro sample): {@code select} "all" sums every function,
   * "rank:N" takes the N-th busiest; normalised to mean 1 and scaled to {@code meanRatePerSecond}, Poisson arrivals
   * within each minute; token lengths drawn from {@code lengths} (e.g. the Azure LLM conversation trace). {@code
   * minutes} from minute {@code firstMinute} of the day.
   */
  public static Trace azureFunctions(Path invocationsCsv, String name, String select, double meanRatePerSecond,
      int firstMinute, int minutes, List<Request> lengths, long seed) throws IOException {
    long[] counts = invocationsPerMinute(invocationsCsv, select);
    double mean = Arrays.stream(counts).average().orElse(0);
    SplittableRandom rng = new SplittableRandom(seed);
    List<Request> l = new ArrayList<>();
    int n = Math.min(minutes, counts.length - firstMinute);
    for (int m = 0; m < n; m++) {
      double ratePerMs = meanRatePerSecond * counts[firstMinute + m] / mean / 1000.0;
      if (ratePerMs <= 0) continue;
      double t = m * 60_000.0;
      while (true) {
        t += -Math.log(1 - rng.nextDouble()) / ratePerMs;
        if (t >= (m + 1) * 60_000.0) break;
        Request len = lengths.get(rng.nextInt(lengths.size()));
        l.add(new Request(t, len.inputTokens(), len.outputTokens()));
      }
    }
    String which = select.equals("all") ? "all 1000 functions summed" : "the " + select.substring(5) + "-th busiest function";
    return new Trace(name, String.format(java.util.Locale.ROOT,
        "Azure Functions 2019 per-minute invocations (invitro sample, %s), minutes %d-%d of the day scaled to a mean of %.2f req/s, Poisson within each minute, token lengths from the Azure LLM conversation trace",
        which, firstMinute, firstMinute + n, meanRatePerSecond), l, n * 60_000.0);
  }

  private static String speedNote(double speedUp) {
    return speedUp == 1 ? ", real time" : String.format(java.util.Locale.ROOT, ", time compressed x%.1f", speedUp);
  }
}
