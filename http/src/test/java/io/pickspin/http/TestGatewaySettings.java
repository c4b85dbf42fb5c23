package io.pickspin.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;

/** The gateway settings a test's actor system ships with, on an ephemeral port, with overrides of the gateway block. */
final class TestGatewaySettings {
  private TestGatewaySettings() {}

  /** @param gatewayOverrides HOCON inside {@code pickspin.gateway}, e.g. {@code "auth = keys"} */
  static GatewaySettings of(ActorSystem<?> system, String gatewayOverrides) {
    Config pickspin = system.settings().config().getConfig("pickspin");
    return GatewaySettings.fromConfig(ConfigFactory.parseString("gateway { " + gatewayOverrides + " }").withFallback(pickspin))
        .withPort(0);
  }

  static GatewaySettings of(ActorSystem<?> system) {
    return of(system, "");
  }
}
