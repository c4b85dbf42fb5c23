package io.pickspin.cluster;

import io.pickspin.model.Catalog;
import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.sim.server.SimModel;
import io.pickspin.sim.server.SimServer;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The sim servers the catalogue lists without a URL ({@link Catalog.LocalSim}), run in this JVM, and the catalogue
 * with their URLs in: what the rest of the node serves.
 */
record LocalSims(Catalog catalog, List<SimServer> servers) implements AutoCloseable {

  /** Starts a sim server for every local sim of the configured catalogue. */
  static LocalSims init(ActorSystem<?> system, NodeSettings settings) throws Exception {
    Catalog configured = settings.catalog();
    if (configured.localSims().isEmpty()) return new LocalSims(configured, List.of());
    List<SimServer> started = new ArrayList<>();
    Map<Catalog.LocalSim, URI> urls = new HashMap<>();
    try {
      for (Catalog.LocalSim sim : configured.localSims()) {
        ModelSpec model = configured.get(sim.model());
        LatencyProfile l = model.latency();
        // the server is up before the node serves, so it has no cold start
        LatencyProfile latency = new LatencyProfile(l.ttftMs(), l.tpotMs(), l.maxBatch(), 0);
        SimServer server =
            SimServer.start(
                    system, "127.0.0.1", sim.port(), List.of(new SimModel(model.servedName(), latency)), settings.sim())
                .toCompletableFuture()
                .get(Node.START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        started.add(server);
        urls.put(sim, server.baseUrl());
      }
      return new LocalSims(configured.withLocalSims(urls), List.copyOf(started));
    } catch (Exception e) {
      started.forEach(SimServer::close);
      throw e;
    }
  }

  @Override
  public void close() {
    servers.forEach(SimServer::close);
  }
}
