package io.pickspin.chaos;

import java.time.LocalTime;
import java.time.temporal.ChronoUnit;

/** Progress lines on stderr for long runs. */
final class Progress {
  private Progress() {}

  static void say(String s) {
    System.err.println("[chaos " + LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + "] " + s);
  }
}
