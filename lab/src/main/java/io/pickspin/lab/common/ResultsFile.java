package io.pickspin.lab.common;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A program's results file (bench/results/NAME.md, chaos/results/NAME.md): the last run in full (command, date,
 * commit and machine, then the program's tables and the statements it computed from them), then a dated history
 * table of the runs' headline numbers, oldest first. A run rewrites everything above the history and appends its row
 * to it, unless the row before holds the same numbers and options (a re-run that reproduced them adds no row: the
 * history records when the numbers changed, the header above which run is the last).
 */
public final class ResultsFile {
  static final String HISTORY = "## History";
  private static final List<String> RUN_COLUMNS = List.of("date", "commit", "options");
  private static final DateTimeFormatter HISTORY_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm'Z'", Locale.ROOT);
  private static final Pattern CELL_SEPARATOR = Pattern.compile("(?<!\\\\)\\|");

  private ResultsFile() {}

  /**
   * How and where a run started: the command as given (the program's name and its arguments), the start time, the
   * commit of the working tree and the machine.
   *
   * @param options the arguments as a shell would take them; a classpath value is shown as "..."
   */
  public record Run(String program, String options, ZonedDateTime started, String commit, String machine) {
    /**
     * Captures the run at a program's start. The command shown starts with the system property
     * {@code pickspin.command}, which the bin scripts set to their own name, else with "java" and the main class.
     */
    public static Run start(Class<?> main, String[] argv) {
      return new Run(System.getProperty("pickspin.command", "java " + main.getName()), shellWords(argv),
          ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS), headCommit(), thisMachine());
    }

    public String command() {
      return options.isEmpty() ? program : program + " " + options;
    }

    /** The run's lines at the top of its results file. */
    public String header() {
      return "Command: `" + command() + "`  \n"
          + "Date: " + started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + "  \n"
          + "Commit: " + commit + "  \n"
          + "Machine: " + machine + "\n";
    }
  }

  /**
   * Writes {@code file}: the title, the run's header, the body, and the history with this run's row appended (the
   * history already in the file is kept). Returns what it wrote.
   *
   * @param headline the run's headline numbers by column name, in column order
   */
  public static String write(Path file, String title, Run run, String body, Map<String, String> headline) throws IOException {
    String existing = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    String text = render(existing, title, run, body, headline);
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) Files.createDirectories(dir);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return text;
  }

  /** The new text of a results file whose current text is {@code existing} (empty for a new file). */
  static String render(String existing, String title, Run run, String body, Map<String, String> headline) {
    List<Map<String, String>> history = new ArrayList<>();
    Map<String, String> row = new LinkedHashMap<>();
    row.put("date", run.started().withZoneSameInstant(ZoneOffset.UTC).format(HISTORY_DATE));
    row.put("commit", run.commit());
    row.put("options", run.options().isEmpty() ? "(defaults)" : "`" + run.options() + "`");
    row.putAll(headline);
    for (Map<String, String> r : Stream.concat(history(existing).stream(), Stream.of(row)).toList()) {
      if (history.isEmpty() || !sameNumbers(history.get(history.size() - 1), r)) history.add(r);
    }
    // this run's columns first, then any that only earlier runs had, so that no recorded number is dropped
    Set<String> columns = new LinkedHashSet<>(RUN_COLUMNS);
    columns.addAll(headline.keySet());
    history.forEach(r -> columns.addAll(r.keySet()));
    StringBuilder out = new StringBuilder("# ").append(title).append("\n\n").append(run.header()).append('\n')
        .append(body.strip()).append("\n\n").append(HISTORY).append("\n\n")
        .append("Headline numbers of every run that changed them, oldest first; the tables above are the last run's.\n\n");
    out.append(columns.stream().map(ResultsFile::cell).collect(Collectors.joining(" | ", "| ", " |\n")));
    out.append(columns.stream().map(c -> "---").collect(Collectors.joining("|", "|", "|\n")));
    for (Map<String, String> r : history) {
      out.append(columns.stream().map(c -> cell(r.getOrDefault(c, ""))).collect(Collectors.joining(" | ", "| ", " |\n")));
    }
    return out.toString();
  }

  /** Whether two history rows hold the same options and headline numbers (their dates and commits aside). */
  static boolean sameNumbers(Map<String, String> a, Map<String, String> b) {
    Set<String> columns = new LinkedHashSet<>(a.keySet());
    columns.addAll(b.keySet());
    columns.remove("date");
    columns.remove("commit");
    for (String c : columns) if (!a.getOrDefault(c, "").equals(b.getOrDefault(c, ""))) return false;
    return true;
  }

  /** The rows of the history table in a results file's text, each by column name; empty when it has none. */
  static List<Map<String, String>> history(String text) {
    List<Map<String, String>> rows = new ArrayList<>();
    List<String> lines = text.lines().toList();
    int at = lines.indexOf(HISTORY);
    if (at < 0) return rows;
    List<String> header = null;
    for (String line : lines.subList(at + 1, lines.size())) {
      if (line.startsWith("## ")) break;
      if (!line.startsWith("|")) {
        if (header != null) break;
        continue;
      }
      List<String> cells = cells(line);
      if (header == null) {
        header = cells;
      } else if (!cells.stream().allMatch(c -> c.matches(":?-+:?"))) {
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 0; i < header.size() && i < cells.size(); i++) row.put(header.get(i), cells.get(i));
        rows.add(row);
      }
    }
    return rows;
  }

  private static List<String> cells(String line) {
    String inner = line.strip();
    inner = inner.substring(1, inner.endsWith("|") && !inner.endsWith("\\|") ? inner.length() - 1 : inner.length());
    return Arrays.stream(CELL_SEPARATOR.split(inner, -1)).map(c -> c.strip().replace("\\|", "|")).toList();
  }

  private static String cell(String s) {
    return s.replace("\n", " ").replace("|", "\\|");
  }

  /** Arguments as one shell line: quoted where needed, the value of a classpath option shown as "...". */
  static String shellWords(String[] argv) {
    List<String> words = new ArrayList<>();
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      boolean classpathValue = i > 0 && argv[i - 1].startsWith("--") && argv[i - 1].endsWith("classpath");
      if (a.startsWith("--") && a.contains("=") && a.substring(0, a.indexOf('=')).endsWith("classpath")) {
        words.add(a.substring(0, a.indexOf('=') + 1) + "...");
      } else {
        words.add(classpathValue ? "..." : quoted(a));
      }
    }
    return String.join(" ", words);
  }

  private static String quoted(String word) {
    if (!word.isEmpty() && word.matches("[A-Za-z0-9_./:=,+%@-]+")) return word;
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /** The short hash of the checkout's HEAD, "with uncommitted changes" when the tracked files differ from it. */
  static String headCommit() {
    Path dir = Path.of(System.getProperty("pickspin.project.dir", System.getProperty("user.dir")));
    String head = git(dir, "rev-parse", "--short", "HEAD");
    if (head == null || head.isBlank()) return "unknown (not a git checkout)";
    String status = git(dir, "status", "--porcelain", "--untracked-files=no");
    return head.strip() + (status == null || status.isBlank() ? "" : " with uncommitted changes");
  }

  private static String git(Path dir, String... args) {
    List<String> command = new ArrayList<>(List.of("git", "-C", dir.toString()));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Cores and CPU model, operating system, Java, and the load average when the run started. */
  static String thisMachine() {
    String cpu = "?";
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      cpu = lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
    } catch (IOException | RuntimeException e) {
      // not Linux: the model stays unknown
    }
    return String.format(Locale.ROOT, "%d cores (%s), %s %s, Java %s, load average at start %.2f",
        Runtime.getRuntime().availableProcessors(), cpu, System.getProperty("os.name"), System.getProperty("os.version"),
        System.getProperty("java.version"), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }
}
