package io.pickspin.lab.common;

import java.io.PrintWriter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine;

/**
 * The command line of every lab and chaos program, parsed by picocli from the annotations of an options object: each
 * program declares its options once ({@code @Command} with {@code @Option} fields and their defaults), and
 * {@code --help} prints them. Options take their value as {@code --name value} or {@code --name=value}; given twice,
 * the last one counts. An unknown option or argument, or a value that does not convert, is an error.
 */
public final class Cli {
  private Cli() {}

  /** The {@code --help} option; add it to a program's options with {@code @Mixin Cli.Help help;}. */
  public static final class Help {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print this help and exit.")
    boolean requested;
  }

  /** Options that check their values together once parsed; a failed check throws IllegalArgumentException. */
  public interface Checked {
    void check();
  }

  /**
   * Parses {@code argv} into {@code options} for a program's {@code main}: with {@code --help} prints the usage to
   * stdout and exits 0; a command line that does not parse prints the error and the usage to stderr and exits 2.
   */
  public static <T> T parseOrExit(T options, String... argv) {
    CommandLine cl = commandLine(options);
    try {
      parse(cl, options, argv);
    } catch (ParameterException e) {
      PrintWriter err = cl.getErr();
      err.println(cl.getCommandName() + ": " + e.getMessage());
      cl.usage(err);
      err.flush();
      System.exit(2);
    }
    if (cl.isUsageHelpRequested()) {
      cl.usage(cl.getOut());
      cl.getOut().flush();
      System.exit(0);
    }
    return options;
  }

  /** Parses {@code argv} into {@code options}; a command line that does not parse throws IllegalArgumentException. */
  public static <T> T parse(T options, String... argv) {
    CommandLine cl = commandLine(options);
    try {
      parse(cl, options, argv);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return options;
  }

  /** The usage text of a program's options, as {@code --help} prints it. */
  public static String usage(Object options) {
    return commandLine(options).getUsageMessage(CommandLine.Help.Ansi.OFF);
  }

  private static CommandLine commandLine(Object options) {
    CommandLine cl = new CommandLine(options);
    cl.setOverwrittenOptionsAllowed(true);
    cl.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
    cl.setUsageHelpWidth(120);
    cl.getCommandSpec().usageMessage().abbreviateSynopsis(true);
    return cl;
  }

  private static void parse(CommandLine cl, Object options, String[] argv) {
    cl.parseArgs(argv);
    if (cl.isUsageHelpRequested()) return;
    if (options instanceof Checked c) {
      try {
        c.check();
      } catch (IllegalArgumentException e) {
        throw new ParameterException(cl, e.getMessage(), e);
      }
    }
  }
}
