package io.pickspin.lab.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResultsFileTest {
  private static ResultsFile.Run run(int day, String options) {
    return new ResultsFile.Run("bin/bench", options, ZonedDateTime.of(2026, 12, day, 8, 30, 0, 0, ZoneOffset.UTC), "abc1234",
        "2 cores");
  }

  private static Map<String, String> headline(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }

  @Test
  void aRunReplacesTheTablesAndAppendsItsRowToTheHistory() {
    String first = ResultsFile.render("", "Bench", run(1, ""), "## Tables\n\n| a |\n|---|\n| 1 |\n", headline("p99 ms", "2.5"));
    String second = ResultsFile.render(first, "Bench", run(2, "--rounds 3"), "## Tables\n\n| a |\n|---|\n| 2 |\n",
        headline("p99 ms", "2.1", "p50 ms", "0.3"));
    assertTrue(second.startsWith("# Bench\n\nCommand: `bin/bench --rounds 3`  \nDate: 2026-12-02T08:30:00Z  \nCommit: abc1234"), second);
    assertTrue(second.contains("| 2 |") && !second.contains("| 1 |\n"), "the tables are the last run's only");
    List<Map<String, String>> history = ResultsFile.history(second);
    assertEquals(2, history.size());
    assertEquals(Map.of("date", "2026-12-01 08:30Z", "commit", "abc1234", "options", "(defaults)", "p99 ms", "2.5", "p50 ms", ""),
        history.get(0));
    assertEquals("`--rounds 3`", history.get(1).get("options"));
    assertEquals("0.3", history.get(1).get("p50 ms"));
  }

  @Test
  void aReRunThatReproducedTheNumbersAddsNoRow() {
    String first = ResultsFile.render("", "Bench", run(1, ""), "body", headline("p99 ms", "2.5"));
    String again = ResultsFile.render(first, "Bench", run(2, ""), "body", headline("p99 ms", "2.5"));
    List<Map<String, String>> history = ResultsFile.history(again);
    assertEquals(1, history.size(), "the same numbers: the first run that produced them stays");
    assertEquals("2026-12-01 08:30Z", history.get(0).get("date"));
    assertTrue(again.contains("Date: 2026-12-02T08:30:00Z"), "the header is the last run's");
    String changed = ResultsFile.render(again, "Bench", run(3, ""), "body", headline("p99 ms", "2.4"));
    assertEquals(2, ResultsFile.history(changed).size());
    String otherOptions = ResultsFile.render(changed, "Bench", run(4, "--rounds 3"), "body", headline("p99 ms", "2.4"));
    assertEquals(3, ResultsFile.history(otherOptions).size(), "other options are another row");
  }

  @Test
  void aColumnThatOnlyEarlierRunsHadIsKept() {
    String first = ResultsFile.render("", "Bench", run(1, ""), "body", headline("old metric", "a|b"));
    String second = ResultsFile.render(first, "Bench", run(2, ""), "body", headline("new metric", "7"));
    List<Map<String, String>> history = ResultsFile.history(second);
    assertEquals("a|b", history.get(0).get("old metric"), "a | in a cell survives");
    assertEquals("7", history.get(1).get("new metric"));
    assertEquals("", history.get(1).get("old metric"));
  }

  @Test
  void theCommandIsTheArgumentsAsAShellTakesThem() {
    assertEquals("--rates 1000 --label 'quiet machine' --classpath ... --jvm-opts '-Xms1g -Xmx1g'",
        ResultsFile.shellWords(new String[] {"--rates", "1000", "--label", "quiet machine", "--classpath", "/a.jar:/b.jar",
            "--jvm-opts", "-Xms1g -Xmx1g"}));
    assertEquals("--baseline-classpath=... 'it'\\''s'", ResultsFile.shellWords(new String[] {"--baseline-classpath=/x", "it's"}));
  }
}
