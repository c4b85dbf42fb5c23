package io.pickspin.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortkeyTest {
  @TempDir Path tmp;

  private Path file(String dir, String name, boolean executable) throws IOException {
    Path d = Files.createDirectories(tmp.resolve(dir));
    Path f = Files.writeString(d.resolve(name), "#!/bin/sh\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
    return f;
  }

  @Test
  void theFirstExecutableOnThePathIsTaken() throws IOException {
    file("a", "node", false); // not executable: skipped
    Path b = file("b", "node", true);
    file("c", "node", true);
    String path = String.join(File.pathSeparator, tmp.resolve("missing").toString(), "", tmp.resolve("a").toString(),
        tmp.resolve("b").toString(), tmp.resolve("c").toString());
    assertEquals(b, Portkey.onPath("node", path));
  }

  @Test
  void aProgramNotOnThePathIsNull() throws IOException {
    file("a", "nodejs", true);
    assertNull(Portkey.onPath("node", tmp.resolve("a").toString()));
    assertNull(Portkey.onPath("node", null));
  }

  @Test
  void aPathWithASlashIsTakenAsItIs() throws IOException {
    Path node = file("opt", "node", true);
    assertEquals(node, Portkey.onPath(node.toString(), ""));
    assertNull(Portkey.onPath(tmp.resolve("opt/npm").toString(), ""));
  }

  @Test
  void nodeNeedsTheImportFlagOf18Point18() {
    for (String v : List.of("v18.18.0", "v18.20.4", "v19.0.0", "v20.20.2", "v22.1.0", "20.5.1")) {
      assertTrue(Portkey.nodeIsRecentEnough(v), v);
    }
    for (String v : List.of("v18.17.1", "v16.20.2", "v8.10.0", "", "node: not found")) {
      assertFalse(Portkey.nodeIsRecentEnough(v), v);
    }
  }

  @Test
  void theHeadersSendOpenAiRequestsToTheCustomHost() {
    List<String> h = List.of(Portkey.headers("http://127.0.0.1:8080/v1"));
    assertTrue(h.contains("x-portkey-provider: openai"));
    assertTrue(h.contains("x-portkey-custom-host: http://127.0.0.1:8080/v1"));
    for (String header : h) assertTrue(header.matches("[a-z-]+: \\S.*"), header);
  }

  @Test
  void aMissingProgramSaysHowToGetIt() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Portkey.require("pickspin-no-such-node"));
    assertTrue(e.getMessage().contains("apt-get install nodejs npm"), e.getMessage());
    assertTrue(e.getMessage().contains("leave portkey out of --ways"), e.getMessage());
  }

  @Test
  void anInstallCountsOnlyWhenItFinishedWithThePinnedVersions() throws IOException {
    Path dir = tmp.resolve("portkey");
    assertFalse(Portkey.installed(dir));
    Path script = dir.resolve("node_modules/@portkey-ai/gateway/build/start-server.js");
    Files.createDirectories(script.getParent());
    Files.writeString(script, "");
    assertFalse(Portkey.installed(dir)); // npm did not finish: no marker
    Files.writeString(dir.resolve("installed"), Portkey.packageJson().replace("1.14.1", "1.19.19"));
    assertFalse(Portkey.installed(dir)); // other overrides: installs again
    Files.writeString(dir.resolve("installed"), Portkey.packageJson());
    assertTrue(Portkey.installed(dir));
    Files.delete(script);
    assertFalse(Portkey.installed(dir));
    assertTrue(Portkey.packageJson().contains("\"@hono/node-server\": \"1.14.1\""));
  }
}
