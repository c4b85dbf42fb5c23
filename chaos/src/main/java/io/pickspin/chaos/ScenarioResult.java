package io.pickspin.chaos;

import java.util.List;
import java.util.Map;

/**
 * What one fault did to the cluster, measured from the moment it was injected.
 *
 * @param singletonRecoveredMs fault to the supervisor singleton running with its recovered state, -1 when it did not
 *     have to move (or never recovered: see notes)
 * @param routingNormalMs fault to the first answered request after the last failed one (0: no request failed)
 * @param lost requests accepted and never answered within the client timeout: must be 0
 * @param singletonsAfter distinct nodes that started the singleton after the fault (more than 1 would be split brain)
 */
public record ScenarioResult(
    String name,
    String fault,
    long singletonRecoveredMs,
    long routingNormalMs,
    long sent,
    long answered,
    long rejected,
    long connectionFailed,
    long lost,
    long clientFailovers,
    long p99LatencyMs,
    Map<String, Integer> desiredBefore,
    Map<String, Integer> desiredAfter,
    int singletonsAfter,
    List<String> notes) {

  public long failed() {
    return rejected + connectionFailed;
  }
}
