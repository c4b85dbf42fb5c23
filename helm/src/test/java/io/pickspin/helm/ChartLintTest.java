package io.pickspin.helm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.LintResult;
import io.pickspin.helm.Chart.ValuesSet;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** `helm lint --strict` and the values schema: good values sets pass, bad ones fail with a message that says why. */
class ChartLintTest {

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void strictLintPasses(ValuesSet set, @TempDir Path work) {
    LintResult result = Chart.lint(set.file(), work);
    assertFalse(result.isFailed(), () -> set + ": " + result.getMessages());
    assertTrue(
        result.getMessages().stream().noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]")),
        () -> set + ": " + result.getMessages());
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void everyValuesSetRendersParseableManifests(ValuesSet set) {
    Rendered rendered = set.render();
    assertTrue(rendered.objects.size() >= 8, () -> set + " rendered only " + rendered.names());
  }

  /** Values the schema rejects, and the words the user sees: lint, template and install all stop on them. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bad-negative-replicas.yaml      | at '/replicaCount': minimum: got -1, want 1",
        "bad-model-without-tier.yaml     | at '/models/0': missing property 'tier'",
        "bad-backend-kind.yaml           | at '/models/0/backend/kind': value must be one of",
        "bad-external-without-url.yaml   | at '/models/0/backend': missing property 'url'",
        "bad-typo.yaml                   | additional properties 'replicaCont' not allowed",
        "bad-h2-cluster.yaml             | at '/journal': value must be 'cassandra'",
        "bad-no-cassandra.yaml           | at '/cassandra/contactPoints': minItems: got 0, want 1",
      })
  void schemaViolationsFailLintAndTemplate(String file, String expected, @TempDir Path work) {
    Path values = Chart.BAD_VALUES.resolve(file);

    LintResult lint = Chart.lint(values, work);
    assertTrue(lint.isFailed(), () -> file + " passed lint: " + lint.getMessages());
    assertTrue(
        lint.getMessages().stream().anyMatch(m -> m.contains(expected)),
        () -> file + ": lint messages do not say \"" + expected + "\": " + lint.getMessages());

    assertTemplateFails(values, expected);
  }

  /**
   * Rules across fields that JSON schema cannot state, checked by `fail` in the templates. Helm's lint mode turns
   * `fail` into a no-op, so these stop `helm template` and `helm install`, not `helm lint`.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bad-min-above-max.yaml          | model \"llama-3.1-8b\": minReplicas (3) must not exceed maxReplicas (1)",
        "bad-duplicate-model.yaml        | models: the id \"llama-3.1-8b\" is used twice",
        "bad-drain-above-grace.yaml      | terminationGracePeriodSeconds (30) must be at least drainTimeoutSeconds (25) + 10",
        "bad-cassandra-tls-in-chart.yaml | cassandra.tls is for an external Cassandra that serves TLS (cassandra.enabled=false and cassandra.contactPoints)",
      })
  void crossFieldErrorsFailTemplate(String file, String expected) {
    assertTemplateFails(Chart.BAD_VALUES.resolve(file), expected);
  }

  private static void assertTemplateFails(Path values, String expected) {
    IllegalStateException error = assertThrows(IllegalStateException.class, () -> Chart.render(values, Map.of()));
    assertTrue(
        error.getMessage().contains(expected),
        () -> values.getFileName() + ": template error does not say \"" + expected + "\": " + error.getMessage());
  }
}
