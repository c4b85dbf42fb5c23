package io.pickspin.keys;

import io.pickspin.CborSerializable;
import java.util.Map;

/**
 * What a gateway node tells the key store about one key: its own counts in the rate window, and the usage it
 * recorded since its last acknowledged report (by model), which the store adds to the key's lifetime usage.
 */
public record KeyReport(WindowCounts window, Map<String, TokenUsage> usage) implements CborSerializable {
  public KeyReport {
    usage = Map.copyOf(usage);
  }
}
