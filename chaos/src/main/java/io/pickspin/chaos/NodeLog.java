package io.pickspin.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a node's log says about the scaling supervisor singleton: where and when it recovered, with which desired
 * replica counts, and the scaling decisions it took. The supervisor writes one parseable line per recovery.
 */
final class NodeLog {
  record Recovery(long atMs, String node, Map<String, Integer> desired) {}

  private static final Pattern RECOVERED =
      Pattern.compile("scaling supervisor recovered at-ms=(\\d+) node=(\\S+) desired=\\{([^}]*)\\}");
  private static final Pattern DECISION = Pattern.compile("model (\\S+): (-?\\d+) -> (\\d+) replicas");

  private NodeLog() {}

  static List<String> lines(Path log) {
    try {
      return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      // a log being written may end in a partial UTF-8 sequence: read what can be read
      try {
        return List.of(new String(Files.readAllBytes(log), StandardCharsets.UTF_8).split("\n"));
      } catch (IOException again) {
        return List.of();
      }
    }
  }

  static List<Recovery> recoveries(Path log) {
    List<Recovery> out = new ArrayList<>();
    for (String line : lines(log)) {
      Matcher m = RECOVERED.matcher(line);
      if (m.find()) out.add(new Recovery(Long.parseLong(m.group(1)), m.group(2), parseDesired(m.group(3))));
    }
    return out;
  }

  /** Desired replicas per model after the last decision in this log, on top of {@code base}. */
  static Map<String, Integer> desiredAfterDecisions(Path log, Map<String, Integer> base) {
    Map<String, Integer> desired = new TreeMap<>(base);
    for (String line : lines(log)) {
      Matcher m = DECISION.matcher(line);
      if (m.find()) desired.put(m.group(1), Integer.parseInt(m.group(3)));
    }
    return desired;
  }

  static Map<String, Integer> parseDesired(String s) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (String pair : s.split(",")) {
      String p = pair.trim();
      int eq = p.indexOf('=');
      if (eq > 0) out.put(p.substring(0, eq), Integer.parseInt(p.substring(eq + 1)));
    }
    return new TreeMap<>(out);
  }
}
