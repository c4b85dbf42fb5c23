package io.pickspin.sim.server;

import com.typesafe.config.ConfigFactory;
import io.pickspin.model.LatencyProfile;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The sim server as a process, the way a replica driver starts vLLM:
 *
 * <pre>
 * java -cp ... io.pickspin.sim.server.SimServerMain --host 127.0.0.1 --port 0 \
 *     --model name=small,ttft-ms=50,tpot-ms=10,max-batch=8,cold-start-ms=2000 [--model ...] [--log-level INFO]
 * </pre>
 *
 * Model keys other than name are optional (defaults: ttft-ms 0, tpot-ms 0, max-batch 8, cold-start-ms 0); the port
 * defaults to 8000 like vLLM. Once bound it prints exactly one line to stdout, {@code SIM_READY port=<port>}, which
 * the parent parses; models may still be loading then (see GET /health). Everything else, logs included, goes to
 * stderr. SIGTERM stops the server (open requests are reset) and exits. Settings come from reference.conf and -D
 * overrides, never from an application.conf on the classpath, so a sim started with a cluster node's classpath does
 * not start remoting.
 */
public final class SimServerMain {
  static final String READY_LINE = "SIM_READY port=";

  private SimServerMain() {}

  /** Parsed command line. */
  record Options(String host, int port, List<SimModel> models, String logLevel) {}

  /** The command line as picocli reads it; {@link #parse} turns it into {@link Options}. */
  @Command(name = "SimServerMain", sortOptions = false, usageHelpWidth = 120, synopsisHeading = "", customSynopsis = {
      "usage: SimServerMain [--host 127.0.0.1] [--port 8000] [--log-level INFO]",
      "         --model name=NAME[,ttft-ms=0][,tpot-ms=0][,max-batch=8][,cold-start-ms=0] [--model ...]"})
  static final class Arguments {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print this help and exit.")
    boolean help;
    @Option(names = "--host", description = "address to bind (default 127.0.0.1)")
    String host = "127.0.0.1";
    @Option(names = "--port", converter = PortConverter.class, description = "port to bind, 0 for a free one (default 8000)")
    int port = 8000;
    @Option(names = "--model", required = true, converter = ModelConverter.class, paramLabel = "SPEC",
        description = "a served model: name=NAME[,ttft-ms=0][,tpot-ms=0][,max-batch=8][,cold-start-ms=0] (repeatable)")
    List<SimModel> models = new ArrayList<>();
    @Option(names = "--log-level", converter = LogLevelConverter.class, description = "OFF, ERROR, WARN, INFO or DEBUG (default INFO)")
    String logLevel = "INFO";
  }

  static final class PortConverter implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      return integer("--port", value, 0, 65535);
    }
  }

  static final class ModelConverter implements CommandLine.ITypeConverter<SimModel> {
    @Override
    public SimModel convert(String value) {
      return model(value);
    }
  }

  static final class LogLevelConverter implements CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
      return logLevel(value);
    }
  }

  public static void main(String[] args) {
    PrintStream stdout = System.out;
    System.setOut(System.err); // stdout carries only the ready line
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.err.println(usage());
      return;
    }
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("sim: " + e.getMessage());
      System.err.println(usage());
      System.exit(2);
      return;
    }
    setLogLevel(options.logLevel());

    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "pickspin-sim", ConfigFactory.load(
        ConfigFactory.parseString("pekko.actor.provider = local\n"
            + "pekko.loglevel = " + pekkoLevel(options.logLevel()) + "\n"
            + "pekko.log-dead-letters = off\n")));
    SimServer server;
    try {
      server = SimServer.start(system, options.host(), options.port(), options.models())
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("sim: could not start: " + e);
      system.terminate();
      System.exit(1);
      return;
    }
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "sim-server-stop", server::stop);
    stdout.println(READY_LINE + server.port());
    stdout.flush();
  }

  /** The options; an unknown option, a missing --model or a bad value throws IllegalArgumentException. */
  static Options parse(String[] args) {
    Arguments a = new Arguments();
    CommandLine cl = new CommandLine(a);
    cl.setOverwrittenOptionsAllowed(true);
    try {
      cl.parseArgs(args);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new Options(a.host, a.port, List.copyOf(a.models), a.logLevel);
  }

  private static String logLevel(String value) {
    String level = value.toUpperCase();
    if (!List.of("OFF", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "TRACE", "ALL").contains(level)) {
      throw new IllegalArgumentException("--log-level must be OFF, ERROR, WARN, INFO or DEBUG, got '" + value + "'");
    }
    return level.equals("WARNING") ? "WARN" : level;
  }

  /** {@code name=small,ttft-ms=50,tpot-ms=10,max-batch=8,cold-start-ms=2000} */
  static SimModel model(String spec) {
    String name = null;
    double ttftMs = 0;
    double tpotMs = 0;
    int maxBatch = 8;
    double coldStartMs = 0;
    for (String pair : spec.split(",")) {
      int eq = pair.indexOf('=');
      if (eq < 1) throw new IllegalArgumentException("--model expects key=value pairs, got '" + pair + "'");
      String key = pair.substring(0, eq).trim();
      String value = pair.substring(eq + 1).trim();
      switch (key) {
        case "name" -> name = value;
        case "ttft-ms" -> ttftMs = decimal(key, value);
        case "tpot-ms" -> tpotMs = decimal(key, value);
        case "max-batch" -> maxBatch = integer(key, value, 1, Integer.MAX_VALUE);
        case "cold-start-ms" -> coldStartMs = decimal(key, value);
        default -> throw new IllegalArgumentException("unknown --model key '" + key
            + "' (use name, ttft-ms, tpot-ms, max-batch, cold-start-ms)");
      }
    }
    if (name == null || name.isBlank()) throw new IllegalArgumentException("--model needs name=...");
    return new SimModel(name, new LatencyProfile(ttftMs, tpotMs, maxBatch, coldStartMs));
  }

  private static int integer(String key, String value, int min, int max) {
    try {
      int parsed = Integer.parseInt(value);
      if (parsed >= min && parsed <= max) return parsed;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(key + " must be an integer in [" + min + ", " + max + "], got '" + value + "'");
  }

  private static double decimal(String key, String value) {
    try {
      double parsed = Double.parseDouble(value);
      if (parsed >= 0 && Double.isFinite(parsed)) return parsed;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(key + " must be a number >= 0, got '" + value + "'");
  }

  /** Logback's default configuration logs everything at DEBUG: honour --log-level when logback is the backend. */
  private static void setLogLevel(String level) {
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
      context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(ch.qos.logback.classic.Level.toLevel(level));
    }
  }

  /** Pekko knows OFF, ERROR, WARNING, INFO and DEBUG. */
  private static String pekkoLevel(String level) {
    return switch (level) {
      case "WARN" -> "WARNING";
      case "TRACE", "ALL" -> "DEBUG";
      default -> level;
    };
  }

  private static String usage() {
    return new CommandLine(new Arguments()).getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing();
  }
}
