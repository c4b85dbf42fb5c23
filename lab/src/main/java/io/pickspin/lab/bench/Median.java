package io.pickspin.lab.bench;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** Medians over a benchmark's rounds. NaN values (nothing measured, e.g. no proxy for direct) are left out. */
final class Median {
  private Median() {}

  /** The median of the values that are not NaN (the mean of the middle two for an even count); NaN if none are. */
  static double of(double[] values) {
    double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
    if (v.length == 0) return Double.NaN;
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  static <T> double of(List<T> items, ToDoubleFunction<T> value) {
    return of(items.stream().mapToDouble(value).toArray());
  }
}
