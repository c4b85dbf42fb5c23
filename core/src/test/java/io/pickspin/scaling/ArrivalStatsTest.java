package io.pickspin.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ArrivalStatsTest {

  @Test
  void rateIsArrivalsOverTheWindowAndOldBucketsAgeOut() {
    ArrivalStats s = new ArrivalStats(Duration.ofSeconds(10), 10);
    for (int t = 0; t < 10; t++) for (int i = 0; i < 5; i++) s.recordArrival(t * 1000L + i * 100);
    // 50 arrivals in 10 s
    assertEquals(50, s.arrivals(9_999));
    assertEquals(5.0, s.ratePerSecond(9_999), 1e-9);
    // one second later the first second's 5 arrivals have left the window
    assertEquals(45, s.arrivals(10_000));
    assertEquals(0, s.arrivals(19_999 + 1000));
    assertEquals(9_400, s.lastArrivalMs());
  }

  @Test
  void meanLatencyCoversCompletionsInTheWindowOnly() {
    ArrivalStats s = new ArrivalStats(Duration.ofSeconds(4), 4);
    assertEquals(-1, s.meanLatencyMs(0), 0);
    s.recordCompletion(0, 1000);
    s.recordCompletion(3_000, 3000);
    assertEquals(2000, s.meanLatencyMs(3_500), 1e-9);
    assertEquals(3000, s.meanLatencyMs(4_100), 1e-9);
    assertEquals(1, s.completions(4_100));
  }

  @Test
  void aBucketReusedAfterAFullWindowStartsEmpty() {
    ArrivalStats s = new ArrivalStats(Duration.ofSeconds(2), 2);
    s.recordArrival(0);
    s.recordArrival(4_000); // same slot, two windows later
    assertEquals(1, s.arrivals(4_000));
  }
}
