package io.pickspin.cluster;

import com.typesafe.config.ConfigException;
import io.pickspin.persistence.Journal;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/** Runs one Pick and Spin node until SIGTERM or Ctrl-C: reads its settings once, then starts it. */
public final class Main {
  public static void main(String[] args) throws Exception {
    NodeSettings settings;
    try {
      settings = NodeSettings.fromConfig(Journal.applicationLayer());
    } catch (IllegalArgumentException | ConfigException e) {
      System.err.println("pickspin: bad configuration: " + e.getMessage());
      System.exit(1);
      return;
    }
    Node node;
    try {
      node = Node.start(settings);
    } catch (Exception e) {
      System.err.println("pickspin: failed to start: " + rootMessage(e));
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean closing = new AtomicBoolean();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  closing.set(true);
                  node.close();
                  stopped.countDown();
                },
                "pickspin-shutdown"));
    // downed by the Split Brain Resolver (e.g. after a long freeze): the actor system stops itself. Exit so that the
    // process supervisor (Kubernetes, systemd, the chaos harness) starts a fresh member instead of a zombie.
    node.system()
        .getWhenTerminated()
        .thenRun(
            () -> {
              if (!closing.get()) {
                System.err.println("pickspin: this node was removed from the cluster; exiting so that it can be restarted");
                Runtime.getRuntime().halt(3);
              }
            });
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
