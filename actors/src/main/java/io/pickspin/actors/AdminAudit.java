package io.pickspin.actors;

import io.pickspin.CborSerializable;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The audit trail of operator changes made through the admin API, one per cluster (an event-sourced Cluster
 * Singleton). The admin API records a change BEFORE it carries it out ({@link Record} -> {@link ChangeRequested}), so
 * no change happens unaudited, and then records how it ended ({@link Complete} -> {@link ChangeCompleted}). The state
 * keeps the latest entries for {@code GET /admin/audit}; the journal keeps them all.
 */
public final class AdminAudit
    extends EventSourcedBehavior<AdminAudit.Command, AdminAudit.Event, AdminAudit.State> {

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("admin-audit");
  public static final String PENDING = "pending";
  /** The outcome of a change that was carried out; anything else says why it was not. */
  public static final String APPLIED = "applied";

  // ---- commands

  public sealed interface Command {}

  /** Persist a change an operator asked for; answered with its entry (outcome "pending") once persisted. */
  public record Record(Change change, ActorRef<StatusReply<Entry>> replyTo) implements Command, CborSerializable {}

  /** How change {@code id} ended ("applied", or what went wrong); answered once persisted. */
  public record Complete(long id, String outcome, ActorRef<StatusReply<Done>> replyTo)
      implements Command, CborSerializable {}

  /** The latest {@code limit} entries, newest first. */
  public record GetRecent(int limit, ActorRef<Entries> replyTo) implements Command, CborSerializable {}

  /** Hand-over stop message of the singleton. */
  public enum Stop implements Command, CborSerializable {
    INSTANCE
  }

  // ---- data

  /**
   * What an operator asked for.
   *
   * @param operator who: a token fingerprint, plus the name the client gave, if any
   * @param client the client's address, "" if unknown
   * @param action what, e.g. "set-limits", "replica-mode", "leave-node", "routing-defaults"
   * @param target on what: a model, "model/replica", a node address, "routing"
   * @param details the request's parameters as JSON
   */
  public record Change(String operator, String client, String action, String target, String details)
      implements CborSerializable {
    public Change {
      if (action == null || action.isBlank()) throw new IllegalArgumentException("action is required");
      operator = operator == null ? "" : operator;
      client = client == null ? "" : client;
      target = target == null ? "" : target;
      details = details == null ? "{}" : details;
    }
  }

  /** One audited change; {@code outcome} is {@link #PENDING} until it is completed. */
  public record Entry(long id, long atMs, Change change, String outcome, long completedAtMs) implements CborSerializable {
    Entry completed(String how, long atMs) {
      return new Entry(id, this.atMs, change, how, atMs);
    }
  }

  public record Entries(List<Entry> entries, long total) implements CborSerializable {}

  // ---- events

  public sealed interface Event extends CborSerializable {}

  public record ChangeRequested(long id, long atMs, Change change) implements Event {}

  public record ChangeCompleted(long id, long atMs, String outcome) implements Event {}

  // ---- state

  /**
   * @param lastId the id of the latest change (ids count from 1)
   * @param recent the latest entries, oldest first, at most the configured number
   */
  public record State(long lastId, List<Entry> recent) implements CborSerializable {
    public static final State EMPTY = new State(0, List.of());

    State requested(ChangeRequested e, int keep) {
      List<Entry> l = new ArrayList<>(recent);
      l.add(new Entry(e.id(), e.atMs(), e.change(), PENDING, -1));
      return new State(e.id(), List.copyOf(l.subList(Math.max(0, l.size() - keep), l.size())));
    }

    State completed(ChangeCompleted e) {
      return new State(lastId, recent.stream().map(x -> x.id() == e.id() ? x.completed(e.outcome(), e.atMs()) : x).toList());
    }

    Entry find(long id) {
      return recent.stream().filter(e -> e.id() == id).findFirst().orElse(null);
    }
  }

  // ---- construction

  /**
   * @param keep entries kept in the state for {@link GetRecent} (older ones stay in the journal only)
   */
  public static Behavior<Command> create(Clock clock, int keep) {
    if (keep < 1) throw new IllegalArgumentException("keep must be >= 1");
    return Behaviors.setup(ctx -> new AdminAudit(clock, keep));
  }

  /**
   * Starts the audit singleton on this node (every node calls it; one instance runs in the cluster) and returns its
   * proxy.
   *
   * @param role the cluster role whose members may host it ("" = any member)
   */
  public static ActorRef<Command> initSingleton(ActorSystem<?> system, String role, int keep) {
    SingletonActor<Command> singleton =
        SingletonActor.of(create(Clock.systemUTC(), keep), "admin-audit").withStopMessage(Stop.INSTANCE);
    if (!role.isEmpty()) singleton = singleton.withSettings(ClusterSingletonSettings.create(system).withRole(role));
    return ClusterSingleton.get(system).init(singleton);
  }

  private final Clock clock;
  private final int keep;

  private AdminAudit(Clock clock, int keep) {
    super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.clock = clock;
    this.keep = keep;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Record.class, this::onRecord)
        .onCommand(Complete.class, this::onComplete)
        .onCommand(GetRecent.class, this::onGetRecent)
        .onCommand(Stop.class, (s, c) -> Effect().stop())
        .build();
  }

  private Effect<Event, State> onRecord(State state, Record r) {
    return Effect()
        .persist(new ChangeRequested(state.lastId() + 1, clock.millis(), r.change()))
        .thenReply(r.replyTo(), s -> StatusReply.success(s.find(s.lastId())));
  }

  private Effect<Event, State> onComplete(State state, Complete c) {
    if (c.id() < 1 || c.id() > state.lastId()) {
      return Effect().reply(c.replyTo(), StatusReply.error("no audited change " + c.id()));
    }
    String outcome = c.outcome() == null || c.outcome().isBlank() ? "unknown" : c.outcome();
    return Effect()
        .persist(new ChangeCompleted(c.id(), clock.millis(), outcome))
        .thenReply(c.replyTo(), s -> StatusReply.ack());
  }

  private Effect<Event, State> onGetRecent(State state, GetRecent g) {
    List<Entry> all = state.recent();
    int n = Math.max(0, Math.min(g.limit(), all.size()));
    List<Entry> newestFirst = new ArrayList<>(all.subList(all.size() - n, all.size()));
    Collections.reverse(newestFirst);
    return Effect().reply(g.replyTo(), new Entries(List.copyOf(newestFirst), state.lastId()));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(ChangeRequested.class, (s, e) -> s.requested(e, keep))
        .onEvent(ChangeCompleted.class, State::completed)
        .build();
  }
}
