package io.pickspin.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of the chart's `models` values, with the defaults the chart documents (those of the application's
 * Catalog.fromConfig).
 */
record ModelValues(JsonNode node) {
  static List<ModelValues> of(JsonNode values) {
    List<ModelValues> models = new ArrayList<>();
    values.get("models").forEach(m -> models.add(new ModelValues(m)));
    return models;
  }

  /** The rendered catalogue: the pickspin.models list of the catalogue ConfigMap. */
  static List<? extends Config> catalogue(Rendered rendered) {
    String text = rendered.configMapEntry(Chart.RELEASE + "-catalog", "catalog.conf");
    return ConfigFactory.parseString(text).resolve().getConfigList("pickspin.models");
  }

  String id() {
    return node.get("id").asText();
  }

  String tier() {
    return node.get("tier").asText();
  }

  String servedName() {
    return node.path("servedName").asText(id());
  }

  double quality() {
    return node.path("quality").asDouble(0.5);
  }

  int gpus() {
    return node.path("gpusPerReplica").asInt(1);
  }

  double gpuHourlyCost() {
    return node.path("gpuHourlyCost").asDouble(2.0);
  }

  double ttftMs() {
    return node.at("/latency/ttftMs").asDouble();
  }

  double tpotMs() {
    return node.at("/latency/tpotMs").asDouble();
  }

  int maxBatch() {
    return node.at("/latency/maxBatch").asInt(8);
  }

  /** 0 when not given. */
  double tpotAtMaxBatchMs() {
    return node.at("/latency/tpotAtMaxBatchMs").asDouble(0);
  }

  long coldStartMs() {
    return node.at("/latency/coldStartMs").asLong(0);
  }

  int minReplicas() {
    return node.path("minReplicas").asInt(0);
  }

  int maxReplicas() {
    return node.get("maxReplicas").asInt();
  }

  /** deployment, knative, keda or external. */
  String kind() {
    return node.at("/backend/kind").asText();
  }

  JsonNode backend() {
    return node.get("backend");
  }

  boolean chartManaged() {
    return !kind().equals("external");
  }

  /** The documented resource name: backend.name, else <release>-<id with dots as dashes>. */
  String resourceName() {
    return node.at("/backend/name").asText(Chart.RELEASE + "-" + id().replace('.', '-'));
  }
}
