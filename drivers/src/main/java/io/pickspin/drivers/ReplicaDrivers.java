package io.pickspin.drivers;

import io.pickspin.scaling.driver.ReplicaDriver;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Builds the replica driver a node runs from {@code pickspin.scaling.driver} (static, process or kubernetes), the
 * driver's block ({@code pickspin.process}, {@code pickspin.kubernetes}; defaults in pickspin-drivers.conf) and the
 * per-model {@code process} and {@code kubernetes} blocks of {@code pickspin.models}. Under the process and Kubernetes
 * drivers a model with neither block but with fixed backends is served statically (an external endpoint nobody here
 * scales); a model with neither is a configuration error.
 */
public final class ReplicaDrivers {
  private ReplicaDrivers() {}

  private static final Supplier<Config> DEFAULTS =
      () ->
          ConfigFactory.parseResources(ReplicaDrivers.class.getClassLoader(), "pickspin-drivers.conf")
              .resolve()
              .getConfig("pickspin");

  /**
   * @param pickspin the {@code pickspin} block (the root config, holding a {@code pickspin} block, is accepted too)
   * @param catalog the models, with their backends resolved
   */
  public static ReplicaDriver fromConfig(Config pickspin, Catalog catalog) {
    return fromConfig(pickspin, catalog, () -> new KubernetesClientBuilder().build(), true);
  }

  /** As {@link #fromConfig(Config, Catalog)}, with the Kubernetes client to use (not closed by the driver). */
  public static ReplicaDriver fromConfig(Config pickspin, Catalog catalog, KubernetesClient client) {
    return fromConfig(pickspin, catalog, () -> client, false);
  }

  private static ReplicaDriver fromConfig(
      Config config, Catalog catalog, Supplier<KubernetesClient> clients, boolean ownsClient) {
    Config given = config.hasPath("pickspin") && !config.hasPath("scaling") ? config.getConfig("pickspin") : config;
    // the documented defaults apply even where reference.conf does not include them
    Config pickspin = given.withFallback(DEFAULTS.get());
    String kind = pickspin.getString("scaling.driver").trim().toLowerCase(Locale.ROOT);
    Map<String, Config> blocks = modelBlocks(pickspin);
    return switch (kind) {
      case "static" -> {
        catalog.models().forEach(ReplicaDrivers::requireBackends);
        yield new StaticDriver(catalog);
      }
      case "process" -> {
        Config defaults = pickspin.getConfig("process");
        Map<String, ProcessDriver.Launch> launches = new LinkedHashMap<>();
        for (ModelSpec m : catalog.models()) {
          Config own = blocks.getOrDefault(m.id(), ConfigFactory.empty());
          boolean hasDefaultCommand = !defaults.getStringList("command").isEmpty();
          if (own.hasPath("process") || (m.backends().isEmpty() && hasDefaultCommand)) {
            Config launch = own.hasPath("process") ? own.getConfig("process").withFallback(defaults) : defaults;
            launches.put(m.id(), launch(m, launch));
          } else {
            requireBackends(m);
          }
        }
        yield managing(new ProcessDriver(processSettings(defaults), launches), launches.keySet(), catalog);
      }
      case "kubernetes" -> {
        Config k8s = pickspin.getConfig("kubernetes");
        KubernetesClient client = clients.get();
        String namespace = k8s.getString("namespace");
        if (namespace.isBlank()) namespace = client.getNamespace() == null ? "default" : client.getNamespace();
        Map<String, KubernetesTarget> targets = new LinkedHashMap<>();
        for (ModelSpec m : catalog.models()) {
          Config own = blocks.getOrDefault(m.id(), ConfigFactory.empty());
          if (own.hasPath("kubernetes")) {
            targets.put(m.id(), KubernetesTarget.fromConfig(own.getConfig("kubernetes"), namespace, m));
          } else {
            requireBackends(m);
          }
        }
        KubernetesDriver.Settings settings =
            new KubernetesDriver.Settings(
                KubernetesDriver.Ceiling.parse(k8s.getString("ceiling")),
                k8s.getDuration("resync"),
                k8s.getDuration("retry.min"),
                k8s.getDuration("retry.max"));
        yield managing(new KubernetesDriver(client, targets, settings, ownsClient), targets.keySet(), catalog);
      }
      default ->
          throw new IllegalArgumentException(
              "unknown pickspin.scaling.driver '" + kind + "', expected static, process or kubernetes");
    };
  }

  private static ReplicaDriver managing(ReplicaDriver driver, Set<String> managed, Catalog catalog) {
    return managed.size() == catalog.models().size()
        ? driver
        : new ByModelDriver(driver, managed, new StaticDriver(catalog));
  }

  /** The raw configuration of each model by id (the catalogue drops the driver blocks). */
  private static Map<String, Config> modelBlocks(Config pickspin) {
    Map<String, Config> blocks = new HashMap<>();
    if (pickspin.hasPath("models")) {
      for (Config m : pickspin.getConfigList("models")) {
        if (m.hasPath("id")) blocks.put(m.getString("id"), m);
      }
    }
    return blocks;
  }

  private static void requireBackends(ModelSpec m) {
    if (m.backends().isEmpty()) {
      throw new IllegalArgumentException(
          "model " + m.id() + " lists no backends and has no process or kubernetes block: nothing could serve it");
    }
  }

  static ProcessDriver.Launch launch(ModelSpec m, Config c) {
    try {
      Map<String, String> env = new LinkedHashMap<>();
      if (c.hasPath("env")) {
        for (Map.Entry<String, ConfigValue> e : c.getObject("env").entrySet()) {
          env.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
        }
      }
      String readyLine = c.getString("ready-line");
      String readyPath = c.getString("ready-path");
      return new ProcessDriver.Launch(
          new CommandTemplate(c.getStringList("command")),
          c.getString("kind"),
          readyLine.isBlank() ? null : Pattern.compile(readyLine),
          readyPath.isBlank() ? null : readyPath,
          env);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("model " + m.id() + ": bad process configuration: " + e.getMessage(), e);
    }
  }

  static ProcessDriver.Settings processSettings(Config c) {
    String logDir = c.getString("log-dir");
    return new ProcessDriver.Settings(
        c.getDuration("start-timeout"),
        c.getDuration("drain-time"),
        c.getDuration("stop-grace"),
        c.getDuration("poll-interval"),
        c.getDuration("restart-backoff.min"),
        c.getDuration("restart-backoff.max"),
        logDir.isBlank() ? null : Path.of(logDir),
        c.getBoolean("orphan-guard"));
  }
}
