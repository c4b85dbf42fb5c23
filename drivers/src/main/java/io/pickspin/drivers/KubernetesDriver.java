package io.pickspin.drivers;

import io.pickspin.scaling.driver.ReplicaDriver;
import io.pickspin.scaling.driver.ReplicaStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.pickspin.model.ModelSpec;
import io.pickspin.settings.SettingsErrors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scales model backends in Kubernetes (fabric8 7.x): a Deployment through its scale subresource, a Knative Service by
 * its {@code autoscaling.knative.dev/min-scale} and {@code max-scale} annotations, a KEDA ScaledObject by its
 * {@code minReplicaCount} and {@code maxReplicaCount}. The desired count becomes the floor (min-scale, minReplicaCount)
 * and the ceiling follows {@link Ceiling}: Knative and KEDA keep scaling on their own metric in between, as the chart
 * sets them up. Kubernetes is the source of truth for replicas: informers on the namespaces' Deployments, Knative
 * Services and ScaledObjects report ready replicas (see {@link KubernetesReplicas}) and tell the listeners of every
 * change.
 *
 * <p>{@link #scale} only records the wish: a single worker thread carries it out, retrying failed API calls with a
 * doubling back-off until it succeeds or a newer wish for the model replaces it.
 */
public final class KubernetesDriver implements ReplicaDriver {
  private static final Logger log = LoggerFactory.getLogger(KubernetesDriver.class);

  static final ResourceDefinitionContext KNATIVE_SERVICE =
      new ResourceDefinitionContext.Builder()
          .withGroup("serving.knative.dev")
          .withVersion("v1")
          .withKind("Service")
          .withPlural("services")
          .withNamespaced(true)
          .build();
  static final ResourceDefinitionContext SCALED_OBJECT =
      new ResourceDefinitionContext.Builder()
          .withGroup("keda.sh")
          .withVersion("v1alpha1")
          .withKind("ScaledObject")
          .withPlural("scaledobjects")
          .withNamespaced(true)
          .build();

  /** The upper bound set on Knative and KEDA next to the desired floor. */
  public enum Ceiling {
    /** The model's max-replicas: Knative or KEDA may add replicas above the desired count on their own metric. */
    MODEL_MAX,
    /** The desired count itself (at least 1, since 0 means "no limit" to Knative): only the control plane scales. */
    DESIRED;

    public static Ceiling parse(String s) {
      return SettingsErrors.oneOf(Ceiling.class, "ceiling", s);
    }

    int of(ModelSpec model, int desired) {
      return this == DESIRED ? Math.max(1, desired) : Math.max(1, Math.max(desired, model.maxReplicas()));
    }
  }

  /**
   * @param resync informer resync period (0 = none)
   * @param retryMin first wait before retrying a failed API call; doubles per attempt
   */
  public record Settings(Ceiling ceiling, Duration resync, Duration retryMin, Duration retryMax) {
    public Settings {
      Objects.requireNonNull(ceiling);
      if (resync.isNegative() || retryMin.isNegative() || retryMax.compareTo(retryMin) < 0) {
        throw new IllegalArgumentException("kubernetes driver: need resync >= 0 and 0 <= retry.min <= retry.max");
      }
    }
  }

  /** The latest count asked for a model; {@code version} tells a retry whether a newer wish replaced it. */
  private record Wish(ModelSpec model, int desired, long version) {}

  private final KubernetesClient client;
  private final boolean ownsClient;
  private final Map<String, KubernetesTarget> targets;
  private final Settings settings;
  private final ChangeListeners listeners = new ChangeListeners();
  private final Map<String, SharedIndexInformer<Deployment>> deployments = new ConcurrentHashMap<>();
  private final Map<String, SharedIndexInformer<GenericKubernetesResource>> knativeServices = new ConcurrentHashMap<>();
  private final Map<String, SharedIndexInformer<GenericKubernetesResource>> scaledObjects = new ConcurrentHashMap<>();
  private final Map<String, Wish> wishes = new ConcurrentHashMap<>();
  private final AtomicLong versions = new AtomicLong();
  private final ScheduledExecutorService worker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "kubernetes-driver");
            t.setDaemon(true);
            return t;
          });

  /**
   * Starts the informers (it returns once their caches are filled).
   *
   * @param targets what to scale, by model id
   * @param ownsClient close the client in {@link #close}
   */
  public KubernetesDriver(
      KubernetesClient client, Map<String, KubernetesTarget> targets, Settings settings, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.targets = Map.copyOf(targets);
    this.settings = settings;
    long resync = settings.resync().toMillis();
    // ScaledObjects and Knative Services first: the Deployment informer's first events already look them up
    for (KubernetesTarget t : this.targets.values()) {
      String ns = t.namespace();
      if (t.kind() == KubernetesTarget.Kind.KNATIVE) {
        knativeServices.computeIfAbsent(
            ns,
            n -> client.genericKubernetesResources(KNATIVE_SERVICE).inNamespace(n).inform(handler(this::knativeChanged), resync));
      }
      if (t.kind() == KubernetesTarget.Kind.KEDA) {
        scaledObjects.computeIfAbsent(
            ns,
            n -> client.genericKubernetesResources(SCALED_OBJECT).inNamespace(n).inform(handler(this::scaledObjectChanged), resync));
      }
    }
    for (KubernetesTarget t : this.targets.values()) {
      deployments.computeIfAbsent(
          t.namespace(), n -> client.apps().deployments().inNamespace(n).inform(handler(this::deploymentChanged), resync));
    }
  }

  @Override
  public String name() {
    return "kubernetes";
  }

  /** The models this driver scales. */
  public Set<String> models() {
    return targets.keySet();
  }

  @Override
  public void scale(ModelSpec model, int desired) {
    if (desired < 0) throw new IllegalArgumentException("desired replicas must be >= 0");
    if (!targets.containsKey(model.id())) {
      throw new IllegalArgumentException("the kubernetes driver has no target for model " + model.id());
    }
    Wish wish = new Wish(model, desired, versions.incrementAndGet());
    wishes.put(model.id(), wish);
    submit(() -> apply(wish, 0), 0);
  }

  private void apply(Wish wish, int attempt) {
    String id = wish.model().id();
    if (wishes.get(id) != wish) return; // a newer wish replaced this one
    KubernetesTarget t = targets.get(id);
    try {
      write(t, wish.model(), wish.desired());
      wishes.remove(id, wish);
      log.info("model {}: {} {}/{} asked for {} replicas", id, t.kind().name().toLowerCase(Locale.ROOT), t.namespace(), t.name(), wish.desired());
    } catch (RuntimeException e) {
      long wait = Math.min(settings.retryMax().toMillis(), settings.retryMin().toMillis() << Math.min(20, attempt));
      log.warn(
          "model {}: scaling {} {}/{} to {} failed (attempt {}), retrying in {} ms: {}",
          id, t.kind().name().toLowerCase(Locale.ROOT), t.namespace(), t.name(), wish.desired(), attempt + 1, wait,
          e.toString());
      submit(() -> apply(wish, attempt + 1), wait);
    }
  }

  private void write(KubernetesTarget t, ModelSpec model, int desired) {
    int ceiling = settings.ceiling().of(model, desired);
    switch (t.kind()) {
      case DEPLOYMENT -> client.apps().deployments().inNamespace(t.namespace()).withName(t.name()).scale(desired);
      case KNATIVE ->
          mergePatch(
              KNATIVE_SERVICE,
              t,
              "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\""
                  + KubernetesReplicas.MIN_SCALE + "\":\"" + desired + "\",\""
                  + KubernetesReplicas.MAX_SCALE + "\":\"" + ceiling + "\"}}}}}");
      case KEDA ->
          mergePatch(
              SCALED_OBJECT, t, "{\"spec\":{\"minReplicaCount\":" + desired + ",\"maxReplicaCount\":" + ceiling + "}}");
    }
  }

  private void mergePatch(ResourceDefinitionContext type, KubernetesTarget t, String patch) {
    var resource = client.genericKubernetesResources(type).inNamespace(t.namespace()).withName(t.name());
    // a merge patch on a missing object would fail obscurely: say what is missing
    if (resource.get() == null) {
      throw new IllegalStateException(type.getKind() + " " + t.namespace() + "/" + t.name() + " does not exist");
    }
    resource.patch(PatchContext.of(PatchType.JSON_MERGE), patch);
  }

  @Override
  public List<ReplicaStatus> replicas(String modelId) {
    KubernetesTarget t = targets.get(modelId);
    if (t == null) return List.of();
    return switch (t.kind()) {
      case DEPLOYMENT -> deployment(t.namespace(), t.name()).map(d -> KubernetesReplicas.fromDeployment(t, d)).orElse(List.of());
      case KEDA -> deployment(t.namespace(), kedaTargetName(t)).map(d -> KubernetesReplicas.fromDeployment(t, d)).orElse(List.of());
      case KNATIVE -> {
        GenericKubernetesResource ksvc = cached(knativeServices, t.namespace(), t.name());
        yield ksvc == null ? List.of() : KubernetesReplicas.fromKnative(t, ksvc, revisionDeployment(t, ksvc));
      }
    };
  }

  private Optional<Deployment> deployment(String namespace, String name) {
    return Optional.ofNullable(cached(deployments, namespace, name));
  }

  /** An object from the informer cache of its namespace; null if absent or the informer is not started yet. */
  private static <T> T cached(Map<String, SharedIndexInformer<T>> informers, String namespace, String name) {
    SharedIndexInformer<T> informer = informers.get(namespace);
    return informer == null ? null : informer.getStore().getByKey(key(namespace, name));
  }

  private String kedaTargetName(KubernetesTarget t) {
    return KubernetesReplicas.scaleTargetName(cached(scaledObjects, t.namespace(), t.name()), t.name());
  }

  /** The Deployment Knative made for the Service's serving revision, if this driver can see it. */
  private Deployment revisionDeployment(KubernetesTarget t, GenericKubernetesResource ksvc) {
    String revision = KubernetesReplicas.servingRevision(ksvc).orElse(null);
    if (revision == null) return null;
    SharedIndexInformer<Deployment> informer = deployments.get(t.namespace());
    if (informer == null) return null;
    for (Deployment d : informer.getStore().list()) {
      Map<String, String> labels = d.getMetadata().getLabels();
      if (labels != null
          && t.name().equals(labels.get(KubernetesReplicas.KNATIVE_SERVICE_LABEL))
          && revision.equals(labels.get(KubernetesReplicas.KNATIVE_REVISION_LABEL))) {
        return d;
      }
    }
    return null;
  }

  @Override
  public void onChange(Consumer<String> modelChanged) {
    listeners.add(modelChanged);
  }

  // ---- informer events: which models an object change concerns

  private void deploymentChanged(HasMetadata d) {
    String ns = d.getMetadata().getNamespace();
    String name = d.getMetadata().getName();
    Map<String, String> labels = d.getMetadata().getLabels() == null ? Map.of() : d.getMetadata().getLabels();
    fireFor(
        t ->
            t.namespace().equals(ns)
                && switch (t.kind()) {
                  case DEPLOYMENT -> t.name().equals(name);
                  case KEDA -> kedaTargetName(t).equals(name);
                  case KNATIVE -> t.name().equals(labels.get(KubernetesReplicas.KNATIVE_SERVICE_LABEL));
                });
  }

  private void knativeChanged(HasMetadata ksvc) {
    fireFor(t -> t.kind() == KubernetesTarget.Kind.KNATIVE && matches(t, ksvc));
  }

  private void scaledObjectChanged(HasMetadata so) {
    fireFor(t -> t.kind() == KubernetesTarget.Kind.KEDA && matches(t, so));
  }

  private static boolean matches(KubernetesTarget t, HasMetadata o) {
    return t.namespace().equals(o.getMetadata().getNamespace()) && t.name().equals(o.getMetadata().getName());
  }

  private void fireFor(Predicate<KubernetesTarget> concerned) {
    Set<String> models = new TreeSet<>();
    targets.forEach((model, t) -> {
      if (concerned.test(t)) models.add(model);
    });
    models.forEach(listeners::fire);
  }

  private static <T extends HasMetadata> ResourceEventHandler<T> handler(Consumer<HasMetadata> changed) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        changed.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        changed.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        changed.accept(obj);
      }
    };
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  private void submit(Runnable task, long delayMillis) {
    try {
      worker.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
    listeners.clear();
    List<SharedIndexInformer<?>> all = new ArrayList<>();
    all.addAll(deployments.values());
    all.addAll(knativeServices.values());
    all.addAll(scaledObjects.values());
    all.forEach(SharedIndexInformer::close);
    if (ownsClient) client.close();
  }
}
