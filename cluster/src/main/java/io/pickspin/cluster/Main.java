package io.pickspin.cluster;

import java.util.concurrent.CountDownLatch;

/** Runs one Pick and Spin node until SIGTERM or Ctrl-C. */
public final class Main {
  public static void main(String[] args) throws Exception {
    Node node;
    try {
      node = Node.start(io.pickspin.persistence.Journal.applicationLayer());
    } catch (Exception e) {
      System.err.println("pickspin: failed to start: " + rootMessage(e));
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  node.close();
                  stopped.countDown();
                },
                "pickspin-shutdown"));
    System.out.println(
        "Pick and Spin is serving the OpenAI API on http://127.0.0.1:" + node.gatewayPort() + "/v1 (Ctrl-C stops it)");
    stopped.await();
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    return c == t ? String.valueOf(t.getMessage()) : t.getMessage() + " (" + c + ")";
  }
}
