package io.pickspin.lab.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

class CliTest {
  @Command(name = "bin/example", showDefaultValues = true)
  static final class Options implements Cli.Checked {
    @Mixin Cli.Help help;
    @Option(names = "--rounds", description = "how many rounds") int rounds = 3;
    @Option(names = "--out", description = "results file") Path out = Path.of("bench/results/example.md");
    @Option(names = "--quick", description = "fewer rows") boolean quick;

    @Override
    public void check() {
      if (rounds < 1) throw new IllegalArgumentException("--rounds takes 1 or more, not " + rounds);
    }
  }

  @Test
  void anUnknownOptionIsAnErrorThatNamesIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cli.parse(new Options(), "--round", "2"));
    assertTrue(e.getMessage().contains("--round"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Cli.parse(new Options(), "stray"));
  }

  @Test
  void defaultsStayAndGivenValuesReplaceThemInEitherSpelling() {
    Options defaults = Cli.parse(new Options());
    assertEquals(3, defaults.rounds);
    assertEquals(Path.of("bench/results/example.md"), defaults.out);
    Options given = Cli.parse(new Options(), "--rounds", "5", "--out=x.md", "--quick");
    assertEquals(5, given.rounds);
    assertEquals(Path.of("x.md"), given.out);
    assertTrue(given.quick);
    assertEquals(7, Cli.parse(new Options(), "--rounds", "5", "--rounds", "7").rounds, "the last one counts");
  }

  @Test
  void aValueThatDoesNotConvertOrFailsTheCheckIsAnError() {
    assertThrows(IllegalArgumentException.class, () -> Cli.parse(new Options(), "--rounds", "many"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cli.parse(new Options(), "--rounds", "0"));
    assertEquals("--rounds takes 1 or more, not 0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Cli.parse(new Options(), "--rounds"));
  }

  @Test
  void theHelpListsEveryOptionWithItsDefault() {
    String usage = Cli.usage(new Options());
    assertTrue(usage.contains("bin/example"), usage);
    assertTrue(usage.contains("--rounds") && usage.contains("Default: 3"), usage);
    assertTrue(usage.contains("--help"), usage);
  }
}
