package io.pickspin.drivers;

import com.typesafe.config.Config;
import io.pickspin.model.ModelSpec;
import io.pickspin.settings.SettingsErrors;
import java.net.URI;

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
      return SettingsErrors.oneOf(Kind.class, "kubernetes kind", s);
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
   * A model's {@code kubernetes} block as configured: the namespace, service URL and engine may be left out; {@link
   * #target} fills them in.
   *
   * @param namespace null = the driver's namespace
   * @param serviceUrl null = the model's first backend
   * @param engine null = that backend's kind, else vllm
   */
  public record Spec(Kind kind, String name, String namespace, URI serviceUrl, String engine) {
    public Spec {
      if (kind == null) throw new IllegalArgumentException("kubernetes kind is required");
      if (name == null || name.isBlank()) throw new IllegalArgumentException("kubernetes name is required");
    }

    /** Reads the {@code kubernetes} block of model {@code model}. */
    public static Spec fromConfig(Config block, String model) {
      try {
        return new Spec(
            Kind.parse(block.getString("kind")),
            block.getString("name"),
            block.hasPath("namespace") ? block.getString("namespace") : null,
            block.hasPath("service-url") ? URI.create(block.getString("service-url")) : null,
            block.hasPath("engine") ? block.getString("engine") : null);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("model " + model + ": bad kubernetes block: " + e.getMessage(), e);
      }
    }

    /** The target of {@code model}, with the driver's namespace {@code defaultNamespace}. */
    public KubernetesTarget target(String defaultNamespace, ModelSpec model) {
      URI url = serviceUrl;
      if (url == null && !model.backends().isEmpty()) url = model.backends().get(0).baseUrl();
      if (url == null) throw new IllegalArgumentException("model " + model.id() + ": kubernetes.service-url is required");
      String kindOfEngine = engine != null ? engine : model.backends().isEmpty() ? "vllm" : model.backends().get(0).kind();
      try {
        return new KubernetesTarget(kind, name, namespace != null ? namespace : defaultNamespace, url, kindOfEngine);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("model " + model.id() + ": bad kubernetes block: " + e.getMessage(), e);
      }
    }
  }
}
