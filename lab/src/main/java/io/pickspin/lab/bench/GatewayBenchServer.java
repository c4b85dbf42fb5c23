package io.pickspin.lab.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pickspin.http.Gateway;
import io.pickspin.http.GatewaySettings;
import io.pickspin.lab.common.Cli;
import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.StaticLeaseProvider;
import io.pickspin.routing.ComplexityRoutingPolicy;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The gateway as the benchmark runs it, in a JVM of its own: a three-tier catalogue whose models are all served by one
 * sim backend, complexity routing (keyword, classifier and hybrid routers, chosen per request), the static lease
 * provider (no actors on the request path). Production settings otherwise: the gateway's and routing's reference.conf.
 *
 * <pre>
 * java -cp ... io.pickspin.lab.bench.GatewayBenchServer --backend http://127.0.0.1:PORT [--port 0]
 * </pre>
 *
 * Prints {@code GATEWAY_READY port=<port> classifier=<builtin|none>} to stdout once it serves; everything else goes to
 * stderr. Stdin commands: {@code mem} answers {@code MEM heap_used=<bytes> heap_committed=<bytes>} after a full GC.
 * End of stdin stops it.
 */
public final class GatewayBenchServer {
  static final String READY = "GATEWAY_READY";
  /** Served model names of the sim backend, lowest tier first. */
  static final List<String> SERVED = List.of("bench-low", "bench-medium", "bench-high");

  private GatewayBenchServer() {}

  @Command(name = "GatewayBenchServer", sortOptions = false, showDefaultValues = true,
      description = "The gateway as the gateway overhead benchmark runs it, in a JVM of its own.")
  static final class Options {
    @Mixin Cli.Help help;
    @Option(names = "--backend", required = true, description = "the sim backend, http://host:port") URI backend;
    @Option(names = "--port", description = "the gateway's port; 0 picks a free one") int port = 0;
  }

  public static void main(String[] args) throws Exception {
    PrintStream stdout = System.out;
    System.setOut(System.err); // stdout carries only the protocol lines
    Options options = Cli.parseOrExit(new Options(), args);
    URI backend = options.backend;
    int port = options.port;

    // reference.conf and -D overrides only: an application.conf on the classpath (the cluster node's) must not apply
    Config config = ConfigFactory.defaultOverrides()
        .withFallback(ConfigFactory.parseString(String.join("\n",
            "pekko.actor.provider = local",
            "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]",
            "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"",
            "pekko.log-dead-letters = off")))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "pickspin-bench", config);
    Catalog catalog = catalog(backend);
    ComplexityRoutingPolicy routing = ComplexityRoutingPolicy.fromConfig(catalog, config.getConfig("pickspin.routing"));
    // the classifier copies its model to a temporary directory that close() removes; the bench ends us with SIGTERM
    Runtime.getRuntime().addShutdownHook(new Thread(routing::close, "close-routing"));
    // the first classifier call pays for native initialisation: pay it before serving, as the node does
    routing.decide(new RouteRequest(RouteRequest.AUTO, "warm up the classifier", Profile.BALANCED, RouterKind.CLASSIFIER, 0));
    GatewaySettings settings = GatewaySettings.fromConfig(config.getConfig("pickspin")).withPort(port);
    Gateway gateway = Gateway.start(system, settings, catalog, routing, new StaticLeaseProvider(catalog))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    stdout.println(READY + " port=" + gateway.port() + " classifier=" + (routing.learnedClassifier() != null ? "builtin" : "none"));
    stdout.flush();

    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.trim().equals("mem")) {
          System.gc();
          System.gc();
          MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
          stdout.println("MEM heap_used=" + heap.getUsed() + " heap_committed=" + heap.getCommitted());
          stdout.flush();
        }
      }
    }
    gateway.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    System.exit(0);
  }

  /** Three tiers, shaped like the demo catalogue (the scorer uses these profiles); all on the one zero-latency sim. */
  static Catalog catalog(URI backend) {
    return new Catalog(List.of(
        model("bench-small", Tier.LOW, SERVED.get(0), 0.66, 1, new LatencyProfile(60, 9, 16, 0), backend),
        model("bench-medium", Tier.MEDIUM, SERVED.get(1), 0.80, 2, new LatencyProfile(110, 18, 8, 0), backend),
        model("bench-large", Tier.HIGH, SERVED.get(2), 0.86, 4, new LatencyProfile(150, 25, 8, 0), backend)));
  }

  private static ModelSpec model(
      String id, Tier tier, String served, double quality, int gpus, LatencyProfile latency, URI backend) {
    return new ModelSpec(id, tier, served, quality, gpus, 2.5, latency, 1, 1,
        List.of(new BackendEndpoint(id + "-0", "sim", backend)));
  }
}
