package io.pickspin.drivers;

import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.pickspin.model.BackendEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How the Kubernetes driver turns what the API server says into replicas: plain functions of the observed objects. All
 * replicas of a model share its Service URL (the Service balances over the pods); their ids are {@code <name>-<i>}, the
 * ready ones first, so an id keeps its index while the count grows.
 */
final class KubernetesReplicas {
  static final String KNATIVE_SERVICE_LABEL = "serving.knative.dev/service";
  static final String KNATIVE_REVISION_LABEL = "serving.knative.dev/revision";
  static final String MIN_SCALE = "autoscaling.knative.dev/min-scale";
  static final String MAX_SCALE = "autoscaling.knative.dev/max-scale";

  private KubernetesReplicas() {}

  /**
   * Replicas of a Deployment: ready pods up to spec.replicas are READY, ready ones above it are DRAINING (being scaled
   * away), the missing ones STARTING, or FAILED when the rollout is stuck (Progressing=False, ReplicaFailure=True).
   */
  static List<ReplicaStatus> fromDeployment(KubernetesTarget t, Deployment d) {
    int spec = d.getSpec() == null || d.getSpec().getReplicas() == null ? 0 : d.getSpec().getReplicas();
    int ready = d.getStatus() == null || d.getStatus().getReadyReplicas() == null ? 0 : d.getStatus().getReadyReplicas();
    return entries(t, Math.min(ready, spec), Math.max(0, spec - ready), Math.max(0, ready - spec), stuck(d));
  }

  private static boolean stuck(Deployment d) {
    if (d.getStatus() == null || d.getStatus().getConditions() == null) return false;
    for (DeploymentCondition c : d.getStatus().getConditions()) {
      if ("Progressing".equals(c.getType()) && "False".equals(c.getStatus())) return true;
      if ("ReplicaFailure".equals(c.getType()) && "True".equals(c.getStatus())) return true;
    }
    return false;
  }

  /**
   * Replicas of a Knative Service: those of its serving revision's Deployment when it is visible; otherwise min-scale
   * replicas, READY when the Service's Ready condition is True, FAILED when False, STARTING until then.
   */
  static List<ReplicaStatus> fromKnative(KubernetesTarget t, GenericKubernetesResource ksvc, Deployment revision) {
    if (revision != null) return fromDeployment(t, revision);
    int minScale = annotation(ksvc, MIN_SCALE).map(KubernetesReplicas::parseCount).orElse(0);
    return switch (readyCondition(ksvc)) {
      case "True" -> entries(t, minScale, 0, 0, false);
      case "False" -> entries(t, 0, minScale, 0, true);
      default -> entries(t, 0, minScale, 0, false);
    };
  }

  /** The revision that serves traffic: latestReadyRevisionName, else latestCreatedRevisionName. */
  static Optional<String> servingRevision(GenericKubernetesResource ksvc) {
    Map<String, Object> status = map(ksvc.getAdditionalProperties().get("status"));
    Object name = status.getOrDefault("latestReadyRevisionName", status.get("latestCreatedRevisionName"));
    return Optional.ofNullable(name).map(Object::toString);
  }

  static String readyCondition(GenericKubernetesResource ksvc) {
    Object conditions = map(ksvc.getAdditionalProperties().get("status")).get("conditions");
    if (conditions instanceof List<?> list) {
      for (Object c : list) {
        Map<String, Object> m = map(c);
        if ("Ready".equals(m.get("type"))) return String.valueOf(m.get("status"));
      }
    }
    return "Unknown";
  }

  static Optional<String> annotation(GenericKubernetesResource ksvc, String key) {
    Map<String, Object> spec = map(ksvc.getAdditionalProperties().get("spec"));
    Map<String, Object> template = map(spec.get("template"));
    Map<String, Object> metadata = map(template.get("metadata"));
    return Optional.ofNullable(map(metadata.get("annotations")).get(key)).map(Object::toString);
  }

  /** The Deployment a ScaledObject scales: spec.scaleTargetRef.name, or the ScaledObject's own name. */
  static String scaleTargetName(GenericKubernetesResource scaledObject, String fallback) {
    if (scaledObject == null) return fallback;
    Object name = map(map(scaledObject.getAdditionalProperties().get("spec")).get("scaleTargetRef")).get("name");
    return name == null ? fallback : name.toString();
  }

  static List<ReplicaStatus> entries(KubernetesTarget t, int ready, int starting, int draining, boolean failing) {
    List<ReplicaStatus> out = new ArrayList<>(ready + starting + draining);
    int i = 0;
    for (int k = 0; k < ready; k++, i++) out.add(status(t, i, ReplicaPhase.READY));
    for (int k = 0; k < starting; k++, i++) out.add(status(t, i, failing ? ReplicaPhase.FAILED : ReplicaPhase.STARTING));
    for (int k = 0; k < draining; k++, i++) out.add(status(t, i, ReplicaPhase.DRAINING));
    return out;
  }

  private static ReplicaStatus status(KubernetesTarget t, int index, ReplicaPhase phase) {
    String id = t.name() + "-" + index;
    return new ReplicaStatus(id, phase, new BackendEndpoint(id, t.engine(), t.serviceUrl()));
  }

  private static int parseCount(String s) {
    try {
      return Math.max(0, Integer.parseInt(s.trim()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }
}
