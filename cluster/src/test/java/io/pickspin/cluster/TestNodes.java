package io.pickspin.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.persistence.Journal;
import java.nio.file.Path;
import java.util.Map;

/** Configs for nodes started inside tests: loopback, free ports, a private H2 file. */
final class TestNodes {
  private TestNodes() {}

  static Config singleNode(Path dataDir) {
    return ConfigFactory.parseMap(
            Map.of(
                "pickspin.gateway.port", 0,
                "pekko.remote.artery.canonical.port", 0,
                "pickspin.h2.file", dataDir.resolve("h2/pickspin").toString()))
        .withFallback(Journal.applicationLayer());
  }
}
