package io.pickspin.drivers;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.scaling.driver.ReplicaDriver;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Builds the replica driver a node runs from its {@link DriverSettings}. Under the process and Kubernetes drivers a
 * model with neither a block of its own nor a default command, but with fixed backends, is served statically (an
 * external endpoint nobody here scales); a model with neither is a configuration error.
 */
public final class ReplicaDrivers {
  private ReplicaDrivers() {}

  /** @param catalog the models, with their backends resolved */
  public static ReplicaDriver create(DriverSettings settings, Catalog catalog) {
    return create(settings, catalog, () -> new KubernetesClientBuilder().build(), true);
  }

  /** As {@link #create(DriverSettings, Catalog)}, with the Kubernetes client to use (not closed by the driver). */
  public static ReplicaDriver create(DriverSettings settings, Catalog catalog, KubernetesClient client) {
    return create(settings, catalog, () -> client, false);
  }

  private static ReplicaDriver create(
      DriverSettings settings, Catalog catalog, Supplier<KubernetesClient> clients, boolean ownsClient) {
    return switch (settings.kind()) {
      case STATIC -> {
        catalog.models().forEach(ReplicaDrivers::requireBackends);
        yield new StaticDriver(catalog);
      }
      case PROCESS -> {
        DriverSettings.Process process = settings.process();
        Map<String, ProcessDriver.Launch> launches = new LinkedHashMap<>();
        for (ModelSpec m : catalog.models()) {
          ProcessDriver.Launch launch = process.launches().get(m.id());
          if (launch == null && m.backends().isEmpty()) launch = process.defaultLaunch();
          if (launch != null) launches.put(m.id(), launch);
          else requireBackends(m);
        }
        yield managing(new ProcessDriver(process.settings(), launches), launches.keySet(), catalog);
      }
      case KUBERNETES -> {
        DriverSettings.Kubernetes k8s = settings.kubernetes();
        KubernetesClient client = clients.get();
        String namespace = k8s.namespace();
        if (namespace.isBlank()) namespace = client.getNamespace() == null ? "default" : client.getNamespace();
        Map<String, KubernetesTarget> targets = new LinkedHashMap<>();
        try {
          for (ModelSpec m : catalog.models()) {
            KubernetesTarget.Spec spec = k8s.targets().get(m.id());
            if (spec != null) targets.put(m.id(), spec.target(namespace, m));
            else requireBackends(m);
          }
        } catch (RuntimeException e) {
          if (ownsClient) client.close();
          throw e;
        }
        yield managing(new KubernetesDriver(client, targets, k8s.settings(), ownsClient), targets.keySet(), catalog);
      }
    };
  }

  private static ReplicaDriver managing(ReplicaDriver driver, Set<String> managed, Catalog catalog) {
    return managed.size() == catalog.models().size()
        ? driver
        : new ByModelDriver(driver, managed, new StaticDriver(catalog));
  }

  private static void requireBackends(ModelSpec m) {
    if (m.backends().isEmpty()) {
      throw new IllegalArgumentException(
          "model " + m.id() + " lists no backends and has no process or kubernetes block: nothing could serve it");
    }
  }
}
