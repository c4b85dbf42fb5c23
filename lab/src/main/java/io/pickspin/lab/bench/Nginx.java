package io.pickspin.lab.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * nginx as a plain reverse proxy in front of one backend, the baseline the gateway's overhead is compared with: its own
 * configuration and prefix in a temporary directory, a free 127.0.0.1 port, keep-alive to the backend, no buffering
 * (as one configures it for SSE), no access log.
 */
final class Nginx implements AutoCloseable {
  private final ChildProcess process;
  private final int port;

  private Nginx(ChildProcess process, int port) {
    this.process = process;
    this.port = port;
  }

  static Nginx start(String binary, Path dir, int backendPort, String workers) throws IOException, InterruptedException {
    int port = FreePort.find();
    Files.createDirectories(dir);
    boolean root = "root".equals(System.getProperty("user.name"));
    String conf = String.join("\n",
        "daemon off;",
        "master_process on;",
        root ? "user root;" : "",
        "worker_processes " + workers + ";",
        "pid " + dir.resolve("nginx.pid") + ";",
        "error_log " + dir.resolve("error.log") + " warn;",
        "events { worker_connections 4096; }",
        "http {",
        "  access_log off;",
        "  client_body_temp_path " + dir.resolve("client_body") + ";",
        "  proxy_temp_path " + dir.resolve("proxy") + ";",
        "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";",
        "  uwsgi_temp_path " + dir.resolve("uwsgi") + ";",
        "  scgi_temp_path " + dir.resolve("scgi") + ";",
        "  upstream backend { server 127.0.0.1:" + backendPort + "; keepalive 256; keepalive_requests 1000000; }",
        "  server {",
        "    listen 127.0.0.1:" + port + ";",
        "    keepalive_requests 1000000;",
        "    location / {",
        "      proxy_pass http://backend;",
        "      proxy_http_version 1.1;",
        "      proxy_set_header Connection \"\";",
        "      proxy_buffering off;",
        "    }",
        "  }",
        "}",
        "");
    Path confFile = dir.resolve("nginx.conf");
    Files.writeString(confFile, conf);
    ChildProcess p = ChildProcess.start(
        "nginx", List.of(binary, "-p", dir + "/", "-c", confFile.toString(), "-e", dir.resolve("error.log").toString()), dir);
    awaitPort(port, Duration.ofSeconds(10));
    return new Nginx(p, port);
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  void requireAlive() {
    process.requireAlive();
  }

  private static void awaitPort(int port, Duration timeout) throws IOException, InterruptedException {
    long until = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > until) throw new IOException("nginx did not listen on port " + port, e);
        Thread.sleep(50);
      }
    }
  }

  @Override
  public void close() {
    process.close();
  }
}
