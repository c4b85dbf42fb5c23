package io.pickspin.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pickspin.persistence.Journal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Configs for nodes started inside tests: loopback, free ports, a private H2 file, and the demo catalogue served by
 * in-process sim servers (static driver) rather than forked sim processes, so that a node is ready in seconds.
 */
final class TestNodes {
  private TestNodes() {}

  static NodeSettings singleNode(Path dataDir) {
    return NodeSettings.fromConfig(singleNodeConfig(dataDir));
  }

  static Config singleNodeConfig(Path dataDir) {
    Config app = Journal.applicationLayer();
    List<Object> models =
        app.withFallback(ConfigFactory.defaultReference()).resolve().getConfigList("pickspin.models").stream()
            .map(m -> (Object) m.withValue("backends", ConfigValueFactory.fromIterable(List.of(Map.of("kind", "sim", "port", 0)))).root().unwrapped())
            .toList();
    return ConfigFactory.parseMap(
            Map.of(
                "pickspin.gateway.port", 0,
                "pekko.remote.artery.canonical.port", 0,
                "pickspin.scaling.driver", "static",
                "pickspin.admin.port", 0,
                "pickspin.admin.dev-mode", "on",
                "pickspin.metrics.enabled", "off",
                "pickspin.h2.file", dataDir.resolve("h2/pickspin").toString()))
        .withValue("pickspin.models", ConfigValueFactory.fromIterable(models))
        .withFallback(app);
  }
}
