package io.pickspin.sim.des;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A {@link Clock} that reads the simulation's virtual time, for production classes that take a clock. */
final class VirtualClock extends Clock {
  private final EventQueue events;

  VirtualClock(EventQueue events) {
    this.events = events;
  }

  @Override
  public long millis() {
    return events.nowMs();
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
