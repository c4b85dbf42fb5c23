package io.pickspin.cluster;

import io.pickspin.actors.PoolLeases;
import io.pickspin.actors.PoolMonitor;
import io.pickspin.drivers.ProcessDriver;
import io.pickspin.drivers.ReplicaDrivers;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.routing.rl.PoolLoadBoard;
import io.pickspin.routing.rl.PoolStateView;
import io.pickspin.scaling.driver.ReplicaDriver;
import java.time.Clock;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * "Spin": the configured replica driver, the sharded pool of every model and the scaling supervisor singleton that
 * drives it, and this node's view of every pool (the status page's and metrics' board, the RL router's load).
 *
 * @param driver closed by {@link Node#close()} after the drain
 * @param monitor refreshes {@code pools} and {@code load}
 */
record Spin(
    ReplicaDriver driver,
    PoolLeases leases,
    PoolMonitor.Board pools,
    PoolLoadBoard load,
    ActorRef<PoolMonitor.Command> monitor) {

  static Spin init(ActorSystem<?> system, NodeSettings settings, Catalog catalog) {
    ReplicaDriver driver = ReplicaDrivers.create(settings.drivers(), catalog);
    // closed by Node.close() after the drain (see Node.stopInOrder), not by its own JVM hook at the first signal
    if (driver instanceof ProcessDriver processes) processes.leaveStopToOwner();
    try {
      PoolLeases leases = PoolLeases.start(system, settings.spin(), catalog, driver, Clock.systemUTC());
      PoolMonitor.Board pools = new PoolMonitor.Board();
      PoolLoadBoard load = new PoolLoadBoard();
      ActorRef<PoolMonitor.Command> monitor =
          system.systemActorOf(
              PoolMonitor.create(
                  catalog.models().stream().map(ModelSpec::id).toList(),
                  leases::pool,
                  settings.spin().monitorInterval(),
                  pools,
                  (model, status) -> load.update(model, PoolStateView.ModelLoad.of(status))),
              "pool-monitor",
              Props.empty());
      return new Spin(driver, leases, pools, load, monitor);
    } catch (RuntimeException e) {
      driver.close();
      throw e;
    }
  }
}
