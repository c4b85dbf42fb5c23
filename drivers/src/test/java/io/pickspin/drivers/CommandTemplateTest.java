package io.pickspin.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandTemplateTest {
  static final ModelSpec MODEL =
      new ModelSpec("small", Tier.LOW, "llama-3-8b", 0.6, 2, 2.5, new LatencyProfile(60, 9.5, 16, 3000), 0, 4, List.of());

  @Test
  void placeholdersAreFilledPerReplicaAndEverythingElsePassesThrough() {
    CommandTemplate t =
        new CommandTemplate(
            List.of(
                "serve", "--host", "{host}", "--port", "{port}", "--served-model-name", "{served-name}",
                "name={model},ttft-ms={ttft-ms},tpot-ms={tpot-ms},max-batch={max-batch},cold-start-ms={cold-start-ms}",
                "--gpus={gpus}", "--id", "{replica}", "--override", "{\"max_tokens\":{\"x\":1}}"));
    assertEquals(
        List.of(
            "serve", "--host", "127.0.0.1", "--port", "8123", "--served-model-name", "llama-3-8b",
            "name=small,ttft-ms=60,tpot-ms=9.5,max-batch=16,cold-start-ms=3000",
            "--gpus=2", "--id", "small-7", "--override", "{\"max_tokens\":{\"x\":1}}"),
        t.expand(MODEL, "small-7", 8123));
  }

  @Test
  void javaAndClasspathAreThoseOfThisJvm() {
    List<String> args = new CommandTemplate(List.of("{java}", "-cp", "{classpath}")).expand(MODEL, "r", 1);
    assertTrue(args.get(0).startsWith(System.getProperty("java.home")), args.get(0));
    assertEquals(System.getProperty("java.class.path"), args.get(2));
  }

  @Test
  void anUnknownPlaceholderOrAnEmptyCommandIsRefusedUpFront() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new CommandTemplate(List.of("vllm", "--port={prot}")));
    assertTrue(e.getMessage().contains("prot"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CommandTemplate(List.of()));
  }
}
