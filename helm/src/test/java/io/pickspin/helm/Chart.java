package io.pickspin.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The chart under test, rendered and linted by the Helm library that helm-java embeds: no helm binary, no cluster.
 * Every scenario renders as release {@value #RELEASE} in namespace {@value #NAMESPACE}.
 */
final class Chart {
  static final Path DIR = Path.of("pickspin").toAbsolutePath();
  static final String RELEASE = "pickspin";
  static final String NAMESPACE = "ai";
  static final Path BAD_VALUES = Path.of("src/test/resources/values").toAbsolutePath();

  private static final YAMLMapper YAML = new YAMLMapper();

  /** The example values sets shipped with the chart (ci/), plus the chart's defaults. */
  enum ValuesSet {
    DEFAULTS(null),
    MINIMAL("minimal-values.yaml"),
    CLUSTER_CASSANDRA("cluster-cassandra-values.yaml"),
    KNATIVE("knative-values.yaml"),
    KEDA_MONITORING("keda-monitoring-values.yaml");

    private final String file;

    ValuesSet(String file) {
      this.file = file;
    }

    /** The values file, or null for the chart's defaults. */
    Path file() {
      return file == null ? null : DIR.resolve("ci").resolve(file);
    }

    /** The values Helm sees: the chart's values.yaml with this set merged over it. */
    JsonNode helmValues() {
      return mergedValues(file());
    }

    Rendered render() {
      return Chart.render(file(), Map.of());
    }
  }

  private Chart() {}

  /** Renders the chart with a values file (null: defaults) and --set style overrides. */
  static Rendered render(Path valuesFile, Map<String, Object> set) {
    TemplateCommand template = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE);
    if (valuesFile != null) template = template.withValuesFile(valuesFile);
    for (Map.Entry<String, Object> e : set.entrySet()) template = template.set(e.getKey(), e.getValue());
    return Rendered.parse(template.call());
  }

  /** Renders the chart with values given as YAML text (written to a file in workDir). */
  static Rendered renderYaml(Path workDir, String valuesYaml) {
    try {
      Path file = Files.writeString(Files.createTempFile(workDir, "values", ".yaml"), valuesYaml);
      return render(file, Map.of());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Lints the chart strictly with a values set. helm lint only reads the chart's own values.yaml, so this lints a
   * copy of the chart whose values.yaml is the defaults with the set merged over them, as `helm install -f` would.
   */
  static LintResult lint(Path valuesFile, Path workDir) {
    if (valuesFile == null) return new Helm(DIR).lint().strict().call();
    Path copy = workDir.resolve(DIR.getFileName()); // lint wants the directory named like the chart
    copyTree(DIR, copy);
    try {
      YAML.writeValue(copy.resolve("values.yaml").toFile(), mergedValues(valuesFile));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Helm(copy).lint().strict().call();
  }

  /** The chart's values.yaml with a values file merged over it: maps merge, everything else is replaced. */
  static JsonNode mergedValues(Path valuesFile) {
    JsonNode defaults = readYaml(DIR.resolve("values.yaml"));
    return valuesFile == null ? defaults : merge((ObjectNode) defaults, readYaml(valuesFile));
  }

  static JsonNode readYaml(Path file) {
    try {
      return YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode merge(ObjectNode base, JsonNode override) {
    if (!override.isObject()) return override;
    for (Iterator<Map.Entry<String, JsonNode>> it = override.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode current = base.get(e.getKey());
      if (e.getValue().isNull()) base.remove(e.getKey());
      else if (current != null && current.isObject() && e.getValue().isObject())
        merge((ObjectNode) current, e.getValue());
      else base.set(e.getKey(), e.getValue());
    }
    return base;
  }

  private static void copyTree(Path from, Path to) {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(target);
        else Files.copy(p, target);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
