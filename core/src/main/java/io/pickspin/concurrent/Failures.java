package io.pickspin.concurrent;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Helpers for the failures that futures and completion stages report. */
public final class Failures {
  private Failures() {}

  /** The failure itself, with the {@link CompletionException}s and {@link ExecutionException}s around it peeled off. */
  public static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
    return t;
  }
}
