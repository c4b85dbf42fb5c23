package io.pickspin.scaling;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.ModelSpec;
import io.pickspin.scaling.driver.ReplicaDriver;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

/**
 * A replica driver for tests: a replica asked for is STARTING, then READY after a delay; one no longer wanted is
 * DRAINING for a moment, then gone. Replicas live in a {@link World} that outlives driver instances, as pods outlive
 * the control-plane node that asked for them. Every {@link #scale} call is recorded, with whether the journal already
 * held the matching decision at that moment (see {@link #checkJournalWith}).
 */
public final class FakeReplicaDriver implements ReplicaDriver {

  /** The replicas that exist, by model. */
  public static final class World implements AutoCloseable {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fake-replicas");
      t.setDaemon(true);
      return t;
    });
    private final Duration readyAfter;
    private final Duration drainFor;
    private final Map<String, List<ReplicaStatus>> byModel = new HashMap<>();
    private final List<FakeReplicaDriver> attached = new CopyOnWriteArrayList<>();
    private int next;

    public World(Duration readyAfter, Duration drainFor) {
      this.readyAfter = readyAfter;
      this.drainFor = drainFor;
    }

    public synchronized List<ReplicaStatus> replicas(String model) {
      return List.copyOf(byModel.getOrDefault(model, List.of()));
    }

    /** Replicas STARTING or READY. */
    public synchronized long live(String model) {
      return byModel.getOrDefault(model, List.of()).stream().filter(FakeReplicaDriver::live).count();
    }

    public synchronized long ready(String model) {
      return byModel.getOrDefault(model, List.of()).stream().filter(r -> r.phase() == ReplicaPhase.READY).count();
    }

    void scale(String model, int desired) {
      synchronized (this) {
        List<ReplicaStatus> list = byModel.computeIfAbsent(model, m -> new ArrayList<>());
        long live = list.stream().filter(FakeReplicaDriver::live).count();
        for (long i = live; i < desired; i++) {
          String id = model + "-" + next++;
          list.add(new ReplicaStatus(id, ReplicaPhase.STARTING, null));
          timer.schedule(() -> becomeReady(model, id), readyAfter.toMillis(), TimeUnit.MILLISECONDS);
        }
        // the newest go first, those still starting before those serving
        for (long i = live; i > desired; i--) {
          ReplicaStatus victim =
              list.stream().filter(r -> r.phase() == ReplicaPhase.STARTING).reduce((a, b) -> b)
                  .or(() -> list.stream().filter(r -> r.phase() == ReplicaPhase.READY).reduce((a, b) -> b))
                  .orElseThrow();
          list.set(list.indexOf(victim), new ReplicaStatus(victim.replicaId(), ReplicaPhase.DRAINING, victim.endpoint()));
          timer.schedule(() -> remove(model, victim.replicaId()), drainFor.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
      changed(model);
    }

    /** The replica crashes. */
    public void fail(String model, String replicaId) {
      update(model, replicaId, r -> new ReplicaStatus(r.replicaId(), ReplicaPhase.FAILED, r.endpoint()));
    }

    private void becomeReady(String model, String id) {
      update(
          model,
          id,
          r -> r.phase() == ReplicaPhase.STARTING
              ? new ReplicaStatus(id, ReplicaPhase.READY, new BackendEndpoint(id, "fake", URI.create("http://127.0.0.1:9/" + id)))
              : r);
    }

    private void remove(String model, String id) {
      synchronized (this) {
        byModel.getOrDefault(model, new ArrayList<>()).removeIf(r -> r.replicaId().equals(id));
      }
      changed(model);
    }

    private void update(String model, String id, java.util.function.UnaryOperator<ReplicaStatus> f) {
      synchronized (this) {
        List<ReplicaStatus> list = byModel.getOrDefault(model, new ArrayList<>());
        for (int i = 0; i < list.size(); i++) if (list.get(i).replicaId().equals(id)) list.set(i, f.apply(list.get(i)));
      }
      changed(model);
    }

    private void changed(String model) {
      for (FakeReplicaDriver d : attached) d.listeners.forEach(l -> l.accept(model));
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }

  /** One call of {@link #scale}. */
  public record ScaleCall(String model, int desired, boolean journalHadIt) {}

  private final World world;
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private final List<ScaleCall> calls = new CopyOnWriteArrayList<>();
  private volatile BiPredicate<String, Integer> journalCheck = (m, n) -> false;

  public FakeReplicaDriver(World world) {
    this.world = world;
    world.attached.add(this);
  }

  /** How to tell, when scale(model, n) is called, whether the decision to go to n is already in the journal. */
  public void checkJournalWith(BiPredicate<String, Integer> check) {
    this.journalCheck = check;
  }

  public List<ScaleCall> calls() {
    return List.copyOf(calls);
  }

  public void clearCalls() {
    calls.clear();
  }

  @Override
  public String name() {
    return "fake";
  }

  @Override
  public void scale(ModelSpec model, int desired) {
    calls.add(new ScaleCall(model.id(), desired, journalCheck.test(model.id(), desired)));
    world.scale(model.id(), desired);
  }

  @Override
  public List<ReplicaStatus> replicas(String modelId) {
    return world.replicas(modelId);
  }

  @Override
  public void onChange(Consumer<String> modelChanged) {
    listeners.add(modelChanged);
  }

  @Override
  public void close() {
    world.attached.remove(this);
    listeners.clear();
  }

  private static boolean live(ReplicaStatus r) {
    return r.phase() == ReplicaPhase.STARTING || r.phase() == ReplicaPhase.READY;
  }
}
