package io.pickspin.lab.bench;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Portkey's open-source AI gateway (npm {@code @portkey-ai/gateway}, run with node) as a gateway the overhead is
 * compared with: installed with npm into a cache directory when missing (the only time the bench reaches beyond
 * 127.0.0.1: the npm registry), started on a free 127.0.0.1 port without its web UI, and told per request, by headers,
 * to send OpenAI chat completions to the sim backend ({@link #headers}).
 *
 * <p>The npm overrides pin the versions tested with {@link #VERSION}: with {@code @hono/node-server} after 1.14.1,
 * every streamed answer fails with "TypeError: immutable" (Portkey-AI/gateway#1389); {@code @hono/node-ws} 1.3 needs
 * node-server 1.19, so it is pinned at 1.2.0. The preload script, written next to the install, makes the server listen
 * on 127.0.0.1 only (start-server.js listens on every interface and has no host option) and keeps idle keep-alive
 * connections 75 s (node closes them after 5 s; nginx keeps them 75 s).
 *
 * <p>Portkey sleeps a hard-coded 25 ms before the first event of every streamed answer ({@link #FIRST_EVENT_SLEEP_MS}).
 */
final class Portkey implements AutoCloseable {
  static final String VERSION = "1.15.2";
  /**
   * The sleep in Portkey's stream reader before the first SSE event of every streamed answer (1.15.2's
   * build/start-server.js: {@code setTimeout(e, 25)}); no setting turns it off.
   */
  static final int FIRST_EVENT_SLEEP_MS = 25;
  /** node's {@code --import}, which loads the preload script, came with node 18.18 (and 19.0). */
  static final String MINIMUM_NODE = "18.18";

  private static final String PACKAGE_JSON = """
      {
        "name": "pickspin-portkey-peer",
        "private": true,
        "dependencies": { "@portkey-ai/gateway": "%s" },
        "overrides": { "@hono/node-server": "1.14.1", "@hono/node-ws": "1.2.0", "hono": "4.13.23" }
      }
      """.formatted(VERSION);
  private static final String PRELOAD = """
      // Written by io.pickspin.lab.bench.Portkey; loaded with node --import before Portkey's start-server.js.
      // 1. Its server listens on a port without a host, i.e. on every interface: make that 127.0.0.1.
      // 2. Node closes keep-alive connections idle for 5 s; make that 75 s, as nginx does.
      import net from 'node:net';
      const listen = net.Server.prototype.listen;
      net.Server.prototype.listen = function (port, host, ...rest) {
        if ('keepAliveTimeout' in this) { this.keepAliveTimeout = 75000; this.headersTimeout = 76000; }
        if (typeof port === 'number' && host === undefined) return listen.call(this, port, '127.0.0.1', ...rest);
        if (typeof port === 'number' && typeof host === 'function') return listen.call(this, port, '127.0.0.1', host, ...rest);
        return listen.call(this, port, host, ...rest);
      };
      """;
  private static final Pattern NODE_VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)(?:\\.\\d+)?.*");

  private final ChildProcess process;
  private final int port;
  private final String nodeVersion;

  private Portkey(ChildProcess process, int port, String nodeVersion) {
    this.process = process;
    this.port = port;
    this.nodeVersion = nodeVersion;
  }

  /** Where the gateway is installed unless --portkey-dir says otherwise: ~/.cache/pickspin/portkey-VERSION. */
  static Path defaultDir() {
    return Path.of(System.getProperty("user.home"), ".cache", "pickspin", "portkey-" + VERSION);
  }

  /**
   * The program {@code name} in the directories of {@code path} (a PATH value), the first executable one; null if none
   * is. A name with a slash is taken as a path as it is.
   */
  static Path onPath(String name, String path) {
    if (name.contains("/")) {
      Path p = Path.of(name);
      return Files.isRegularFile(p) && Files.isExecutable(p) ? p : null;
    }
    if (path == null) return null;
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) continue;
      Path p = Path.of(dir, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
    }
    return null;
  }

  /** {@code name} (node or npm, or the path given for it) found on this process's PATH, or an error that says what to do. */
  static Path require(String name) {
    Path p = onPath(name, System.getenv("PATH"));
    if (p == null) {
      throw new IllegalStateException("the portkey way needs node and npm, and '" + name + "' is not "
          + (name.contains("/") ? "an executable file" : "on PATH") + ": install them (Debian: apt-get install nodejs npm; "
          + "bin/bench-gateway does so when they are missing), give --node / --npm, or leave portkey out of --ways");
    }
    return p;
  }

  /**
   * Whether a node version as {@code node --version} prints it (v20.20.2) can run the gateway with the preload:
   * {@link #MINIMUM_NODE} or later. False for what does not parse.
   */
  static boolean nodeIsRecentEnough(String version) {
    Matcher m = NODE_VERSION.matcher(version.trim());
    if (!m.matches()) return false;
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    String[] min = MINIMUM_NODE.split("\\.");
    int minMajor = Integer.parseInt(min[0]);
    return major > minMajor || major == minMajor && minor >= Integer.parseInt(min[1]);
  }

  /** What {@code node --version} prints, checked against {@link #MINIMUM_NODE}. */
  static String checkNode(Path node) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(node.toString(), "--version").redirectErrorStream(true).start();
    p.getOutputStream().close();
    String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor();
    if (!nodeIsRecentEnough(v)) {
      throw new IllegalStateException("the portkey way needs node " + MINIMUM_NODE + " or later, " + node + " is '" + v
          + "'; give another with --node, or leave portkey out of --ways");
    }
    return v;
  }

  /** The package.json of an install: the gateway and the overrides that pin its dependencies. */
  static String packageJson() {
    return PACKAGE_JSON;
  }

  /** Whether an install in {@code dir} finished with this package.json (the pinned versions). */
  static boolean installed(Path dir) throws IOException {
    Path done = dir.resolve("installed");
    return Files.isRegularFile(done) && Files.readString(done).equals(PACKAGE_JSON) && Files.isRegularFile(script(dir));
  }

  /**
   * Installs the gateway into {@code dir} with npm (see {@link #installed}); npm's output goes to stderr, as the bench's
   * progress does (stdout is the report's).
   */
  static void install(Path npm, Path dir) throws IOException, InterruptedException {
    Path done = dir.resolve("installed");
    Files.createDirectories(dir);
    Files.deleteIfExists(done);
    Files.writeString(dir.resolve("package.json"), PACKAGE_JSON);
    GatewayOverheadBench.progress("installing Portkey's gateway " + VERSION + " with npm (from its registry) into " + dir
        + " (about 15 s) ...");
    long start = System.nanoTime();
    // --ignore-scripts: the package's only install script is patch-package, and it ships no patches
    Process p = new ProcessBuilder(npm.toString(), "install", "--no-audit", "--no-fund", "--no-update-notifier",
        "--ignore-scripts")
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .start();
    p.getOutputStream().close();
    p.getInputStream().transferTo(System.err);
    int exit = p.waitFor();
    if (exit != 0 || !Files.isRegularFile(script(dir))) {
      throw new IOException("npm install of @portkey-ai/gateway@" + VERSION + " in " + dir + " failed (exit code " + exit
          + "); it needs the npm registry (npm config get registry), or leave portkey out of --ways");
    }
    Files.writeString(done, PACKAGE_JSON);
    GatewayOverheadBench.progress(String.format(java.util.Locale.ROOT, "installed Portkey's gateway %s in %.0f s", VERSION,
        (System.nanoTime() - start) / 1e9));
  }

  /** Starts the gateway installed in {@code dir} on 127.0.0.1; its stderr goes to {@code logDir}/portkey.log. */
  static Portkey start(Path node, Path dir, Path logDir) throws IOException, InterruptedException {
    String nodeVersion = checkNode(node);
    int port = FreePort.find();
    Path preload = dir.resolve("loopback.mjs");
    Files.writeString(preload, PRELOAD);
    ChildProcess p = ChildProcess.start("portkey", List.of(node.toString(), "--import", preload.toUri().toString(),
        script(dir).toString(), "--port=" + port, "--headless"), logDir, Portkey::environment);
    try {
      awaitReady(p, port, Duration.ofSeconds(30));
    } catch (IOException | RuntimeException e) {
      p.close();
      throw e;
    }
    return new Portkey(p, port, nodeVersion);
  }

  /**
   * The gateway's environment: this one without what would change it. TRUSTED_CUSTOM_HOSTS replaces the default list
   * (which allows 127.0.0.1); NODE_OPTIONS would add options to node.
   */
  private static void environment(Map<String, String> env) {
    env.remove("TRUSTED_CUSTOM_HOSTS");
    env.remove("NODE_OPTIONS");
  }

  /**
   * The headers that send a request to the OpenAI-compatible backend at {@code baseUrl} (with its /v1, e.g.
   * http://127.0.0.1:8080/v1; Portkey appends /chat/completions), in the "name: value" form of the bench's ways.
   * Without an Authorization header Portkey sends "Bearer undefined" to the backend; the sim does not care, a dummy key
   * keeps it tidy.
   */
  static String[] headers(String baseUrl) {
    return new String[] {
        "authorization: Bearer pickspin-bench", "x-portkey-provider: openai", "x-portkey-custom-host: " + baseUrl};
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  /** What {@code node --version} printed, e.g. v20.20.2. */
  String nodeVersion() {
    return nodeVersion;
  }

  void requireAlive() {
    process.requireAlive();
  }

  private static Path script(Path dir) {
    return dir.resolve("node_modules/@portkey-ai/gateway/build/start-server.js");
  }

  /**
   * Until GET / answers "AI Gateway says hey!" (about a second after the start; routes are registered before it listens,
   * so the first answer means it is ready). Its stdout is a spinner of carriage returns and colour codes, no line to wait
   * for.
   */
  private static void awaitReady(ChildProcess p, int port, Duration timeout) throws IOException, InterruptedException {
    long until = System.nanoTime() + timeout.toNanos();
    while (true) {
      p.requireAlive();
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/").toURL()
            .openConnection(Proxy.NO_PROXY);
        c.setConnectTimeout(200);
        c.setReadTimeout(2000);
        try {
          if (c.getResponseCode() == 200
              && new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains("AI Gateway")) {
            return;
          }
        } finally {
          c.disconnect();
        }
      } catch (IOException e) {
        if (System.nanoTime() > until) throw new IOException("Portkey did not answer on port " + port, e);
      }
      if (System.nanoTime() > until) throw new IOException("Portkey on port " + port + " is not the gateway");
      Thread.sleep(50);
    }
  }

  @Override
  public void close() {
    process.close();
  }
}
