package io.pickspin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The sweep on its own, with the clock given: what fires, when, and what is forgotten. */
class DeadlinesTest {
  private static final long MS = 1_000_000L;

  @Test
  void aDeadlineFiresOnceWhenItHasPassedAndNotBefore() {
    Deadlines deadlines = new Deadlines();
    AtomicInteger fired = new AtomicInteger();
    long now = System.nanoTime();
    deadlines.arm(Duration.ofMillis(100), fired::incrementAndGet);
    deadlines.sweep(now + 50 * MS);
    assertEquals(0, fired.get(), "not yet");
    deadlines.sweep(now + 150 * MS);
    deadlines.sweep(now + 250 * MS);
    assertEquals(1, fired.get(), "once");
    assertEquals(0, deadlines.size(), "a fired deadline is forgotten");
  }

  @Test
  void aDisarmedDeadlineNeverFiresAndIsForgotten() {
    Deadlines deadlines = new Deadlines();
    AtomicInteger fired = new AtomicInteger();
    long now = System.nanoTime();
    Deadlines.Deadline d = deadlines.arm(Duration.ofMillis(100), fired::incrementAndGet);
    assertTrue(d.disarm(), "disarmed before it fired");
    deadlines.sweep(now + 150 * MS);
    assertEquals(0, fired.get());
    assertEquals(0, deadlines.size());
  }

  @Test
  void aMovedDeadlineFiresAtItsNewTimeAndOneThatFiredCannotBeDisarmed() {
    Deadlines deadlines = new Deadlines();
    AtomicInteger fired = new AtomicInteger();
    long now = System.nanoTime();
    Deadlines.Deadline d = deadlines.arm(Duration.ofMillis(100), fired::incrementAndGet);
    d.moveTo(now + 300 * MS); // a chunk arrived: the idle deadline starts again
    deadlines.sweep(now + 150 * MS);
    assertEquals(0, fired.get());
    deadlines.sweep(now + 350 * MS);
    assertEquals(1, fired.get());
    assertFalse(d.disarm(), "its owner learns that it fired");
  }

  @Test
  void anExpiryThatThrowsDoesNotStopTheOthers() {
    Deadlines deadlines = new Deadlines();
    AtomicInteger fired = new AtomicInteger();
    long now = System.nanoTime();
    deadlines.arm(Duration.ofMillis(10), () -> {
      throw new IllegalStateException("broken owner");
    });
    deadlines.arm(Duration.ofMillis(10), fired::incrementAndGet);
    deadlines.sweep(now + 50 * MS);
    assertEquals(1, fired.get());
  }
}
