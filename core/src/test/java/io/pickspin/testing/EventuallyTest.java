package io.pickspin.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventuallyTest {
  @Test
  void returnsTheFirstValueThatSatisfiesTheCondition() throws Exception {
    AtomicInteger n = new AtomicInteger();
    assertEquals(3, Eventually.awaitValue("n >= 3", Duration.ofSeconds(5), n::incrementAndGet, v -> v >= 3));
  }

  @Test
  void failsAfterTheTimeoutNamingWhatAndTheLastValue() {
    AssertionError e = assertThrows(AssertionError.class,
        () -> Eventually.awaitEquals("the answer", Duration.ofMillis(100), 42, () -> 7));
    assertTrue(e.getMessage().contains("the answer") && e.getMessage().contains("last: 7"), e.getMessage());
  }
}
