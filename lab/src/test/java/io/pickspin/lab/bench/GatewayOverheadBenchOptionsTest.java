package io.pickspin.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.lab.common.Cli;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayOverheadBenchOptionsTest {
  private static GatewayOverheadBench.Options parse(String... argv) {
    return Cli.parse(new GatewayOverheadBench.Options(), argv);
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    GatewayOverheadBench.Options o = parse();
    assertEquals(List.of(250, 500, 1000, 2000), o.rates);
    assertEquals(List.of(GatewayOverheadBench.Mode.PLAIN, GatewayOverheadBench.Mode.STREAM), o.modes);
    assertEquals(List.of("-Xms256m", "-Xmx1g", "-XX:+UseG1GC"), o.jvmOpts);
    assertEquals(List.of("direct", "nginx", "portkey", "keyword", "classifier"), o.ways);
    assertEquals(200, o.churn);
    assertTrue(Double.isNaN(o.maxStealPercent));
    assertEquals("bench/results/gateway-overhead.md", o.out);
  }

  @Test
  void listsJvmOptionsAndVariantsParse() {
    GatewayOverheadBench.Options o = parse("--rates", "none", "--modes", "streamed", "--jvm-opts", "-Xms64m  -Xmx512m",
        "--variant", "zgc=-XX:+UseZGC -Xmx1g", "--variant", "par=-XX:+UseParallelGC", "--baseline-classpath", "/old");
    assertEquals(List.of(), o.rates);
    assertEquals(List.of(GatewayOverheadBench.Mode.STREAM), o.modes);
    assertEquals(List.of("-Xms64m", "-Xmx512m"), o.jvmOpts);
    List<GatewayOverheadBench.GatewayJvm> extra = o.extraGateways("/this");
    assertEquals(List.of(GatewayOverheadBench.BASELINE, "gateway keyword, zgc", "gateway keyword, par"),
        extra.stream().map(GatewayOverheadBench.GatewayJvm::way).toList());
    assertEquals(List.of("-XX:+UseZGC", "-Xmx1g"), extra.get(1).jvmOptions());
    assertEquals("/this", extra.get(1).classpath());
  }

  @Test
  void badValuesAndUnknownOptionsAreErrors() {
    assertThrows(IllegalArgumentException.class, () -> parse("--rate", "1000"));
    assertThrows(IllegalArgumentException.class, () -> parse("--modes", "fast"));
    assertThrows(IllegalArgumentException.class, () -> parse("--variant", "zgc"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("--open-rounds", "0"));
    assertEquals("--open-rounds takes 1 or more, not 0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> parse("--max-steal", "-1"));
  }

  @Test
  void waysAreCheckedByName() {
    assertEquals(List.of("direct", "portkey", "keyword"), parse("--ways", "direct,portkey,keyword").ways);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("--ways", "direct,litellm"));
    assertEquals("--ways takes direct, nginx, portkey, keyword, classifier, not 'litellm'", e.getMessage());
  }

  @Test
  void portkeyRunsAloneUnlessToldOtherwise() {
    assertEquals(List.of("portkey"), parse().alone);
    assertEquals(List.of(), parse("--alone", "none").alone);
    assertEquals(List.of("portkey", "classifier"), parse("--alone", "portkey, classifier").alone);
    assertThrows(IllegalArgumentException.class, () -> parse("--alone", "nodejs"));
  }
}
