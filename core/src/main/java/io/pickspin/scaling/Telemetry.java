package io.pickspin.scaling;

import io.pickspin.CborSerializable;

/**
 * What a model's pool reports to the scaling loop at one instant. Also persisted as part of every scaling decision's
 * inputs, so the journal shows why each decision was taken.
 *
 * @param model catalogue id
 * @param atMs when the reading was taken (epoch ms, or virtual ms in the simulator)
 * @param windowMs length of the sliding window the rate and latency cover
 * @param arrivals requests that arrived within the window
 * @param ratePerSecond arrivals per second over the window (lambda of Little's law)
 * @param completions requests that completed successfully within the window
 * @param meanLatencyMs mean latency of those completions (W of Little's law), -1 when none completed
 * @param inFlight leased requests now
 * @param held requests waiting in the hold queue now
 * @param backlogAgeMs how long requests have been held without the pool gaining capacity: the wait of the oldest held
 *     request, counted at most from when a replica last entered rotation; 0 when nothing is held
 * @param ready replicas in rotation
 * @param starting replicas asked for but not serving yet
 * @param lastArrivalMs when the last request arrived, -1 if never
 * @param deadlines the slowdown the window's completed requests with deadlines tolerated (SLO-driven sizing)
 * @param recentRatePerSecond arrivals per second over the last {@link #RECENT_MS} (a burst the window shows late); -1
 *     when unknown
 * @param meanSlowdown the window's completed requests' service time over their idle service time ({@link
 *     ArrivalStats#meanSlowdown}), what the scaler calibrates its latency model with; -1 when unknown
 * @param namedArrivals arrivals within the window whose client named this model: traffic no other model can absorb
 *     ({@link Consolidator})
 */
public record Telemetry(
    String model,
    long atMs,
    long windowMs,
    long arrivals,
    double ratePerSecond,
    long completions,
    double meanLatencyMs,
    int inFlight,
    int held,
    long backlogAgeMs,
    int ready,
    int starting,
    long lastArrivalMs,
    DeadlineSlack deadlines,
    double recentRatePerSecond,
    double meanSlowdown,
    long namedArrivals)
    implements CborSerializable {

  /** The span of {@link #recentRatePerSecond}. */
  public static final long RECENT_MS = 10_000;

  public Telemetry {
    if (deadlines == null) deadlines = DeadlineSlack.NONE;
  }

  /** A reading without deadlines. */
  public Telemetry(
      String model,
      long atMs,
      long windowMs,
      long arrivals,
      double ratePerSecond,
      long completions,
      double meanLatencyMs,
      int inFlight,
      int held,
      long backlogAgeMs,
      int ready,
      int starting,
      long lastArrivalMs) {
    this(model, atMs, windowMs, arrivals, ratePerSecond, completions, meanLatencyMs, inFlight, held, backlogAgeMs,
        ready, starting, lastArrivalMs, DeadlineSlack.NONE, -1, -1, 0);
  }

  /** A model nobody has sent anything to. */
  public static Telemetry idle(String model, long atMs, long windowMs, int ready, int starting) {
    return new Telemetry(model, atMs, windowMs, 0, 0, 0, -1, 0, 0, 0, ready, starting, -1);
  }

  /** Reads the window of {@code stats} and adds the pool's instantaneous counts. */
  public static Telemetry of(
      String model,
      ArrivalStats stats,
      long nowMs,
      int inFlight,
      int held,
      long backlogAgeMs,
      int ready,
      int starting) {
    return new Telemetry(
        model,
        nowMs,
        stats.windowMs(),
        stats.arrivals(nowMs),
        stats.ratePerSecond(nowMs),
        stats.completions(nowMs),
        stats.meanLatencyMs(nowMs),
        inFlight,
        held,
        backlogAgeMs,
        ready,
        starting,
        stats.lastArrivalMs(),
        stats.deadlines(nowMs),
        stats.recentRatePerSecond(nowMs, RECENT_MS),
        stats.meanSlowdown(nowMs),
        stats.namedArrivals(nowMs));
  }
}
