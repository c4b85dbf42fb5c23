package io.pickspin.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/**
 * The two journals the product runs on: an embedded H2 file (single node, the default) and Cassandra (a cluster).
 * {@link #configure} layers the chosen journal's settings under the application config; {@link #prepare} creates what
 * the journal needs before the first persistent actor starts.
 */
public enum Journal {
  H2,
  CASSANDRA;

  public static Journal parse(String s) {
    try {
      return Journal.valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "unknown journal '" + s + "', expected one of " + Arrays.toString(values()).toLowerCase(Locale.ROOT));
    }
  }

  /**
   * The full config: {@code app} (system properties and application.conf, NOT yet resolved and without reference.conf)
   * over this journal's settings over every reference.conf. The journal must sit below the application but above the
   * plugins' reference.conf, whose null defaults would otherwise hide it. For Cassandra, {@code contactPoints}
   * ("host:port" list) overrides the driver's contact points when not empty.
   */
  public Config configure(Config app, List<String> contactPoints) {
    Config journal =
        ConfigFactory.parseResources(
            Journal.class.getClassLoader(), "pickspin/journal-" + name().toLowerCase(Locale.ROOT) + ".conf");
    Config layered = app;
    if (this == CASSANDRA && !contactPoints.isEmpty()) {
      layered =
          ConfigFactory.empty()
              .withValue("datastax-java-driver.basic.contact-points", ConfigValueFactory.fromIterable(contactPoints))
              .withFallback(app);
    }
    return layered.withFallback(journal).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  /** System properties over application.conf, unresolved: the {@code app} layer {@link #configure} expects. */
  public static Config applicationLayer() {
    ConfigFactory.invalidateCaches();
    return ConfigFactory.defaultOverrides().withFallback(ConfigFactory.defaultApplication());
  }

  /**
   * Creates the H2 schema (idempotent; pekko-persistence-jdbc's raw script is not re-runnable). Cassandra creates its
   * keyspaces itself on first use.
   */
  public CompletionStage<Done> prepare(ActorSystem<?> system) {
    if (this == H2) return SchemaUtils.createIfNotExists(system);
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
