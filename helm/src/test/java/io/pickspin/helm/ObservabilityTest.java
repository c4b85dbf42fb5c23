package io.pickspin.helm;

import static io.pickspin.helm.Rendered.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.pickspin.helm.Chart.ValuesSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** ServiceMonitors and the Grafana dashboard, and the metric names the dashboard and README promise. */
class ObservabilityTest {
  private static final Pattern METRIC = Pattern.compile("\\bpickspin_[a-z0-9_]+");
  private static final Pattern README_METRIC_ROW = Pattern.compile("^\\| `(pickspin_[a-z0-9_]+)` \\|", Pattern.MULTILINE);

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void serviceMonitorsOnlyWhenEnabled(ValuesSet set) {
    JsonNode sm = set.helmValues().at("/metrics/serviceMonitor");
    int expected = sm.get("enabled").asBoolean() ? (sm.get("backends").asBoolean() ? 2 : 1) : 0;
    assertEquals(expected, set.render().generic("monitoring.coreos.com/v1", "ServiceMonitor").size());
  }

  @Test
  void serviceMonitorsScrapeTheControlPlaneAndTheVllmBackends() {
    Rendered r = ValuesSet.KEDA_MONITORING.render();
    GenericKubernetesResource control = r.generic("monitoring.coreos.com/v1", "ServiceMonitor", Chart.RELEASE);
    assertEquals("kube-prometheus-stack", control.getMetadata().getLabels().get("release"));
    Map<String, Object> spec = control.getAdditionalProperties();
    assertEquals(List.of(Chart.NAMESPACE), at(spec, "spec", "namespaceSelector", "matchNames"));
    assertEquals("metrics", at(spec, "spec", "endpoints", 0, "port"));
    assertEquals("/metrics", at(spec, "spec", "endpoints", 0, "path"));
    assertEquals("30s", at(spec, "spec", "endpoints", 0, "interval"));
    List<Service> scraped = selected(r, (Map<?, ?>) at(spec, "spec", "selector", "matchLabels"));
    assertEquals(List.of(Chart.RELEASE), scraped.stream().map(s -> s.getMetadata().getName()).toList());
    assertTrue(scraped.get(0).getSpec().getPorts().stream().anyMatch(p -> p.getName().equals("metrics") && p.getPort() == 9095));

    GenericKubernetesResource backends = r.generic("monitoring.coreos.com/v1", "ServiceMonitor", Chart.RELEASE + "-backends");
    Map<String, Object> backendSpec = backends.getAdditionalProperties();
    List<Service> vllm = selected(r, (Map<?, ?>) at(backendSpec, "spec", "selector", "matchLabels"));
    assertEquals(
        Set.of("pickspin-llama-3-1-8b", "pickspin-llama-3-1-405b-batch"),
        vllm.stream().map(s -> s.getMetadata().getName()).collect(Collectors.toSet()));
    String port = (String) at(backendSpec, "spec", "endpoints", 0, "port");
    vllm.forEach(s -> assertTrue(s.getSpec().getPorts().stream().anyMatch(p -> p.getName().equals(port))));
  }

  @Test
  void dashboardConfigMapIsPickedUpByTheGrafanaSidecar() throws IOException {
    Rendered r = ValuesSet.DEFAULTS.render();
    ConfigMap cm = r.get(ConfigMap.class, Chart.RELEASE + "-dashboard");
    assertEquals("1", cm.getMetadata().getLabels().get("grafana_dashboard"));
    JsonNode dashboard = new ObjectMapper().readTree(cm.getData().get("pickspin.json"));
    assertEquals("pickspin-overview", dashboard.get("uid").asText());

    Set<Integer> ids = new HashSet<>();
    int graphs = 0;
    for (JsonNode panel : dashboard.get("panels")) {
      assertTrue(ids.add(panel.get("id").asInt()), "duplicate panel id " + panel.get("id"));
      if (panel.get("type").asText().equals("row")) continue;
      graphs++;
      assertEquals("${datasource}", panel.at("/datasource/uid").asText(), panel.get("title").asText());
      assertFalse(panel.get("targets").isEmpty(), panel.get("title").asText());
      for (JsonNode target : panel.get("targets")) {
        assertTrue(METRIC.matcher(target.get("expr").asText()).find(), () -> panel.get("title") + ": " + target);
      }
    }
    assertTrue(graphs >= 9, "panels: " + graphs);
    assertFalse(ValuesSet.MINIMAL.render().find(ConfigMap.class, Chart.RELEASE + "-dashboard").isPresent());
  }

  @Test
  void dashboardShowsWhatTheProductMeasures() throws IOException {
    Set<String> used = dashboardMetrics();
    for (String metric : List.of(
        "pickspin_requests_total", // requests by model, tier, outcome
        "pickspin_route_latency_seconds",
        "pickspin_ttft_seconds",
        "pickspin_request_duration_seconds", // end to end
        "pickspin_queue_depth",
        "pickspin_held_requests_total",
        "pickspin_replicas", // by state
        "pickspin_scale_events_total",
        "pickspin_cold_start_seconds")) {
      assertTrue(used.contains(metric), () -> metric + " has no panel; the dashboard uses " + used);
    }
    String json = Files.readString(Chart.DIR.resolve("dashboards/pickspin.json"));
    assertTrue(json.contains("sum by (model, tier, outcome) (rate(pickspin_requests_total"), "requests split by model, tier and outcome");
    assertTrue(json.contains("sum by (model, state) (pickspin_replicas"), "replicas split by state");
  }

  /** The README's metric table is the contract with the metrics code: the dashboard uses exactly those names. */
  @Test
  void dashboardUsesExactlyTheMetricsTheReadmeLists() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    Set<String> documented = new TreeSet<>();
    Matcher m = README_METRIC_ROW.matcher(readme);
    while (m.find()) documented.add(m.group(1));
    assertFalse(documented.isEmpty(), "README.md has no metric table");
    assertEquals(documented, dashboardMetrics());

    for (GenericKubernetesResource so : ValuesSet.KEDA_MONITORING.render().generic("keda.sh/v1alpha1", "ScaledObject")) {
      Matcher inQuery = METRIC.matcher((String) at(so.getAdditionalProperties(), "spec", "triggers", 0, "metadata", "query"));
      while (inQuery.find()) assertTrue(documented.contains(inQuery.group()), inQuery.group() + " (KEDA query) is not documented");
    }
  }

  /** Metric families the dashboard queries (histogram series reduced to their family name). */
  private static Set<String> dashboardMetrics() throws IOException {
    String json = Files.readString(Chart.DIR.resolve("dashboards/pickspin.json"));
    Set<String> names = new TreeSet<>();
    Matcher m = METRIC.matcher(json);
    while (m.find()) names.add(m.group().replaceFirst("_(bucket|sum|count)$", ""));
    return names;
  }

  private static List<Service> selected(Rendered r, Map<?, ?> matchLabels) {
    return r.all(Service.class).stream()
        .filter(s -> s.getMetadata().getLabels().entrySet().containsAll(matchLabels.entrySet()))
        .toList();
  }
}
