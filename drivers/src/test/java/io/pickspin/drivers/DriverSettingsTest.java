package io.pickspin.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The driver settings read only the chosen driver's blocks, and a bad value is an error that names where it is. */
class DriverSettingsTest {
  static DriverSettings parse(String pickspin) {
    return DriverSettings.fromConfig(ConfigFactory.parseString(pickspin).resolve());
  }

  static String error(String pickspin) {
    return assertThrows(IllegalArgumentException.class, () -> parse(pickspin)).getMessage();
  }

  @Test
  void theProcessDriverReadsItsBlockAndEachModelsOwn() {
    DriverSettings s =
        parse(
            """
            scaling.driver = process
            process { command = ["serve", "{port}"], stop-grace = 3s }
            models = [{ id = a, process { kind = llamacpp, env { X = 1 } } }, { id = b }]
            """);
    assertEquals(DriverSettings.Kind.PROCESS, s.kind());
    assertNull(s.kubernetes());
    assertEquals(Duration.ofSeconds(3), s.process().settings().stopGrace());
    assertEquals(Duration.ofMinutes(10), s.process().settings().startTimeout(), "pickspin-drivers.conf's default");
    assertNotNull(s.process().defaultLaunch());
    assertEquals("vllm", s.process().defaultLaunch().kind());
    ProcessDriver.Launch a = s.process().launches().get("a");
    assertEquals("llamacpp", a.kind());
    assertEquals("1", a.env().get("X"));
    assertEquals("/health", a.readyPath(), "the model's block over pickspin.process");
    assertEquals(java.util.Set.of("a"), s.process().launches().keySet());
  }

  @Test
  void withoutADefaultCommandOnlyModelsWithABlockAreLaunched() {
    DriverSettings s = parse("scaling.driver = process");
    assertNull(s.process().defaultLaunch());
    assertTrue(s.process().launches().isEmpty());
  }

  @Test
  void theKubernetesDriverReadsItsBlockAndEachModelsOwn() {
    DriverSettings s =
        parse(
            """
            scaling.driver = kubernetes
            kubernetes { namespace = models, ceiling = desired }
            models = [{ id = a, kubernetes { kind = knative, name = a-svc, service-url = "http://a.models:80" } }]
            """);
    assertEquals(DriverSettings.Kind.KUBERNETES, s.kind());
    assertNull(s.process());
    assertEquals("models", s.kubernetes().namespace());
    assertEquals(KubernetesDriver.Ceiling.DESIRED, s.kubernetes().settings().ceiling());
    assertEquals(
        new KubernetesTarget.Spec(KubernetesTarget.Kind.KNATIVE, "a-svc", null, URI.create("http://a.models:80"), null),
        s.kubernetes().targets().get("a"));
  }

  @Test
  void onlyTheChosenDriversBlocksAreRead() {
    DriverSettings s = parse("process.stop-grace = never\nkubernetes.ceiling = sky");
    assertEquals(DriverSettings.Kind.STATIC, s.kind());
  }

  @Test
  void badValuesNameWhereTheyAre() {
    assertEquals(
        "pickspin.scaling.driver: unknown driver 'docker', expected static, process or kubernetes",
        error("scaling.driver = docker"));
    assertEquals(
        "pickspin.process: process driver durations must be >= 0",
        error("scaling.driver = process\nprocess.drain-time = -1s"));
    String mistyped = error("scaling.driver = process\nprocess.stop-grace = never");
    assertTrue(mistyped.startsWith("pickspin.process: "), mistyped);
    String command = error("scaling.driver = process\nprocess.command = [\"x\", \"{nope}\"]");
    assertTrue(command.startsWith("pickspin.process: bad process configuration: "), command);
    assertTrue(command.contains("nope"), command);
    String ceiling = error("scaling.driver = kubernetes\nkubernetes.ceiling = sky");
    assertEquals("pickspin.kubernetes: unknown ceiling 'sky', expected model-max or desired", ceiling);
    String retry = error("scaling.driver = kubernetes\nkubernetes.retry { min = 5s, max = 1s }");
    assertTrue(retry.startsWith("pickspin.kubernetes: "), retry);
    String nameless = error("scaling.driver = kubernetes\nmodels = [{ id = a, kubernetes { kind = deployment } }]");
    assertTrue(nameless.startsWith("model a: bad kubernetes block: "), nameless);
    assertTrue(nameless.contains("name"), nameless);
  }
}
