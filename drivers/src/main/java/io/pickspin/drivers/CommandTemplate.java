package io.pickspin.drivers;

import io.pickspin.model.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line that starts one replica of a model, with placeholders filled in per replica:
 *
 * <ul>
 *   <li>{@code {host}} 127.0.0.1, {@code {port}} a free port picked for this replica, {@code {replica}} its id
 *   <li>{@code {model}} the catalogue id, {@code {served-name}} the backend's model name
 *   <li>{@code {ttft-ms}}, {@code {tpot-ms}}, {@code {max-batch}}, {@code {cold-start-ms}}, {@code {gpus}} from the
 *       model's profile (the sim serves with them)
 *   <li>{@code {java}} this JVM's java binary, {@code {classpath}} this JVM's classpath (to start the sim server)
 * </ul>
 *
 * Only lower-case names in braces are placeholders, so JSON arguments pass through; an unknown name is an error when
 * the template is built, not when a replica starts.
 */
public record CommandTemplate(List<String> args) {
  static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z][a-z-]*)\\}");
  public static final Set<String> NAMES =
      Set.of(
          "host", "port", "replica", "model", "served-name", "ttft-ms", "tpot-ms", "max-batch", "cold-start-ms", "gpus",
          "java", "classpath");

  public CommandTemplate {
    if (args == null || args.isEmpty()) throw new IllegalArgumentException("the command is empty");
    Set<String> unknown = new TreeSet<>();
    for (String a : args) {
      Matcher m = PLACEHOLDER.matcher(a);
      while (m.find()) if (!NAMES.contains(m.group(1))) unknown.add(m.group(1));
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          "unknown placeholder(s) " + unknown + " in command " + args + "; known: " + new TreeSet<>(NAMES));
    }
    args = List.copyOf(args);
  }

  /** The command line of replica {@code replicaId} of {@code model}, serving on {@code port}. */
  public List<String> expand(ModelSpec model, String replicaId, int port) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("host", "127.0.0.1");
    values.put("port", Integer.toString(port));
    values.put("replica", replicaId);
    values.put("model", model.id());
    values.put("served-name", model.servedName());
    values.put("ttft-ms", number(model.latency().ttftMs()));
    values.put("tpot-ms", number(model.latency().tpotMs()));
    values.put("max-batch", Integer.toString(model.latency().maxBatch()));
    values.put("cold-start-ms", number(model.latency().coldStartMs()));
    values.put("gpus", Integer.toString(model.gpusPerReplica()));
    values.put("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    values.put("classpath", System.getProperty("java.class.path"));
    List<String> out = new ArrayList<>(args.size());
    for (String a : args) {
      Matcher m = PLACEHOLDER.matcher(a);
      StringBuilder sb = new StringBuilder();
      while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(values.get(m.group(1))));
      m.appendTail(sb);
      out.add(sb.toString());
    }
    return out;
  }

  /** 50.0 as "50", 12.5 as "12.5": what command-line parsers of integers and decimals both accept where they can. */
  static String number(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
