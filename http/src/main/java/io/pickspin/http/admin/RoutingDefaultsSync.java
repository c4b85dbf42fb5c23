package io.pickspin.http.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pickspin.CborSerializable;
import io.pickspin.actors.AdminAudit;
import io.pickspin.http.RoutingDefaults;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * Keeps every node's {@link RoutingDefaults} in step: the admin API of any node publishes a switch to a cluster topic,
 * and this actor, one per node, applies it (the latest switch wins when two race). A node that starts later applies
 * the latest switch the audit trail holds, so a rolling restart does not fall back to the configured defaults.
 */
public final class RoutingDefaultsSync {
  public static final String TOPIC = "pickspin-routing-defaults";
  /** The audit action of a switch; its details are the complete new defaults. */
  public static final String ACTION = "routing-defaults";

  public sealed interface Command {}

  /** New defaults, stamped with when an operator chose them. Sent to every node. */
  public record Switched(String profile, String router, long atMs) implements Command, CborSerializable {}

  /** Publish a switch to every node (this one included). */
  public record Publish(Switched switched) implements Command {}

  private record Restored(AdminAudit.Entries entries) implements Command {}

  private enum AskAudit implements Command {
    INSTANCE
  }

  /** Reads of the audit trail at start before giving up (it may still be starting, e.g. the whole cluster is). */
  private static final int RESTORE_ATTEMPTS = 6;

  private RoutingDefaultsSync() {}

  /** Starts this node's sync actor. */
  public static ActorRef<Command> start(
      ActorSystem<?> system, RoutingDefaults defaults, ActorRef<AdminAudit.Command> audit, int auditLookback, Duration timeout) {
    return system.systemActorOf(create(defaults, audit, auditLookback, timeout), "routing-defaults-sync", Props.empty());
  }

  public static Behavior<Command> create(
      RoutingDefaults defaults, ActorRef<AdminAudit.Command> audit, int auditLookback, Duration timeout) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> {
          ActorRef<Topic.Command<Switched>> topic = ctx.spawn(Topic.create(Switched.class, TOPIC), "topic");
          topic.tell(Topic.subscribe(ctx.getSelf().narrow()));
          ctx.getSelf().tell(AskAudit.INSTANCE);
          long[] appliedAtMs = {-1};
          int[] attempts = {0};
          return Behaviors.receive(Command.class)
              .onMessageEquals(
                  AskAudit.INSTANCE,
                  () -> {
                    attempts[0]++;
                    ctx.ask(
                        AdminAudit.Entries.class,
                        audit,
                        timeout,
                        replyTo -> new AdminAudit.GetRecent(auditLookback, replyTo),
                        (entries, error) -> new Restored(error == null ? entries : null));
                    return Behaviors.same();
                  })
              .onMessage(
                  Publish.class,
                  p -> {
                    topic.tell(Topic.publish(p.switched()));
                    return Behaviors.same();
                  })
              .onMessage(
                  Switched.class,
                  s -> {
                    if (s.atMs() < appliedAtMs[0]) return Behaviors.same();
                    try {
                      RoutingDefaults.Choice next = new RoutingDefaults.Choice(Profile.parse(s.profile()), RouterKind.parse(s.router()));
                      RoutingDefaults.Choice before = defaults.set(next);
                      appliedAtMs[0] = s.atMs();
                      if (!before.equals(next)) {
                        ctx.getLog().info("routing defaults now profile {} router {}", s.profile(), s.router());
                      }
                    } catch (IllegalArgumentException e) {
                      ctx.getLog().warn("ignoring routing defaults {}: {}", s, e.getMessage());
                    }
                    return Behaviors.same();
                  })
              .onMessage(
                  Restored.class,
                  r -> {
                    if (r.entries() == null && attempts[0] < RESTORE_ATTEMPTS) {
                      timers.startSingleTimer(AskAudit.INSTANCE, timeout);
                    } else if (r.entries() == null) {
                      ctx.getLog().warn("the audit trail did not answer: routing defaults stay as configured until switched");
                    } else {
                      latestSwitch(r.entries()).ifPresent(s -> ctx.getSelf().tell(s));
                    }
                    return Behaviors.same();
                  })
              .build();
        }));
  }

  /** The newest applied switch in the audit entries (newest first), if any. */
  static Optional<Switched> latestSwitch(AdminAudit.Entries entries) {
    ObjectMapper json = new ObjectMapper();
    for (AdminAudit.Entry e : entries.entries()) {
      if (!ACTION.equals(e.change().action()) || !AdminAudit.APPLIED.equals(e.outcome())) continue;
      try {
        JsonNode d = json.readTree(e.change().details());
        return Optional.of(new Switched(d.path("profile").asText(), d.path("router").asText(), e.atMs()));
      } catch (Exception ignored) {
        // a malformed entry cannot be applied; an older one could be stale: keep the configured defaults
        return Optional.empty();
      }
    }
    return Optional.empty();
  }
}
