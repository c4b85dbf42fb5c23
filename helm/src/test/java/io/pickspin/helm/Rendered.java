package io.pickspin.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The manifests of one `helm template` run, each parsed by fabric8 (unknown kinds as GenericKubernetesResource). */
final class Rendered {
  final String yaml;
  final List<HasMetadata> objects;

  private Rendered(String yaml, List<HasMetadata> objects) {
    this.yaml = yaml;
    this.objects = List.copyOf(objects);
  }

  static Rendered parse(String yaml) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) continue;
      Object parsed = Serialization.unmarshal(doc);
      assertTrue(parsed instanceof HasMetadata, () -> "not a Kubernetes object:\n" + doc);
      HasMetadata object = (HasMetadata) parsed;
      assertNotNull(object.getMetadata().getName(), () -> "an object without a name:\n" + doc);
      objects.add(object);
    }
    return new Rendered(yaml, objects);
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
    return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
  }

  <T extends HasMetadata> T get(Class<T> type, String name) {
    return find(type, name)
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " named " + name + "; rendered: " + names()));
  }

  /** Custom resources (Knative, KEDA, Prometheus Operator) of one apiVersion and kind. */
  List<GenericKubernetesResource> generic(String apiVersion, String kind) {
    return all(GenericKubernetesResource.class).stream()
        .filter(r -> apiVersion.equals(r.getApiVersion()) && kind.equals(r.getKind()))
        .toList();
  }

  GenericKubernetesResource generic(String apiVersion, String kind, String name) {
    return generic(apiVersion, kind).stream()
        .filter(r -> r.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + "; rendered: " + names()));
  }

  /** The control plane's StatefulSet (named like the release, see _helpers.tpl). */
  StatefulSet controlPlane() {
    return get(StatefulSet.class, Chart.RELEASE);
  }

  Container controlPlaneContainer() {
    List<Container> containers = controlPlane().getSpec().getTemplate().getSpec().getContainers();
    assertEquals(1, containers.size());
    return containers.get(0);
  }

  /** The control-plane container's environment: name to value (null for valueFrom entries). */
  Map<String, String> env() {
    return controlPlaneContainer().getEnv().stream()
        .collect(Collectors.toMap(EnvVar::getName, e -> e.getValue() == null ? "" : e.getValue(), (a, b) -> {
          throw new AssertionError("duplicate env var");
        }));
  }

  EnvVar envVar(String name) {
    return controlPlaneContainer().getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no env var " + name));
  }

  String configMapEntry(String configMap, String key) {
    String value = get(ConfigMap.class, configMap).getData().get(key);
    assertNotNull(value, () -> "ConfigMap " + configMap + " has no key " + key);
    return value;
  }

  /** Walks a custom resource's maps and lists: {@code at(r.getAdditionalProperties(), "spec", "triggers", 0)}. */
  static Object at(Object root, Object... path) {
    Object current = root;
    for (Object step : path) {
      if (step instanceof Integer i && current instanceof List<?> list) current = i < list.size() ? list.get(i) : null;
      else if (current instanceof Map<?, ?> map) current = map.get(step);
      else current = null;
      if (current == null) return null;
    }
    return current;
  }

  List<String> names() {
    return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList();
  }
}
