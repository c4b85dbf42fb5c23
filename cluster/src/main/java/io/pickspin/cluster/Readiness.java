package io.pickspin.cluster;

import io.pickspin.actors.ApiKeyStore;
import io.pickspin.actors.PoolMonitor;
import io.pickspin.keys.KeyBook;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * What {@code GET /ready} checks: this node is Up in the cluster, every model's pool has answered this node's pool
 * monitor, and the API key store answers, which it does only once it has recovered from the journal. {@code /alive}
 * checks none of this: a node that is not ready is still alive and is not restarted for it.
 */
final class Readiness {
  private final ActorSystem<?> system;
  private final Catalog catalog;
  private final PoolMonitor.Board pools;
  private final ActorRef<ApiKeyStore.Command> keyStore;
  private final Duration timeout;

  Readiness(
      ActorSystem<?> system, Catalog catalog, PoolMonitor.Board pools, ActorRef<ApiKeyStore.Command> keyStore, Duration timeout) {
    this.system = system;
    this.catalog = catalog;
    this.pools = pools;
    this.keyStore = keyStore;
    this.timeout = timeout;
  }

  /** What keeps this node from serving; empty when it is ready. */
  CompletionStage<List<String>> problems() {
    List<String> problems = new ArrayList<>();
    MemberStatus status = Cluster.get(system).selfMember().status();
    if (status != MemberStatus.up()) problems.add("this node is " + status + " in the cluster, not Up");
    for (ModelSpec m : catalog.models()) {
      if (pools.get(m.id()) == null) problems.add("the pool of " + m.id() + " has not answered yet");
    }
    return AskPattern.<ApiKeyStore.Command, KeyBook>ask(keyStore, ApiKeyStore.Get::new, timeout, system.scheduler())
        .handle(
            (book, err) -> {
              if (err != null) problems.add("the journal-backed key store did not answer within " + timeout.toMillis() + " ms");
              return problems;
            });
  }
}
