package io.pickspin.sim.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pickspin.model.LatencyProfile;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StandInServersTest {
  static ModelSpec model(String id, double ttft, double tpot, int batch) {
    return new ModelSpec(id, Tier.LOW, id, 0.5, 1, 1, new LatencyProfile(ttft, tpot, batch, 0), 0, 4, List.of());
  }

  record Done(double at, boolean served, double latency) {}

  @Test
  void batchesUpToMaxBatchThenQueuesFifo() {
    StandInServers s = new StandInServers(List.of(model("a", 100, 10, 2)), new int[] {1}, 0);
    List<Done> done = new ArrayList<>();
    for (int i = 0; i < 3; i++) s.submit(0, 11, 1e9, (ok, lat) -> done.add(new Done(s.nowMs(), ok, lat)));
    assertEquals(2, s.inFlight(0));
    assertEquals(1, s.queued(0));
    s.runUntil(199);
    assertEquals(List.of(), done);
    s.runToEnd();
    // service 100 + 10 x 10 = 200 ms; the third starts when a slot frees at 200
    assertEquals(List.of(new Done(200, true, 200), new Done(200, true, 200), new Done(400, true, 400)), done);
    assertEquals(0, s.inFlight(0));
    assertEquals(0, s.queued(0));
  }

  @Test
  void timePerTokenGrowsWithTheBatch() {
    StandInServers s = new StandInServers(List.of(model("a", 100, 10, 4)), new int[] {1}, 0.5);
    List<Double> lat = new ArrayList<>();
    s.submit(0, 11, 1e9, (ok, l) -> lat.add(l));
    s.submit(0, 11, 1e9, (ok, l) -> lat.add(l));
    s.runToEnd();
    assertEquals(List.of(200.0, 250.0), lat); // second joins a batch of 2: tpot 10 x 1.5
  }

  @Test
  void waitingRequestsGiveUpAndFreeTheirPlace() {
    StandInServers s = new StandInServers(List.of(model("a", 100, 10, 1)), new int[] {1}, 0);
    List<Done> done = new ArrayList<>();
    s.submit(0, 11, 1e9, (ok, lat) -> done.add(new Done(s.nowMs(), ok, lat)));
    s.runUntil(50);
    s.submit(0, 11, 150, (ok, lat) -> done.add(new Done(s.nowMs(), ok, lat)));
    s.submit(0, 11, 1e9, (ok, lat) -> done.add(new Done(s.nowMs(), ok, lat)));
    assertEquals(2, s.queued(0));
    s.runUntil(160);
    assertEquals(List.of(new Done(150, false, 100)), done);
    assertEquals(1, s.queued(0));
    s.runToEnd();
    // the one that stayed starts at 200 and waited 150 of its 350 ms
    assertEquals(List.of(new Done(150, false, 100), new Done(200, true, 200), new Done(400, true, 350)), done);
  }

  @Test
  void spreadsOverReplicasAndRefusesModelsWithoutReplicas() {
    StandInServers s = new StandInServers(List.of(model("a", 100, 10, 2), model("b", 1, 1, 1)), new int[] {2, 0}, 0);
    for (int i = 0; i < 4; i++) s.submit(0, 1, 1e9, (ok, lat) -> {});
    assertEquals(4, s.inFlight(0));
    assertEquals(0, s.queued(0));
    boolean[] refused = {false};
    s.submit(1, 1, 1e9, (ok, lat) -> refused[0] = !ok);
    assertEquals(true, refused[0]);
    assertEquals(2, s.replicas(0));
  }
}
