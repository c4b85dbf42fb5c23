package io.pickspin.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configuration a control-plane pod would load: the mounted pickspin.conf (which includes the mounted catalogue),
 * with the substitutions resolved from the pod's environment as the StatefulSet declares it. Secret references resolve
 * to "secret:name/key".
 */
final class NodeConfig {
  static final String CONFIG_FILE_PROPERTY = "-Dconfig.file=";

  private NodeConfig() {}

  static Config load(Rendered rendered, Path workDir) {
    String configFile = configFilePath(rendered);
    String nodeConf = mountedFile(rendered, configFile);
    String catalogPath = mountPath(rendered, "catalog") + "/catalog.conf";
    String include = "include required(file(\"" + catalogPath + "\"))";
    assertTrue(nodeConf.contains(include), () -> "pickspin.conf does not include the mounted catalogue: " + include);
    try {
      Path catalog = workDir.resolve("catalog.conf");
      Files.writeString(catalog, mountedFile(rendered, catalogPath));
      String local = nodeConf.replace(include, "include required(file(\"" + catalog + "\"))");
      return ConfigFactory.parseMap(podEnvironment(rendered)).withFallback(ConfigFactory.parseString(local)).resolve();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The file that JAVA_TOOL_OPTIONS points -Dconfig.file at. */
  static String configFilePath(Rendered rendered) {
    String options = rendered.envVar("JAVA_TOOL_OPTIONS").getValue();
    int at = options.indexOf(CONFIG_FILE_PROPERTY);
    assertTrue(at >= 0, () -> "JAVA_TOOL_OPTIONS does not set config.file: " + options);
    return options.substring(at + CONFIG_FILE_PROPERTY.length()).split(" ")[0];
  }

  /** The content of a file in a ConfigMap volume of the control-plane pod, found through its mount path. */
  static String mountedFile(Rendered rendered, String file) {
    String dir = file.substring(0, file.lastIndexOf('/'));
    String key = file.substring(file.lastIndexOf('/') + 1);
    VolumeMount mount = rendered.controlPlaneContainer().getVolumeMounts().stream()
        .filter(m -> m.getMountPath().equals(dir))
        .findFirst()
        .orElseThrow(() -> new AssertionError("nothing is mounted at " + dir));
    Volume volume = rendered.controlPlane().getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(mount.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + mount.getName()));
    assertTrue(volume.getConfigMap() != null, () -> dir + " is not a ConfigMap volume");
    return rendered.configMapEntry(volume.getConfigMap().getName(), key);
  }

  static String mountPath(Rendered rendered, String volume) {
    return rendered.controlPlaneContainer().getVolumeMounts().stream()
        .filter(m -> m.getName().equals(volume))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no mount of volume " + volume))
        .getMountPath();
  }

  static Map<String, String> podEnvironment(Rendered rendered) {
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar e : rendered.controlPlaneContainer().getEnv()) {
      String value = e.getValue();
      if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
        value = "secret:" + e.getValueFrom().getSecretKeyRef().getName() + "/" + e.getValueFrom().getSecretKeyRef().getKey();
      } else if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
        value = "field:" + e.getValueFrom().getFieldRef().getFieldPath();
      }
      assertEquals(null, env.put(e.getName(), value), () -> "env var " + e.getName() + " is set twice");
    }
    return env;
  }
}
