package io.pickspin.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Polls a condition until it holds or a timeout passes; the one wait helper of every module's tests. */
public final class Eventually {
  private static final long POLL_MS = 20;

  private Eventually() {}

  /** Waits until {@code condition} holds; fails with {@code what} after {@code timeout}. */
  public static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    awaitValue(what, timeout, condition::getAsBoolean, held -> held);
  }

  /** Waits until {@code actual} equals {@code expected}; the failure shows the last value seen. */
  public static <T> void awaitEquals(String what, Duration timeout, T expected, Supplier<T> actual)
      throws InterruptedException {
    awaitValue(what + ": expected " + expected, timeout, actual, v -> Objects.equals(expected, v));
  }

  /** Waits until a value of {@code value} satisfies {@code done} and returns it; the failure shows the last one. */
  public static <T> T awaitValue(String what, Duration timeout, Supplier<T> value, Predicate<T> done)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = value.get();
    while (!done.test(last)) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what + " (last: " + last + ")");
      Thread.sleep(POLL_MS);
      last = value.get();
    }
    return last;
  }
}
