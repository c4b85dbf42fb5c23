package io.pickspin.time;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/**
 * A UTC {@link Clock} that reads its time from a supplier of epoch milliseconds: the simulator's virtual time, or a
 * test's hand-moved time. Production classes take a Clock, so the same code runs in real and virtual time.
 */
public class MillisClock extends Clock {
  private final LongSupplier millis;

  public MillisClock(LongSupplier millis) {
    this.millis = millis;
  }

  @Override
  public long millis() {
    return millis.getAsLong();
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
