package io.pickspin.lab.train;

import io.pickspin.model.Tier;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Accuracy, per-class recall, confusion matrix and per-source accuracy of tier predictions. Not thread-safe. */
public final class Evaluation {
  private final long[][] confusion = new long[3][3];
  private final Map<String, long[]> bySource = new TreeMap<>();
  private long total;
  private long correct;

  public void add(Tier truth, Tier predicted, String source) {
    confusion[truth.ordinal()][predicted.ordinal()]++;
    total++;
    boolean ok = truth == predicted;
    if (ok) correct++;
    long[] s = bySource.computeIfAbsent(source, k -> new long[2]);
    if (ok) s[0]++;
    s[1]++;
  }

  public long total() {
    return total;
  }

  public double accuracy() {
    return total == 0 ? 0 : (double) correct / total;
  }

  public double recall(Tier t) {
    long[] row = confusion[t.ordinal()];
    long n = row[0] + row[1] + row[2];
    return n == 0 ? 0 : (double) row[t.ordinal()] / n;
  }

  public double precision(Tier t) {
    long n = 0;
    for (long[] row : confusion) n += row[t.ordinal()];
    return n == 0 ? 0 : (double) confusion[t.ordinal()][t.ordinal()] / n;
  }

  public long[][] confusion() {
    return confusion;
  }

  /** Machine-readable summary for classifier.json. */
  public Map<String, Object> summary() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("n", total);
    m.put("accuracy", round(accuracy()));
    Map<String, Object> recall = new LinkedHashMap<>();
    for (Tier t : Tier.values()) recall.put(t.name(), round(recall(t)));
    m.put("recall", recall);
    m.put("confusion", confusion);
    Map<String, Object> src = new LinkedHashMap<>();
    bySource.forEach((k, v) -> src.put(k, Map.of("n", v[1], "accuracy", round((double) v[0] / v[1]))));
    m.put("bySource", src);
    return m;
  }

  private static double round(double d) {
    return Math.round(d * 10000) / 10000.0;
  }

  /** Markdown: headline, per-class recall/precision, confusion matrix, per-source accuracy. */
  public String toMarkdown() {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "Accuracy: **%.2f%%** (%d of %d)%n%n", 100 * accuracy(), correct, total));
    s.append("| tier | recall | precision | support |\n|---|---|---|---|\n");
    for (Tier t : Tier.values()) {
      long[] row = confusion[t.ordinal()];
      s.append(String.format(Locale.ROOT, "| %s | %.2f%% | %.2f%% | %d |%n", t, 100 * recall(t), 100 * precision(t), row[0] + row[1] + row[2]));
    }
    s.append("\nConfusion matrix (rows: label, columns: predicted)\n\n| label \\ predicted | LOW | MEDIUM | HIGH |\n|---|---|---|---|\n");
    for (Tier t : Tier.values()) {
      long[] r = confusion[t.ordinal()];
      s.append(String.format(Locale.ROOT, "| %s | %d | %d | %d |%n", t, r[0], r[1], r[2]));
    }
    s.append("\nAccuracy per source\n\n| source | n | accuracy |\n|---|---|---|\n");
    bySource.forEach((k, v) -> s.append(String.format(Locale.ROOT, "| %s | %d | %.2f%% |%n", k, v[1], 100.0 * v[0] / v[1])));
    return s.toString();
  }
}
