package io.pickspin.lab.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** A free TCP port on 127.0.0.1 for a process that cannot bind port 0 and report it (nginx). */
final class FreePort {
  private FreePort() {}

  static int find() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
