package io.pickspin.pool;

/** A lease could not be had. */
public final class PoolException extends RuntimeException {
  public enum Reason {
    /** The hold queue is full: retry after {@link #retryAfterSeconds()}. Maps to 429. */
    OVERLOADED,
    /** No replica became ready within the request's wait budget. Maps to 503. */
    TIMED_OUT,
    /** The model has no replica and cannot get one (max replicas 0, or every backend excluded). Maps to 503. */
    UNAVAILABLE
  }

  private final Reason reason;
  private final int retryAfterSeconds;

  public PoolException(Reason reason, String message, int retryAfterSeconds) {
    super(message, null, false, false);
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public Reason reason() {
    return reason;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
