package io.pickspin.scaling;

import io.pickspin.time.MillisClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when a test moves it. Thread-safe. */
public final class ManualClock extends MillisClock {
  private final AtomicLong millis;

  public ManualClock(long startMs) {
    this(new AtomicLong(startMs));
  }

  private ManualClock(AtomicLong millis) {
    super(millis::get);
    this.millis = millis;
  }

  public void advance(Duration d) {
    millis.addAndGet(d.toMillis());
  }
}
