package io.pickspin.drivers;

import static io.pickspin.settings.SettingsErrors.naming;
import static io.pickspin.settings.SettingsErrors.oneOf;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The settings of the replica drivers (pickspin-drivers.conf): which driver carries out the scaling decisions
 * ({@code pickspin.scaling.driver}), that driver's block ({@code pickspin.process} or {@code pickspin.kubernetes}), and
 * the per-model {@code process} and {@code kubernetes} blocks of {@code pickspin.models} (the catalogue reads the rest
 * of each model). Only the chosen driver's blocks are read.
 *
 * @param process the process driver's settings; present only for kind = process
 * @param kubernetes the Kubernetes driver's settings; present only for kind = kubernetes
 */
public record DriverSettings(Kind kind, Process process, Kubernetes kubernetes) {

  /** Which driver scales the models. */
  public enum Kind {
    /** The catalogue's backends, always READY, never scaled (the paper's "static deployment" baseline). */
    STATIC,
    /** Local processes started from a command template. */
    PROCESS,
    /** Deployments, Knative Services or KEDA ScaledObjects. */
    KUBERNETES
  }

  /**
   * The process driver: {@code pickspin.process} and the models' own {@code process} blocks.
   *
   * @param defaultLaunch how a model without a block of its own and without backends is started; null when
   *     {@code pickspin.process.command} is empty
   * @param launches by model id: the model's own {@code process} block over {@code pickspin.process}
   */
  public record Process(
      ProcessDriver.Settings settings, ProcessDriver.Launch defaultLaunch, Map<String, ProcessDriver.Launch> launches) {
    public Process {
      Objects.requireNonNull(settings, "settings");
      launches = Map.copyOf(launches);
    }
  }

  /**
   * The Kubernetes driver: {@code pickspin.kubernetes} and the models' own {@code kubernetes} blocks.
   *
   * @param namespace the namespace of models whose block names none; "" = the client's
   * @param targets by model id
   */
  public record Kubernetes(
      String namespace, KubernetesDriver.Settings settings, Map<String, KubernetesTarget.Spec> targets) {
    public Kubernetes {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(settings, "settings");
      targets = Map.copyOf(targets);
    }
  }

  public DriverSettings {
    Objects.requireNonNull(kind, "kind");
    if ((kind == Kind.PROCESS) != (process != null))
      throw new IllegalArgumentException("the process settings go with the process driver, and only with it");
    if ((kind == Kind.KUBERNETES) != (kubernetes != null))
      throw new IllegalArgumentException("the kubernetes settings go with the kubernetes driver, and only with it");
  }

  /** The static driver. */
  public static DriverSettings staticDriver() {
    return new DriverSettings(Kind.STATIC, null, null);
  }

  /**
   * Reads the driver settings of a {@code pickspin} block (the root config, holding a {@code pickspin} block, is
   * accepted too). The defaults of pickspin-drivers.conf apply even where reference.conf does not include them.
   */
  public static DriverSettings fromConfig(Config config) {
    Config given = config.hasPath("pickspin") && !config.hasPath("scaling") ? config.getConfig("pickspin") : config;
    Config pickspin = given.withFallback(defaults());
    Kind kind = naming("pickspin.scaling.driver", () -> oneOf(Kind.class, "driver", pickspin.getString("scaling.driver")));
    return switch (kind) {
      case STATIC -> staticDriver();
      case PROCESS -> new DriverSettings(kind, process(pickspin), null);
      case KUBERNETES -> new DriverSettings(kind, null, kubernetes(pickspin));
    };
  }

  private static Config defaults() {
    return ConfigFactory.parseResources(DriverSettings.class.getClassLoader(), "pickspin-drivers.conf")
        .resolve()
        .getConfig("pickspin");
  }

  private static Process process(Config pickspin) {
    Config defaults = naming("pickspin.process", () -> pickspin.getConfig("process"));
    ProcessDriver.Settings settings = naming("pickspin.process", () -> processSettings(defaults));
    ProcessDriver.Launch defaultLaunch =
        defaults.getStringList("command").isEmpty() ? null : launch("pickspin.process", defaults);
    Map<String, ProcessDriver.Launch> launches = new LinkedHashMap<>();
    modelBlocks(pickspin, "process")
        .forEach((model, own) -> launches.put(model, launch("model " + model, own.withFallback(defaults))));
    return new Process(settings, defaultLaunch, launches);
  }

  private static Kubernetes kubernetes(Config pickspin) {
    Config k8s = naming("pickspin.kubernetes", () -> pickspin.getConfig("kubernetes"));
    KubernetesDriver.Settings settings =
        naming(
            "pickspin.kubernetes",
            () ->
                new KubernetesDriver.Settings(
                    KubernetesDriver.Ceiling.parse(k8s.getString("ceiling")),
                    k8s.getDuration("resync"),
                    k8s.getDuration("retry.min"),
                    k8s.getDuration("retry.max")));
    Map<String, KubernetesTarget.Spec> targets = new LinkedHashMap<>();
    modelBlocks(pickspin, "kubernetes")
        .forEach((model, block) -> targets.put(model, KubernetesTarget.Spec.fromConfig(block, model)));
    return new Kubernetes(naming("pickspin.kubernetes", () -> k8s.getString("namespace")), settings, targets);
  }

  /** The {@code block} of every model that has one, by model id. */
  private static Map<String, Config> modelBlocks(Config pickspin, String block) {
    Map<String, Config> blocks = new LinkedHashMap<>();
    if (pickspin.hasPath("models")) {
      for (Config m : pickspin.getConfigList("models")) {
        if (m.hasPath("id") && m.hasPath(block)) blocks.put(m.getString("id"), m.getConfig(block));
      }
    }
    return blocks;
  }

  /** A launch from a {@code process} block; {@code where} names the block in errors. */
  private static ProcessDriver.Launch launch(String where, Config c) {
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
      throw new IllegalArgumentException(where + ": bad process configuration: " + e.getMessage(), e);
    }
  }

  private static ProcessDriver.Settings processSettings(Config c) {
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
