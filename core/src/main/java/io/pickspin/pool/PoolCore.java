package io.pickspin.pool;

import io.pickspin.model.BackendEndpoint;
import io.pickspin.model.ModelSpec;
import io.pickspin.scaling.ArrivalStats;
import io.pickspin.scaling.Telemetry;
import io.pickspin.scaling.driver.ReplicaPhase;
import io.pickspin.scaling.driver.ReplicaStatus;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One model's replicas, leases and hold queue, without actors: the {@code ModelPool} entity wraps it and the simulator
 * can drive it directly. Every call takes the time ({@code nowMs}) and returns the replies it produced instead of
 * sending them, so every request gets exactly one {@link Reply}: at once from {@link #acquire}, or later from the call
 * that freed capacity or expired it.
 *
 * <p>Leases go to a READY replica with room, up to {@link PoolSettings#slotsPerReplica} per replica, pinned ones first,
 * healthy ones before suspect ones, and among those by {@link PoolSettings#replicaChoice}: the fewest requests in
 * flight, or (prefix-aware) the fewest in flight less a weight per 1,000 tokens of the prompt's leading blocks the pool
 * sent to that replica before ({@link PrefixIndex}), so that a prompt goes where its prefix is likely cached unless that
 * replica is busier by more than the prefix is worth: the prefill a hit saves grows with the cached tokens. When none has room the request waits in a bounded FIFO hold queue
 * until a replica has room, its {@link LeaseRequest#maxWait} passes (TIMED_OUT), or no replica can ever serve it
 * (UNAVAILABLE). A full queue refuses with OVERLOADED and a Retry-After estimate.
 *
 * <p>Not thread-safe.
 *
 * @param <H> how the caller answers a request (an ActorRef in the entity, anything in tests)
 */
public final class PoolCore<H> {

  /** The pool's own verdict on a replica, from request outcomes and health checks. */
  public enum Health {
    HEALTHY,
    /** Recent faults or failed checks: leased only when no healthy replica has room. */
    SUSPECT,
    /** Too many faults or failed checks: out of rotation until a health check passes. */
    FAILED
  }

  /** An operator's say over one replica (admin API). It stays with the replica id while the driver lists it. */
  public enum Mode {
    /** Leased by the usual rules. */
    NORMAL,
    /** Out of rotation: no new leases, leases in flight finish. Before taking a replica or its node down. */
    DRAINED,
    /** Preferred: leased before any unpinned replica while it has room, e.g. to canary or debug one replica. */
    PINNED
  }

  /** The answer to one acquire. */
  public sealed interface Reply<H> {
    H handle();
  }

  public record Granted<H>(H handle, Lease lease) implements Reply<H> {}

  public record Refused<H>(H handle, PoolException error) implements Reply<H> {}

  private static final class Replica {
    final String id;
    final BackendEndpoint endpoint;
    ReplicaPhase phase;
    Health health = Health.HEALTHY;
    Mode mode = Mode.NORMAL;
    int inFlight;
    long leasesGranted;
    int faults;
    int failedChecks;

    Replica(String id, ReplicaPhase phase, BackendEndpoint endpoint) {
      this.id = id;
      this.phase = phase;
      this.endpoint = endpoint;
    }

    boolean excludedBy(Set<String> excluded) {
      return endpoint != null && excluded.contains(endpoint.id());
    }

    /** Could serve now or soon: asked for and not failed or going away. */
    boolean live() {
      return phase == ReplicaPhase.STARTING || phase == ReplicaPhase.READY;
    }
  }

  /** A request waiting for a replica. Identity matters: two held requests may carry equal values. */
  private static final class Held<H> {
    final LeaseRequest request;
    final long[] blocks;
    final H handle;
    final long arrivedMs;
    final long deadlineMs;
    /** Later requests served before this one because their prefix was on the freed replica. */
    int bypassed;

    Held(LeaseRequest request, long[] blocks, H handle, long arrivedMs, long deadlineMs) {
      this.request = request;
      this.blocks = blocks;
      this.handle = handle;
      this.arrivedMs = arrivedMs;
      this.deadlineMs = deadlineMs;
    }

    LeaseRequest request() {
      return request;
    }

    long[] blocks() {
      return blocks;
    }

    H handle() {
      return handle;
    }

    long arrivedMs() {
      return arrivedMs;
    }

    long deadlineMs() {
      return deadlineMs;
    }
  }

  /** The replica object, not its id: a replica that left and came back is a new object with its own counts. */
  private record Active(Lease lease, Replica replica) {}

  private final ModelSpec spec;
  private final PoolSettings settings;
  private final ArrivalStats stats;
  private final double assumedLatencyMs;
  private final int slotsPerReplica;
  private final Map<String, Replica> replicas = new LinkedHashMap<>();
  private final Map<Long, Active> leases = new HashMap<>();
  private final ArrayDeque<Held<H>> held = new ArrayDeque<>();
  private long nextLeaseId;
  private int desired = -1;
  private int maxReplicas;
  /** When a replica last entered rotation: a queue only shows missing capacity once it outlasts new capacity. */
  private long lastCapacityGainMs = -1;
  private final PrefixIndex prefixes;
  private final SplittableRandom random;

  /**
   * @param stats the model's telemetry window; the core records arrivals and completions into it
   * @param assumedLatencyMs latency to estimate Retry-After with until requests have completed
   * @param firstLeaseId lease ids count up from here: start each incarnation of a pool at a different value (random)
   *     so that a late release for a previous incarnation's lease cannot match a new one
   */
  public PoolCore(
      ModelSpec spec, PoolSettings settings, ArrivalStats stats, double assumedLatencyMs, long firstLeaseId) {
    this.spec = spec;
    this.settings = settings;
    this.stats = stats;
    this.assumedLatencyMs = assumedLatencyMs;
    this.slotsPerReplica = settings.slotsPerReplica(spec.latency().maxBatch());
    this.nextLeaseId = firstLeaseId;
    this.maxReplicas = spec.maxReplicas();
    this.prefixes = new PrefixIndex(settings.prefixBlocksPerReplica(), settings.prefixTtl().toMillis());
    this.random = new SplittableRandom(firstLeaseId);
  }

  // ---- requests

  /** Leases a replica now, refuses now, or (empty) holds the request: its reply comes from a later call. */
  public Optional<Reply<H>> acquire(LeaseRequest request, H handle, long nowMs) {
    stats.recordArrival(nowMs, request.named());
    if (maxReplicas == 0) {
      return Optional.of(refuse(handle, PoolException.Reason.UNAVAILABLE, noReplicasMessage(), nowMs));
    }
    if (everyReplicaExcluded(request.excludeBackends())) {
      return Optional.of(refuse(handle, PoolException.Reason.UNAVAILABLE, allTriedMessage(), nowMs));
    }
    long[] blocks = prefixBlocks(request);
    Replica r = pick(request.excludeBackends(), blocks, nowMs);
    if (r != null) return Optional.of(grant(r, handle, blocks, nowMs));
    if (request.maxWait().isZero() || held.size() >= settings.holdQueueCapacity()) {
      return Optional.of(
          refuse(
              handle,
              PoolException.Reason.OVERLOADED,
              "model " + spec.id() + " is at capacity (" + held.size() + " requests waiting)",
              nowMs));
    }
    held.addLast(new Held<>(request, blocks, handle, nowMs, nowMs + request.maxWait().toMillis()));
    return Optional.empty();
  }

  /**
   * Ends a lease. A lease the pool does not know (released twice, or granted by an earlier incarnation of the pool) is
   * ignored. Returns grants for held requests that the freed slot serves.
   */
  public List<Reply<H>> release(Lease lease, Outcome outcome, long nowMs) {
    Active a = leases.get(lease.id());
    if (a == null || !a.lease().backend().id().equals(lease.backend().id())) return List.of();
    leases.remove(lease.id());
    Replica r = a.replica();
    r.inFlight--;
    if (outcome.ok()) {
      // slowdowns against the request's own idle service time, else the profile's of an answer as long
      double idle = outcome.idleServiceMs() > 0 ? outcome.idleServiceMs()
          : outcome.outputTokens() > 0 ? spec.latency().serviceMs(outcome.outputTokens()) : 0;
      stats.recordServed(nowMs, outcome.latencyMs(), idle, outcome.deadlineMs(), outcome.sinceArrivalMs());
      r.faults = 0;
      if (r.health == Health.SUSPECT && r.failedChecks == 0) r.health = Health.HEALTHY;
    } else if (outcome.replicaFault()) {
      r.faults++;
      r.health = r.faults >= settings.faultsToFail() ? Health.FAILED : worst(r.health, Health.SUSPECT);
    }
    return drain(nowMs);
  }

  /** Refuses every held request whose wait budget is spent (TIMED_OUT). */
  public List<Reply<H>> expire(long nowMs) {
    List<Reply<H>> out = new ArrayList<>();
    for (Iterator<Held<H>> it = held.iterator(); it.hasNext(); ) {
      Held<H> h = it.next();
      if (h.deadlineMs() <= nowMs) {
        it.remove();
        out.add(
            refuse(
                h.handle(),
                PoolException.Reason.TIMED_OUT,
                "no replica of model " + spec.id() + " became free within " + (nowMs - h.arrivedMs()) + " ms",
                nowMs));
      }
    }
    return out;
  }

  /** Refuses every held request, e.g. when the pool stops: the caller can retry at once instead of timing out. */
  public List<Reply<H>> refuseAllHeld(PoolException.Reason reason, String message, long nowMs) {
    List<Reply<H>> out = new ArrayList<>();
    while (!held.isEmpty()) out.add(refuse(held.pollFirst().handle(), reason, message, nowMs));
    return out;
  }

  /** The earliest deadline in the hold queue, or -1 when nothing is held. */
  public long nextDeadlineMs() {
    long min = -1;
    for (Held<H> h : held) if (min < 0 || h.deadlineMs() < min) min = h.deadlineMs();
    return min;
  }

  // ---- replicas

  /**
   * The driver's current list of this model's replicas. Replicas missing from it are gone; their leases still end
   * through {@link #release}. A replica that (re)becomes READY starts healthy. Returns what the change served.
   */
  public List<Reply<H>> updateReplicas(Collection<ReplicaStatus> statuses, long nowMs) {
    Map<String, Replica> next = new LinkedHashMap<>();
    for (ReplicaStatus s : statuses) {
      Replica r = replicas.get(s.replicaId());
      if (r == null || (s.endpoint() != null && !s.endpoint().equals(r.endpoint))) {
        Mode mode = r == null ? Mode.NORMAL : r.mode;
        r = new Replica(s.replicaId(), s.phase(), s.endpoint());
        r.mode = mode;
      } else if (s.phase() != r.phase) {
        if (s.phase() == ReplicaPhase.READY) resetHealth(r);
        r.phase = s.phase();
      }
      next.put(r.id, r);
    }
    long before = inRotationCount();
    replicas.clear();
    replicas.putAll(next);
    prefixes.retain(replicas.keySet());
    if (inRotationCount() > before) lastCapacityGainMs = nowMs;
    return drain(nowMs);
  }

  /** What the scaling supervisor asked for and allows. With a maximum of zero nothing held can ever be served. */
  public List<Reply<H>> setTarget(int desired, int maxReplicas, long nowMs) {
    this.desired = desired;
    this.maxReplicas = maxReplicas;
    return drain(nowMs);
  }

  /** Result of one health check of a replica. A pass puts a failed replica back in rotation. */
  public List<Reply<H>> healthChecked(String replicaId, boolean ok, long nowMs) {
    Replica r = replicas.get(replicaId);
    if (r == null) return List.of();
    if (ok) {
      boolean back = !inRotation(r);
      resetHealth(r);
      if (back && inRotation(r)) lastCapacityGainMs = nowMs;
      return drain(nowMs);
    }
    r.failedChecks++;
    r.health = r.failedChecks >= settings.healthFailuresToFail() ? Health.FAILED : worst(r.health, Health.SUSPECT);
    return List.of();
  }

  /**
   * Drains, pins or restores one replica. Un-draining or pinning may serve held requests: returns what it served.
   *
   * @throws NoSuchElementException when the pool has no replica with that id
   */
  public List<Reply<H>> setMode(String replicaId, Mode mode, long nowMs) {
    Replica r = replicas.get(replicaId);
    if (r == null) {
      throw new NoSuchElementException(
          "model " + spec.id() + " has no replica '" + replicaId + "' (replicas: " + String.join(", ", replicas.keySet()) + ")");
    }
    boolean wasInRotation = inRotation(r);
    r.mode = mode;
    if (!wasInRotation && inRotation(r)) lastCapacityGainMs = nowMs;
    return drain(nowMs);
  }

  /** Replicas to health-check: every READY one with an address, including those the pool took out of rotation. */
  public List<ReplicaStatus> healthCheckTargets() {
    return replicas.values().stream()
        .filter(r -> r.phase == ReplicaPhase.READY && r.endpoint != null)
        .map(r -> new ReplicaStatus(r.id, r.phase, r.endpoint))
        .toList();
  }

  // ---- readings

  public Telemetry telemetry(long nowMs) {
    int ready = (int) inRotationCount();
    int starting = (int) replicas.values().stream().filter(r -> r.phase == ReplicaPhase.STARTING).count();
    long backlogAge =
        held.isEmpty() ? 0 : Math.max(0, nowMs - Math.max(held.peekFirst().arrivedMs(), lastCapacityGainMs));
    return Telemetry.of(spec.id(), stats, nowMs, leases.size(), held.size(), backlogAge, ready, starting);
  }

  public PoolStatus status() {
    List<PoolStatus.ReplicaView> views =
        replicas.values().stream()
            .map(r -> new PoolStatus.ReplicaView(r.id, r.phase, r.health, inRotation(r), r.inFlight, r.endpoint, r.mode))
            .toList();
    return new PoolStatus(spec.id(), desired, maxReplicas, leases.size(), held.size(), views);
  }

  public int heldCount() {
    return held.size();
  }

  public int inFlight() {
    return leases.size();
  }

  /**
   * Seconds a refused client should wait: the time for the requests ahead of it to drain through the free capacity,
   * or a cold start when no replica serves.
   */
  public int retryAfterSeconds(long nowMs) {
    double latencyMs = stats.meanLatencyMs(nowMs) >= 0 ? stats.meanLatencyMs(nowMs) : assumedLatencyMs;
    long slots = inRotationCount() * slotsPerReplica;
    double ms =
        slots > 0 ? (held.size() + 1) * latencyMs / slots : spec.latency().coldStartMs() + latencyMs;
    long s = (long) Math.ceil(ms / 1000.0);
    return (int) Math.max(1, Math.min(settings.retryAfterMax().getSeconds(), s));
  }

  // ---- internals

  private long inRotationCount() {
    return replicas.values().stream().filter(this::inRotation).count();
  }

  private boolean inRotation(Replica r) {
    return r.phase == ReplicaPhase.READY && r.endpoint != null && r.health != Health.FAILED && r.mode != Mode.DRAINED;
  }

  private long[] prefixBlocks(LeaseRequest request) {
    return settings.replicaChoice().usesPrefixes() ? request.promptBlocks() : NO_BLOCKS;
  }

  private static final long[] NO_BLOCKS = new long[0];

  /** Among replicas with room: pinned first, healthy before suspect, then the replica choice; ties to the least used. */
  private Replica pick(Set<String> excluded, long[] blocks, long nowMs) {
    Replica best = null;
    double bestScore = 0;
    for (Replica r : replicas.values()) {
      if (!inRotation(r) || r.inFlight >= slotsPerReplica || r.excludedBy(excluded)) continue;
      double score = score(r, blocks, nowMs);
      if (best == null || better(r, score, best, bestScore)) {
        best = r;
        bestScore = score;
      }
    }
    return best;
  }

  private static boolean better(Replica r, double score, Replica best, double bestScore) {
    boolean pinned = r.mode == Mode.PINNED, bestPinned = best.mode == Mode.PINNED;
    if (pinned != bestPinned) return pinned;
    if (r.health != best.health) return r.health.compareTo(best.health) < 0;
    if (score != bestScore) return score < bestScore;
    return r.leasesGranted < best.leasesGranted;
  }

  /** Lower is better. */
  private double score(Replica r, long[] blocks, long nowMs) {
    return switch (settings.replicaChoice()) {
      case LEAST_OUTSTANDING -> r.inFlight;
      case RANDOM -> random.nextDouble();
      case PREFIX_ONLY -> blocks.length == 0 ? r.inFlight
          : -(double) prefixes.matched(r.id, blocks, nowMs) * (slotsPerReplica + 1) + r.inFlight;
      case PREFIX_AWARE -> blocks.length == 0 ? r.inFlight
          : r.inFlight - settings.prefixWeight() / 1000.0 * settings.prefixBlockTokens() * prefixes.matched(r.id, blocks, nowMs);
    };
  }

  private Reply<H> grant(Replica r, H handle, long[] blocks, long nowMs) {
    prefixes.sent(r.id, blocks, nowMs);
    r.inFlight++;
    r.leasesGranted++;
    Lease lease = new Lease(nextLeaseId++, spec.id(), r.endpoint);
    leases.put(lease.id(), new Active(lease, r));
    return new Granted<>(handle, lease);
  }

  private Reply<H> refuse(H handle, PoolException.Reason reason, String message, long nowMs) {
    return new Refused<>(handle, new PoolException(reason, message, retryAfterSeconds(nowMs)));
  }

  /**
   * True when a request excluding these backends can never be served: every replica that is or may become ready is
   * excluded and the model may not get more.
   */
  private boolean everyReplicaExcluded(Set<String> excluded) {
    if (excluded.isEmpty()) return false;
    int live = 0;
    for (Replica r : replicas.values()) {
      if (!r.live()) continue;
      if (!r.excludedBy(excluded)) return false;
      live++;
    }
    return live > 0 && live >= maxReplicas;
  }

  /**
   * Serves held requests in arrival order while replicas have room; drops those that can never be served. Prefix-aware,
   * a freed replica goes to a later held request (among the next slots-per-replica) that it likely holds more of the
   * prompt of: a saturated fleet keeps its caches warm instead of sending each request to whichever replica frees
   * first. A held request lets at most slots-per-replica later ones go first.
   */
  private List<Reply<H>> drain(long nowMs) {
    if (held.isEmpty()) return List.of();
    List<Reply<H>> out = new ArrayList<>();
    boolean again = true;
    while (again) {
      again = false;
      for (Iterator<Held<H>> it = held.iterator(); it.hasNext(); ) {
        Held<H> h = it.next();
        if (maxReplicas == 0) {
          it.remove();
          out.add(refuse(h.handle(), PoolException.Reason.UNAVAILABLE, noReplicasMessage(), nowMs));
        } else if (everyReplicaExcluded(h.request().excludeBackends())) {
          it.remove();
          out.add(refuse(h.handle(), PoolException.Reason.UNAVAILABLE, allTriedMessage(), nowMs));
        } else {
          Replica r = pick(h.request().excludeBackends(), h.blocks(), nowMs);
          if (r == null) continue;
          Held<H> warmer = warmerFor(r, h, nowMs);
          if (warmer != null) {
            held.removeFirstOccurrence(warmer);
            h.bypassed++;
            out.add(grant(r, warmer.handle(), warmer.blocks(), nowMs));
            again = true; // the queue changed under the iterator
            break;
          }
          it.remove();
          out.add(grant(r, h.handle(), h.blocks(), nowMs));
        }
      }
    }
    return out;
  }

  /** Prefix-aware: the held request after {@code h} that replica {@code r} likely holds the longest prefix of, if longer. */
  private Held<H> warmerFor(Replica r, Held<H> h, long nowMs) {
    if (settings.replicaChoice() != ReplicaChoice.PREFIX_AWARE || h.bypassed >= slotsPerReplica || held.size() < 2) {
      return null;
    }
    int best = h.blocks().length == 0 ? 0 : prefixes.matched(r.id, h.blocks(), nowMs);
    Held<H> warmer = null;
    int seen = 0;
    boolean after = false;
    for (Held<H> x : held) {
      if (x == h) {
        after = true;
        continue;
      }
      if (!after) continue;
      if (++seen > slotsPerReplica) break;
      if (x.blocks().length == 0 || r.excludedBy(x.request().excludeBackends())) continue;
      int m = prefixes.matched(r.id, x.blocks(), nowMs);
      if (m > best) {
        best = m;
        warmer = x;
      }
    }
    return warmer;
  }

  private void resetHealth(Replica r) {
    r.health = Health.HEALTHY;
    r.faults = 0;
    r.failedChecks = 0;
  }

  private static Health worst(Health a, Health b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private String noReplicasMessage() {
    return "model " + spec.id() + " is not allowed any replica (max replicas 0)";
  }

  private String allTriedMessage() {
    return "every replica of model " + spec.id() + " was already tried for this request";
  }
}
