package io.pickspin.drivers;

import com.typesafe.config.Config;
import io.pickspin.model.ModelSpec;
import java.net.URI;
import java.util.Locale;

/**
 * What the Kubernetes driver scales for one model: the {@code kubernetes { kind, name, namespace, service-url }} block
 * of the model's configuration, as the Helm chart renders it (templates/configmap-catalog.yaml).
 *
 * @param kind which resource carries the replica count
 * @param name the Deployment, Knative Service or KEDA ScaledObject
 * @param serviceUrl where requests go (the Service in front of the pods), the endpoint of every replica
 * @param engine the backend kind the endpoints report (vllm, tgi, ...)
 */
public record KubernetesTarget(Kind kind, String name, String namespace, URI serviceUrl, String engine) {

  public enum Kind {
    /** apps/v1 Deployment, scaled through its scale subresource. */
    DEPLOYMENT,
    /** serving.knative.dev/v1 Service: autoscaling.knative.dev/min-scale and max-scale on its revision template. */
    KNATIVE,
    /** keda.sh/v1alpha1 ScaledObject: minReplicaCount and maxReplicaCount; KEDA scales its Deployment in between. */
    KEDA;

    public static Kind parse(String s) {
      try {
        return Kind.valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("unknown kubernetes kind '" + s + "', expected deployment, knative or keda");
      }
    }
  }

  public KubernetesTarget {
    if (kind == null) throw new IllegalArgumentException("kubernetes kind is required");
    if (name == null || name.isBlank()) throw new IllegalArgumentException("kubernetes name is required");
    if (namespace == null || namespace.isBlank()) throw new IllegalArgumentException("kubernetes namespace is required");
    if (serviceUrl == null) throw new IllegalArgumentException("kubernetes service-url is required");
    if (engine == null || engine.isBlank()) engine = "vllm";
  }

  /**
   * Reads a model's {@code kubernetes} block. The namespace defaults to {@code defaultNamespace}, the service URL to the
   * model's first backend, the engine to that backend's kind.
   */
  public static KubernetesTarget fromConfig(Config block, String defaultNamespace, ModelSpec model) {
    String namespace = block.hasPath("namespace") ? block.getString("namespace") : defaultNamespace;
    URI url;
    if (block.hasPath("service-url")) url = URI.create(block.getString("service-url"));
    else if (!model.backends().isEmpty()) url = model.backends().get(0).baseUrl();
    else throw new IllegalArgumentException("model " + model.id() + ": kubernetes.service-url is required");
    String engine =
        block.hasPath("engine")
            ? block.getString("engine")
            : model.backends().isEmpty() ? "vllm" : model.backends().get(0).kind();
    try {
      return new KubernetesTarget(Kind.parse(block.getString("kind")), block.getString("name"), namespace, url, engine);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("model " + model.id() + ": bad kubernetes block: " + e.getMessage(), e);
    }
  }
}
