package io.pickspin.actors;

import io.pickspin.CborSerializable;
import io.pickspin.model.Catalog;
import io.pickspin.model.ModelSpec;
import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolStatus;
import io.pickspin.scaling.Consolidator;
import io.pickspin.scaling.ModelMemory;
import io.pickspin.scaling.ReplicaLimits;
import io.pickspin.scaling.ScaleDecision;
import io.pickspin.scaling.ScaleReason;
import io.pickspin.scaling.ScalingInputs;
import io.pickspin.scaling.ScalingPolicy;
import io.pickspin.scaling.ScalingSettings;
import io.pickspin.scaling.Telemetry;
import io.pickspin.scaling.driver.ReplicaDriver;
import io.pickspin.scaling.driver.ReplicaPhase;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The scaling loop ("spin"), one per cluster: an event-sourced Cluster Singleton. Every tick it sends each model's pool
 * the driver's replica list, reads the pool's telemetry and runs {@link ScalingPolicy} with the fleet's {@link
 * Consolidator} advice (computed from every model's latest reading, soft state like the policy's watches). A decision
 * is persisted as
 * {@link ScaleDecided}, with its inputs, BEFORE the driver is asked to carry it out, so the journal explains every
 * replica count. A new incarnation (restart, fail-over) recovers desired counts, cooldown clocks and operator limits,
 * re-applies the desired counts to the driver once (idempotent), and plans from there: it resumes rather than starts
 * over, so it neither scales a busy model down nor repeats decisions.
 */
public final class ScalingSupervisor
    extends EventSourcedBehavior<ScalingSupervisor.Command, ScalingSupervisor.Event, ScalingSupervisor.State> {

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("scaling-supervisor");

  /**
   * The longest back-off between restarts after a failed write or recovery (journal down). Short, because a request for
   * a model at zero waits for the first decision the journal takes after it returns; a restart while the journal's
   * breaker is open costs one call that fails fast.
   */
  public static final Duration JOURNAL_BACKOFF_MAX = Duration.ofSeconds(2);

  // ---- commands

  public sealed interface Command {}

  enum Tick implements Command {
    INSTANCE
  }

  /** A pool started holding requests: plan this model now. */
  public record Nudge(String model) implements Command, CborSerializable {}

  record TelemetryReceived(String model, Telemetry telemetry, Throwable error) implements Command {}

  record DriverChanged(String model) implements Command {}

  /** Operator override of a model's bounds; answered once persisted. */
  public record SetLimits(String model, int minReplicas, int maxReplicas, int warm, ActorRef<StatusReply<Done>> replyTo)
      implements Command, CborSerializable {}

  /**
   * An operator drains, pins or restores one replica (admin API). Persisted, so that the mode outlives the pool's
   * incarnation (a rebalance or a lost node restarts it empty); answered by the pool with its status after the change.
   */
  public record SetReplicaMode(String model, String replicaId, PoolCore.Mode mode, ActorRef<StatusReply<PoolStatus>> replyTo)
      implements Command, CborSerializable {}

  public record GetState(ActorRef<State> replyTo) implements Command, CborSerializable {}

  /** The last {@code n} decisions, oldest first. */
  public record RecentDecisions(int n, ActorRef<Decisions> replyTo) implements Command, CborSerializable {}

  public record Decisions(List<ScaleDecided> decisions) implements CborSerializable {}

  /** Hand-over stop message of the singleton. */
  public enum Stop implements Command, CborSerializable {
    INSTANCE
  }

  // ---- events

  public sealed interface Event extends CborSerializable {}

  /** Desired replicas of {@code model} change from {@code from} to {@code to}; persisted before the driver acts. */
  public record ScaleDecided(String model, int from, int to, ScaleReason reason, ScalingInputs inputs, long atMs)
      implements Event {
    static ScaleDecided of(ScaleDecision d) {
      return new ScaleDecided(d.model(), d.from(), d.to(), d.reason(), d.inputs(), d.atMs());
    }

    public ScaleDecision asDecision() {
      return new ScaleDecision(model, from, to, reason, inputs, atMs);
    }
  }

  public record LimitsSet(String model, ReplicaLimits limits, long atMs) implements Event {}

  public record ReplicaModeSet(String model, String replicaId, PoolCore.Mode mode, long atMs) implements Event {}

  // ---- state

  /**
   * @param models memory per model id; a model without an entry (or with desired -1) has had no decision yet
   * @param recent the latest decisions, oldest first, for the admin API
   * @param replicaModes operator modes other than NORMAL, per model and replica id (drained, pinned)
   */
  public record State(
      Map<String, ModelMemory> models, List<ScaleDecided> recent, Map<String, Map<String, PoolCore.Mode>> replicaModes)
      implements CborSerializable {
    public static final State EMPTY = new State(Map.of(), List.of(), Map.of());

    /** A snapshot taken before modes were persisted has none. */
    public State {
      replicaModes = replicaModes == null ? Map.of() : replicaModes;
    }

    /** Desired replicas of a model, or -1 if no decision was taken for it yet. */
    public int desired(String model) {
      ModelMemory m = models.get(model);
      return m == null ? ModelMemory.NEVER_DECIDED : m.desired();
    }

    /** The operator modes of a model's replicas that are not NORMAL. */
    public Map<String, PoolCore.Mode> modes(String model) {
      return replicaModes.getOrDefault(model, Map.of());
    }

    State with(String model, ModelMemory memory, ScaleDecided decision, int keepRecent) {
      Map<String, ModelMemory> m = new LinkedHashMap<>(models);
      m.put(model, memory);
      List<ScaleDecided> r = recent;
      if (decision != null && keepRecent > 0) {
        List<ScaleDecided> l = new ArrayList<>(recent);
        l.add(decision);
        r = List.copyOf(l.subList(Math.max(0, l.size() - keepRecent), l.size()));
      }
      return new State(Map.copyOf(m), r, replicaModes);
    }

    State withMode(String model, String replicaId, PoolCore.Mode mode) {
      Map<String, PoolCore.Mode> forModel = new LinkedHashMap<>(modes(model));
      if (mode == PoolCore.Mode.NORMAL) forModel.remove(replicaId);
      else forModel.put(replicaId, mode);
      Map<String, Map<String, PoolCore.Mode>> all = new LinkedHashMap<>(replicaModes);
      if (forModel.isEmpty()) all.remove(model);
      else all.put(model, Map.copyOf(forModel));
      return new State(models, recent, Map.copyOf(all));
    }
  }

  // ---- construction

  /**
   * @param driver carries out decisions; the supervisor also forwards its replica lists to the pools
   * @param pools the pool entity of a model id (a sharding EntityRef in the cluster)
   */
  public static Behavior<Command> create(
      Catalog catalog,
      ScalingSettings settings,
      ReplicaDriver driver,
      Function<String, RecipientRef<ModelPool.Command>> pools,
      Clock clock) {
    // one driver listener for every incarnation (restart, singleton hand-back): it reaches whichever one is current
    AtomicReference<ActorRef<Command>> current = new AtomicReference<>();
    driver.onChange(
        model -> {
          ActorRef<Command> self = current.get();
          if (self != null) self.tell(new DriverChanged(model));
        });
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  current.set(ctx.getSelf());
                  return new ScalingSupervisor(ctx, timers, catalog, settings, driver, pools, clock);
                }));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Catalog catalog;
  private final ScalingSettings settings;
  private final ScalingPolicy policy;
  private final ReplicaDriver driver;
  private final Function<String, RecipientRef<ModelPool.Command>> pools;
  private final Clock clock;
  /** Soft state: lost on restart, which only delays scale-downs (see ScalingPolicy.Watch). */
  private final Map<String, ScalingPolicy.Watch> watches = new HashMap<>();
  /** Soft state: every model's latest reading, for the fleet-wide consolidation advice (see Consolidator). */
  private final Map<String, Telemetry> latest = new HashMap<>();
  private final Consolidator consolidator;
  private final long startedAtMs;

  private ScalingSupervisor(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      Catalog catalog,
      ScalingSettings settings,
      ReplicaDriver driver,
      Function<String, RecipientRef<ModelPool.Command>> pools,
      Clock clock) {
    super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), JOURNAL_BACKOFF_MAX, 0.2));
    this.ctx = ctx;
    this.timers = timers;
    this.catalog = catalog;
    this.settings = settings;
    this.policy = new ScalingPolicy(settings);
    this.consolidator = new Consolidator(policy);
    this.driver = driver;
    this.pools = pools;
    this.clock = clock;
    this.startedAtMs = clock.millis();
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots());
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::resume).build();
  }

  /** Re-asks the driver for every recovered desired count: idempotent, and it restores them if the driver lost them. */
  private void resume(State state) {
    // armed here, not at spawn: a restart after a failed recovery or write cancels the actor's timers, and every
    // incarnation that recovers must plan again
    if (!settings.tickInterval().isZero()) timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.tickInterval());
    // one parseable line: the chaos harness measures fail-over from it
    ctx.getLog()
        .info(
            "scaling supervisor recovered at-ms={} node={} desired={}",
            System.currentTimeMillis(),
            ctx.getSystem().address(),
            new java.util.TreeMap<>(
                state.models().entrySet().stream()
                    .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().desired()))));
    state.models().forEach(
        (model, memory) ->
            catalog
                .find(model)
                .filter(spec -> memory.desired() >= 0)
                .ifPresent(
                    spec -> {
                      ctx.getLog().info("model {}: resuming at {} desired replicas", model, memory.desired());
                      scaleDriver(spec, memory.desired());
                    }));
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Tick.class, (s, t) -> onTick(s))
        .onCommand(Nudge.class, (s, n) -> onNudge(s, n))
        .onCommand(TelemetryReceived.class, this::onTelemetry)
        .onCommand(DriverChanged.class, (s, c) -> onDriverChanged(c))
        .onCommand(SetLimits.class, this::onSetLimits)
        .onCommand(SetReplicaMode.class, this::onSetReplicaMode)
        .onCommand(GetState.class, (s, g) -> Effect().reply(g.replyTo(), s))
        .onCommand(RecentDecisions.class, this::onRecentDecisions)
        .onCommand(Stop.class, (s, c) -> Effect().stop())
        .build();
  }

  private Effect<Event, State> onTick(State state) {
    for (ModelSpec spec : catalog.models()) sync(state, spec);
    return Effect().none();
  }

  private Effect<Event, State> onNudge(State state, Nudge n) {
    catalog.find(n.model()).ifPresent(spec -> sync(state, spec));
    return Effect().none();
  }

  /** Sends the pool the driver's replicas and the target, then asks for its telemetry. */
  private void sync(State state, ModelSpec spec) {
    RecipientRef<ModelPool.Command> pool = pools.apply(spec.id());
    ModelMemory memory = memory(state, spec);
    pool.tell(new ModelPool.ReplicasChanged(driver.replicas(spec.id())));
    // a pool that restarted empty (rebalance, lost node) gets the operator's modes back; none set: nothing to restore
    Map<String, PoolCore.Mode> modes = state.modes(spec.id());
    if (!modes.isEmpty()) pool.tell(new ModelPool.OperatorModes(modes));
    pool.tell(new ModelPool.ScalingTarget(memory.desired(), policy.limits(spec, memory).maxReplicas()));
    ctx.ask(
        Telemetry.class,
        pool,
        settings.telemetryTimeout(),
        ModelPool.GetTelemetry::new,
        (t, error) -> new TelemetryReceived(spec.id(), t, error));
  }

  private Effect<Event, State> onTelemetry(State state, TelemetryReceived r) {
    ModelSpec spec = catalog.find(r.model()).orElse(null);
    if (spec == null) return Effect().none();
    if (r.error() != null) {
      ctx.getLog().info("model {}: no telemetry ({}), not planned this tick", r.model(), r.error().toString());
      return Effect().none();
    }
    long now = clock.millis();
    ScalingPolicy.Watch watch = watches.computeIfAbsent(spec.id(), id -> ScalingPolicy.Watch.startedAt(startedAtMs));
    latest.put(spec.id(), r.telemetry());
    ScalingPolicy.Evaluation e = policy.evaluate(spec, r.telemetry(), memory(state, spec), watch, now, advice(state, spec));
    watches.put(spec.id(), e.watch());
    if (e.decision().isEmpty()) return Effect().none();
    ScaleDecided decided = ScaleDecided.of(e.decision().get());
    return Effect()
        .persist(decided)
        .thenRun(
            s -> {
              ctx.getLog()
                  .info(
                      "model {}: {} -> {} replicas ({}; rate {}/s, latency {} ms, held {})",
                      spec.id(),
                      decided.from(),
                      decided.to(),
                      decided.reason().label(),
                      String.format("%.2f", decided.inputs().telemetry().ratePerSecond()),
                      Math.round(decided.inputs().latencyMs()),
                      decided.inputs().telemetry().held());
              scaleDriver(spec, decided.to());
              pools.apply(spec.id()).tell(new ModelPool.ScalingTarget(decided.to(), decided.inputs().ceiling()));
            });
  }

  private Effect<Event, State> onDriverChanged(DriverChanged c) {
    if (catalog.find(c.model()).isPresent()) {
      pools.apply(c.model()).tell(new ModelPool.ReplicasChanged(driver.replicas(c.model())));
    }
    return Effect().none();
  }

  private Effect<Event, State> onSetLimits(State state, SetLimits c) {
    if (catalog.find(c.model()).isEmpty()) {
      return Effect().reply(c.replyTo(), StatusReply.error("unknown model " + c.model()));
    }
    ReplicaLimits limits;
    try {
      limits = new ReplicaLimits(c.minReplicas(), c.maxReplicas(), c.warm());
    } catch (IllegalArgumentException e) {
      return Effect().reply(c.replyTo(), StatusReply.error(e.getMessage()));
    }
    return Effect()
        .persist(new LimitsSet(c.model(), limits, clock.millis()))
        .thenRun(
            s -> {
              c.replyTo().tell(StatusReply.ack());
              sync(s, catalog.get(c.model()));
            });
  }

  private Effect<Event, State> onSetReplicaMode(State state, SetReplicaMode c) {
    if (catalog.find(c.model()).isEmpty()) {
      return Effect().reply(c.replyTo(), StatusReply.error("unknown model " + c.model()));
    }
    List<String> known = driver.replicas(c.model()).stream().map(r -> r.replicaId()).toList();
    if (!known.contains(c.replicaId())) {
      return Effect()
          .reply(
              c.replyTo(),
              StatusReply.error(
                  "model " + c.model() + " has no replica '" + c.replicaId() + "' (replicas: " + String.join(", ", known) + ")"));
    }
    return Effect()
        .persist(new ReplicaModeSet(c.model(), c.replicaId(), c.mode(), clock.millis()))
        .thenRun(s -> pools.apply(c.model()).tell(new ModelPool.SetReplicaMode(c.replicaId(), c.mode(), c.replyTo())));
  }

  private Effect<Event, State> onRecentDecisions(State state, RecentDecisions c) {
    List<ScaleDecided> all = state.recent();
    int n = Math.max(0, Math.min(c.n(), all.size()));
    return Effect().reply(c.replyTo(), new Decisions(List.copyOf(all.subList(all.size() - n, all.size()))));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            ScaleDecided.class,
            (s, e) -> {
              ModelMemory m = s.models().getOrDefault(e.model(), ModelMemory.initial(e.from()));
              return s.with(e.model(), m.after(e.asDecision()), e, settings.recentDecisions());
            })
        .onEvent(
            LimitsSet.class,
            (s, e) -> {
              ModelMemory m = s.models().getOrDefault(e.model(), ModelMemory.initial(ModelMemory.NEVER_DECIDED));
              return s.with(e.model(), m.withLimits(e.limits()), null, settings.recentDecisions());
            })
        .onEvent(ReplicaModeSet.class, (s, e) -> s.withMode(e.model(), e.replicaId(), e.mode()))
        .build();
  }

  /**
   * The model's memory; before its first decision the count the driver runs now (not failed, not draining) stands in
   * for desired, so that the supervisor adopts what exists instead of assuming zero.
   */
  /**
   * The consolidation advice for one model, from every model's latest reading (the others' may be a tick old); none
   * until every model has reported once.
   */
  private ScalingPolicy.Advice advice(State state, ModelSpec spec) {
    if (!settings.consolidation().enabled()) return ScalingPolicy.Advice.NONE;
    List<Consolidator.Pool> pools = new ArrayList<>();
    for (ModelSpec m : catalog.models()) {
      Telemetry t = latest.get(m.id());
      if (t == null) return ScalingPolicy.Advice.NONE;
      pools.add(new Consolidator.Pool(m, t, memory(state, m)));
    }
    return consolidator.advise(pools).getOrDefault(spec.id(), ScalingPolicy.Advice.NONE);
  }

  private ModelMemory memory(State state, ModelSpec spec) {
    ModelMemory m = state.models().get(spec.id());
    if (m != null && m.desired() >= 0) return m;
    int running =
        (int)
            driver.replicas(spec.id()).stream()
                .filter(r -> r.phase() == ReplicaPhase.STARTING || r.phase() == ReplicaPhase.READY)
                .count();
    ModelMemory adopted = ModelMemory.initial(running);
    return m == null ? adopted : adopted.withLimits(m.limits());
  }

  private void scaleDriver(ModelSpec spec, int desired) {
    try {
      driver.scale(spec, desired);
    } catch (RuntimeException e) {
      ctx.getLog().error("model {}: driver {} failed to scale to {}", spec.id(), driver.name(), desired, e);
    }
  }
}
