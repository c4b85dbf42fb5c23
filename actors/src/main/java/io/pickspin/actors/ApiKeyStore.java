package io.pickspin.actors;

import io.pickspin.CborSerializable;
import io.pickspin.keys.ApiKey;
import io.pickspin.keys.KeyBook;
import io.pickspin.keys.KeyReport;
import io.pickspin.keys.TokenUsage;
import io.pickspin.keys.WindowCounts;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * The cluster's API keys and their lifetime usage (an event-sourced Cluster Singleton): keys are created and revoked
 * through the admin API ({@link KeyCreated}, {@link KeyRevoked}); every gateway node reports its usage each sync
 * interval ({@link Sync}), which is persisted ({@link UsageRecorded}) before the node hears it was taken. The answer
 * gives the node the key list when it changed, each key's lifetime tokens and the other nodes' counts in the rate
 * window. Those window counts are soft state, not persisted: after a fail-over the nodes report them again within a
 * sync interval.
 */
public final class ApiKeyStore extends EventSourcedBehavior<ApiKeyStore.Command, ApiKeyStore.Event, KeyBook> {

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("api-keys");
  /** A node that has not reported for this long no longer counts in the others' windows. */
  static final long NODE_EXPIRY_MS = 120_000;

  // ---- commands

  public sealed interface Command {}

  /** Adds a key; refused when its name is taken. Answered with the key once persisted. */
  public record Create(ApiKey key, ActorRef<StatusReply<ApiKey>> replyTo) implements Command, CborSerializable {}

  /** Revokes a key by name; refused when there is none. */
  public record Revoke(String name, ActorRef<StatusReply<Done>> replyTo) implements Command, CborSerializable {}

  /** The keys with their usage. */
  public record Get(ActorRef<KeyBook> replyTo) implements Command, CborSerializable {}

  /**
   * A node's report.
   *
   * @param node the node's address
   * @param knownVersion the key list's version the node has
   */
  public record Sync(String node, long knownVersion, Map<String, KeyReport> reports, ActorRef<Synced> replyTo)
      implements Command, CborSerializable {}

  /**
   * @param keys the key list when the node's version is not {@code version}, else null
   * @param storedTokens every key's lifetime tokens
   * @param others every key's window counts, summed over the nodes but the asking one
   */
  public record Synced(long version, List<ApiKey> keys, Map<String, Long> storedTokens, Map<String, WindowCounts> others)
      implements CborSerializable {}

  /** Hand-over stop message of the singleton. */
  public enum Stop implements Command, CborSerializable {
    INSTANCE
  }

  // ---- events

  public sealed interface Event extends CborSerializable {}

  public record KeyCreated(ApiKey key) implements Event {}

  public record KeyRevoked(String name) implements Event {}

  /** Usage by key, then model. */
  public record UsageRecorded(Map<String, Map<String, TokenUsage>> usage) implements Event {}

  // ---- construction

  public static Behavior<Command> create(Clock clock) {
    return Behaviors.setup(ctx -> new ApiKeyStore(clock));
  }

  /**
   * Starts the key store singleton on this node (every node calls it; one instance runs in the cluster) and returns
   * its proxy.
   *
   * @param role the cluster role whose members may host it ("" = any member)
   */
  public static ActorRef<Command> initSingleton(ActorSystem<?> system, String role) {
    SingletonActor<Command> singleton =
        SingletonActor.of(create(Clock.systemUTC()), "api-key-store").withStopMessage(Stop.INSTANCE);
    if (!role.isEmpty()) singleton = singleton.withSettings(ClusterSingletonSettings.create(system).withRole(role));
    return ClusterSingleton.get(system).init(singleton);
  }

  private final Clock clock;
  /** Each node's last window counts and when they came; soft state. */
  private final Map<String, NodeWindows> windows = new HashMap<>();

  private record NodeWindows(long atMs, Map<String, WindowCounts> byKey) {}

  private ApiKeyStore(Clock clock) {
    super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.clock = clock;
  }

  @Override
  public KeyBook emptyState() {
    return KeyBook.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // usage arrives every sync interval from every node: snapshots keep recovery short
    return RetentionCriteria.snapshotEvery(500, 2);
  }

  @Override
  public CommandHandler<Command, Event, KeyBook> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Revoke.class, this::onRevoke)
        .onCommand(Get.class, (s, g) -> Effect().reply(g.replyTo(), s))
        .onCommand(Sync.class, this::onSync)
        .onCommand(Stop.class, (s, c) -> Effect().stop())
        .build();
  }

  private Effect<Event, KeyBook> onCreate(KeyBook book, Create c) {
    if (book.has(c.key().name())) {
      return Effect().reply(c.replyTo(), StatusReply.error("a key named '" + c.key().name() + "' exists; revoke it first"));
    }
    if (book.hashInUse(c.key().hash())) return Effect().reply(c.replyTo(), StatusReply.error("that secret is in use"));
    return Effect().persist(new KeyCreated(c.key())).thenReply(c.replyTo(), s -> StatusReply.success(c.key()));
  }

  private Effect<Event, KeyBook> onRevoke(KeyBook book, Revoke r) {
    if (!book.has(r.name())) return Effect().reply(r.replyTo(), StatusReply.error("no key named '" + r.name() + "'"));
    return Effect().persist(new KeyRevoked(r.name())).thenReply(r.replyTo(), s -> StatusReply.ack());
  }

  private Effect<Event, KeyBook> onSync(KeyBook book, Sync s) {
    long now = clock.millis();
    Map<String, WindowCounts> own = new HashMap<>();
    Map<String, Map<String, TokenUsage>> usage = new HashMap<>();
    s.reports().forEach(
        (key, report) -> {
          own.put(key, report.window());
          if (!report.usage().isEmpty()) usage.put(key, report.usage());
        });
    windows.put(s.node(), new NodeWindows(now, own));
    windows.values().removeIf(w -> now - w.atMs() > NODE_EXPIRY_MS);
    if (usage.isEmpty()) return Effect().reply(s.replyTo(), synced(book, s));
    return Effect().persist(new UsageRecorded(usage)).thenReply(s.replyTo(), after -> synced(after, s));
  }

  private Synced synced(KeyBook book, Sync s) {
    Map<String, Long> stored = new HashMap<>();
    for (String name : book.keys().keySet()) stored.put(name, book.totalOf(name).tokens());
    Map<String, WindowCounts> others = new HashMap<>();
    windows.forEach(
        (node, w) -> {
          if (node.equals(s.node())) return;
          w.byKey().forEach((key, c) -> others.merge(key, c, WindowCounts::plus));
        });
    List<ApiKey> keys = s.knownVersion() == book.version() ? null : List.copyOf(book.keys().values());
    return new Synced(book.version(), keys, stored, others);
  }

  @Override
  public EventHandler<KeyBook, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(KeyCreated.class, (b, e) -> b.with(e.key()))
        .onEvent(KeyRevoked.class, (b, e) -> b.without(e.name()))
        .onEvent(UsageRecorded.class, (b, e) -> b.plus(e.usage()))
        .build();
  }
}
