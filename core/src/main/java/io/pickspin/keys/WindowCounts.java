package io.pickspin.keys;

import io.pickspin.CborSerializable;

/**
 * Requests and tokens of one key in a clock minute and the one before: what a gateway node reports to the key store
 * and what the store answers as the sum of the other nodes'.
 *
 * @param minute epoch minute the counts belong to
 */
public record WindowCounts(long minute, Pair requests, Pair tokens) implements CborSerializable {
  public static final WindowCounts NONE = new WindowCounts(0, Pair.ZERO, Pair.ZERO);

  /** A minute's count and the previous minute's. */
  public record Pair(long current, long previous) implements CborSerializable {
    public static final Pair ZERO = new Pair(0, 0);

    Pair at(long fromMinute, long toMinute) {
      if (toMinute == fromMinute) return this;
      if (toMinute == fromMinute + 1) return new Pair(0, current);
      return ZERO;
    }

    Pair plus(Pair o) {
      return new Pair(current + o.current, previous + o.previous);
    }
  }

  /** These counts seen from a later minute: the current minute's count becomes the previous one's, and so on. */
  public WindowCounts at(long toMinute) {
    if (toMinute == minute) return this;
    return new WindowCounts(toMinute, requests.at(minute, toMinute), tokens.at(minute, toMinute));
  }

  /** The sum of two nodes' counts, at the later of their minutes. */
  public WindowCounts plus(WindowCounts o) {
    long m = Math.max(minute, o.minute);
    WindowCounts a = at(m);
    WindowCounts b = o.at(m);
    return new WindowCounts(m, a.requests.plus(b.requests), a.tokens.plus(b.tokens));
  }

  public static long minuteOf(long epochMs) {
    return Math.floorDiv(epochMs, RateWindow.MINUTE_MS);
  }
}
