package io.pickspin.lab.des;

import io.pickspin.lab.common.Percentiles;
import io.pickspin.model.ModelSpec;
import io.pickspin.pool.LeaseRequest;
import io.pickspin.pool.Outcome;
import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolException;
import io.pickspin.pool.PoolSettings;
import io.pickspin.prefix.PrefixCache;
import io.pickspin.scaling.ArrivalStats;
import io.pickspin.scaling.driver.ReplicaPhase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One run of a fixed fleet of one model in virtual time: the production {@link PoolCore} (with the replica choice of
 * its settings) leases {@link ReplicaServer}s, each with its own {@link PrefixCache} sized from its KV memory, and the
 * requests of a {@link PrefixWorkload} carry their prompt's block hashes to both. No routing, no scaling: what the
 * replica choice alone changes. One run per instance; deterministic for a given workload and settings.
 */
final class PrefixReplay implements ReplicaServer.Listener {

  /**
   * What a run measured over the requests arriving from {@code measureFromMs}.
   *
   * @param unserved requests the pool refused or that waited out the max hold (counted in TTFT at the max hold)
   * @param hitRate share of prompt tokens the replicas' prefix caches served
   * @param gpuHours GPU time of the fleet from the measured part's start to its last answer
   */
  record Result(int measured, int completed, int unserved, double ttftP50Ms, double ttftP90Ms, double ttftMeanMs,
      double outputTokensPerS, double hitRate, double gpuHours) {}

  private final EventQueue events = new EventQueue();
  private final LatencyModel latency;
  private final SimPool pool;
  private final Duration maxHold;
  private final List<Job> jobs = new ArrayList<>();
  /** Each request's turn, for the conversation's next one. */
  private final IdentityHashMap<Job, PrefixWorkload.Turn> turns = new IdentityHashMap<>();
  private int nextId;
  private double expiryAt = Double.POSITIVE_INFINITY;

  /** @param cacheBlocks each replica's prefix cache in blocks of {@code blockTokens} */
  PrefixReplay(LatencyModel latency, LatencyModel.Deployment deployment, ModelSpec spec, PoolSettings poolSettings,
      int replicas, long cacheBlocks, int blockTokens, Duration maxHold, long firstLeaseId) {
    this.latency = latency;
    this.maxHold = maxHold;
    ArrivalStats stats = new ArrivalStats(Duration.ofSeconds(60));
    PoolCore<Job> core = new PoolCore<>(spec, poolSettings, stats, spec.latency().serviceMs(256), firstLeaseId);
    this.pool = new SimPool(spec, deployment, core, null, stats);
    for (int i = 0; i < replicas; i++) {
      String id = spec.id() + "-" + i;
      ReplicaServer r = new ReplicaServer(id, pool, ReplicaPhase.READY, events, latency, deployment,
          spec.latency().maxBatch(), this);
      r.cache = new PrefixCache(cacheBlocks, blockTokens);
      pool.replicas.put(id, r);
    }
    core.updateReplicas(pool.statuses(), 0);
    core.setTarget(replicas, replicas, 0);
  }

  Result run(PrefixWorkload workload, double measureFromMs) {
    for (PrefixWorkload.Turn t : workload.firstTurns()) events.at(t.atMs(), () -> arrive(t));
    events.run();
    pool.account(events.now(), new Timeline(0));
    return result(measureFromMs);
  }

  private void arrive(PrefixWorkload.Turn t) {
    Job job = new Job(new SimRequest(nextId++, events.now(), null, t.inputTokens(), t.outputTokens(), Double.MAX_VALUE));
    job.promptBlocks = t.blocks();
    job.answeredBlocks = t.answered();
    jobs.add(job);
    turns.put(job, t);
    Optional<PoolCore.Reply<Job>> reply =
        pool.core.acquire(new LeaseRequest(pool.spec.id(), Set.of(), maxHold, t.blocks()), job, events.nowMs());
    reply.ifPresent(r -> handle(List.of(r)));
    armExpiry();
  }

  private void handle(List<PoolCore.Reply<Job>> replies) {
    for (PoolCore.Reply<Job> r : replies) {
      Job job = r.handle();
      if (r instanceof PoolCore.Granted<Job> g) {
        job.lease = g.lease();
        job.sentAt = events.now();
        pool.replicas.get(g.lease().backend().id()).submit(job);
      } else if (r instanceof PoolCore.Refused<Job> f) {
        job.finish(f.error().reason() == PoolException.Reason.TIMED_OUT ? Job.End.TIMED_OUT : Job.End.REJECTED, events.now());
        next(job);
      }
    }
  }

  private void armExpiry() {
    long next = pool.core.nextDeadlineMs();
    if (next >= 0 && next < expiryAt) {
      expiryAt = next;
      events.at(Math.max(next, events.now()), () -> {
        if (expiryAt == next) expiryAt = Double.POSITIVE_INFINITY;
        handle(pool.core.expire(events.nowMs()));
        armExpiry();
      });
    }
  }

  @Override
  public void firstToken(Job job, double now) {
    job.firstTokenAt = now;
  }

  @Override
  public void finished(ReplicaServer replica, Job job, double now) {
    job.finish(Job.End.COMPLETED, now);
    Outcome o = Outcome.success(Math.round(job.serviceMs()), Math.round(job.firstTokenAt - job.sentAt), job.request.outputTokens());
    handle(pool.core.release(job.lease, o, events.nowMs()));
    armExpiry();
    next(job);
  }

  /** A conversation's next turn comes after its think time. */
  private void next(Job job) {
    PrefixWorkload.Turn t = turns.remove(job);
    if (t != null && t.next() != null) {
      PrefixWorkload.Turn n = t.next();
      events.after(t.thinkMs(), () -> arrive(n));
    }
  }

  private Result result(double measureFromMs) {
    List<Job> measured = new ArrayList<>();
    for (Job j : jobs) {
      if (j.end == null) throw new IllegalStateException("request " + j.request.id() + " never ended");
      if (j.request.atMs() >= measureFromMs) measured.add(j);
    }
    double[] ttft = new double[measured.size()];
    int completed = 0;
    long output = 0, prompt = 0, cached = 0;
    double lastEnd = measureFromMs;
    for (int i = 0; i < ttft.length; i++) {
      Job j = measured.get(i);
      if (j.end == Job.End.COMPLETED) {
        completed++;
        ttft[i] = j.ttftMs();
        output += j.request.outputTokens();
        prompt += j.request.inputTokens();
        cached += j.cachedTokens;
      } else {
        ttft[i] = maxHold.toMillis();
      }
      lastEnd = Math.max(lastEnd, j.endAt);
    }
    Arrays.sort(ttft);
    double span = lastEnd - measureFromMs;
    double gpuHours = pool.replicas.size() * pool.spec.gpusPerReplica() * span / 3_600_000.0;
    return new Result(measured.size(), completed, measured.size() - completed,
        ttft.length == 0 ? 0 : Percentiles.nearestRank(ttft, 0.50), ttft.length == 0 ? 0 : Percentiles.nearestRank(ttft, 0.90),
        Arrays.stream(ttft).average().orElse(0), span > 0 ? output / (span / 1000) : 0,
        prompt == 0 ? 0 : (double) cached / prompt, gpuHours);
  }
}
