package io.pickspin.routing.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pickspin.pool.PoolCore;
import io.pickspin.pool.PoolStatus;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteRequest;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.classify.KeywordClassifier;
import io.pickspin.scaling.driver.ReplicaPhase;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The state layout of a policy: replica features in the product's state, and old policy files read as they were written. */
class PolicyLayoutTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final RouterState.Layout REPLICAS = RouterState.Layout.LOAD_AND_REPLICAS;

  /**
   * A linear Q-function over the replica layout (per model inflight, queued, ready, starting: small 3-6, medium 7-10,
   * large 11-14): medium is worth 0.6 flat, large 0.3 + 0.5 x ready[large] (ready replicas / 4), small 0.
   */
  static DqnPolicy replicaPolicy() {
    int n = REPLICAS.size(3);
    float[] w = new float[3 * n];
    w[2 * n + 13] = 0.5f; // large: ready[large]
    QNetwork net = new QNetwork(List.of(TestPolicies.dense(n, 3, w, new float[] {0f, 0.6f, 0.3f})));
    return new DqnPolicy(TestPolicies.ACTIONS, new RouterState.Scales(20, 2000, 4, 4), 1500,
        new DqnPolicy.Reward("hard", 0.5), net, Map.of());
  }

  @Test
  void theProductSeesHowManyReplicasCarryTheSameRelativeLoad() {
    DqnPolicy p = replicaPolicy();
    assertEquals(REPLICAS, p.layout());
    PoolLoadBoard board = new PoolLoadBoard();
    RlRoutingPolicy r = new RlRoutingPolicy(RlRoutingPolicyTest.CATALOG, p, KeywordClassifier.paper(), board,
        new ArrivalRateEstimator(5000), new RlRoutingPolicyTest.MutableClock(), 0);
    RouteRequest prove = new RouteRequest("auto", "prove it", Profile.BALANCED, RouterKind.RL, 0);
    board.update("large", new PoolStateView.ModelLoad(8, 4, 2)); // half a batch in flight per replica
    assertEquals("medium", r.decide(prove).model()); // large 0.3 + 0.5 x 0.5 = 0.55 < 0.6
    board.update("large", new PoolStateView.ModelLoad(16, 8, 4)); // the same per replica, twice the replicas
    assertEquals("large", r.decide(prove).model()); // 0.3 + 0.5 x 1.0 = 0.8
  }

  @Test
  void aPoolStatusCountsItsStartingReplicas() {
    List<PoolStatus.ReplicaView> replicas = List.of(
        new PoolStatus.ReplicaView("a", ReplicaPhase.READY, PoolCore.Health.HEALTHY, true, 3, null),
        new PoolStatus.ReplicaView("b", ReplicaPhase.STARTING, PoolCore.Health.HEALTHY, false, 0, null),
        new PoolStatus.ReplicaView("c", ReplicaPhase.STARTING, PoolCore.Health.HEALTHY, false, 0, null));
    assertEquals(new PoolStateView.ModelLoad(3, 5, 1, 2), PoolStateView.ModelLoad.of(new PoolStatus("m", 3, 8, 3, 5, replicas)));
  }

  @Test
  void aPolicyFileNamesItsLayoutAndReadsBackTheSame() throws IOException {
    ObjectNode file = fileOf(replicaPolicy());
    assertEquals(DqnPolicy.FORMAT, file.get("format").asInt());
    assertEquals("load+replicas", file.get("layout").asText());
    assertEquals(REPLICAS.featureNames(List.of("small", "medium", "large")).size(), file.get("features").size());
    DqnPolicy back = read(file);
    assertEquals(REPLICAS, back.layout());
    assertEquals(4, back.scales().replicas());
  }

  /** What policy files looked like before the layout: format 1, no layout field, no replica scale. */
  static ObjectNode formatOne(DqnPolicy loadLayoutPolicy) throws IOException {
    ObjectNode file = fileOf(loadLayoutPolicy);
    file.put("format", 1);
    file.remove("layout");
    ((ObjectNode) file.get("scales")).remove("replicas");
    return file;
  }

  @Test
  void anOldFormatOneFileStillLoadsWithTheLoadLayout() throws IOException {
    DqnPolicy old = read(formatOne(RlRoutingPolicyTest.policy()));
    assertEquals(RouterState.Layout.LOAD, old.layout());
    assertEquals(0, old.scales().replicas());
    // and it routes as before: the load layout's indices (RlRoutingPolicyTest's hand-made network)
    RlRoutingPolicy r = new RlRoutingPolicy(RlRoutingPolicyTest.CATALOG, old, KeywordClassifier.paper(),
        m -> PoolStateView.ModelLoad.IDLE, new ArrivalRateEstimator(5000), new RlRoutingPolicyTest.MutableClock(), 0);
    assertEquals("large", r.decide(new RouteRequest("auto", "Prove that there are infinitely many primes",
        Profile.BALANCED, RouterKind.RL, 0)).model());
  }

  @Test
  void aFileWhoseFeaturesAreNotItsLayoutIsRefusedNotMisread() throws IOException {
    // format 1 with features in another order: no layout matches
    ObjectNode swapped = formatOne(RlRoutingPolicyTest.policy());
    ArrayNode f = (ArrayNode) swapped.get("features");
    String a = f.get(3).asText();
    f.set(3, f.get(4));
    f.set(4, JSON.getNodeFactory().textNode(a));
    IOException e = assertThrows(IOException.class, () -> read(swapped));
    assertTrue(e.getMessage().contains("no state layout"), e.getMessage());
    // format 2 that names the replica layout over the load layout's features
    ObjectNode mislabelled = fileOf(RlRoutingPolicyTest.policy());
    mislabelled.put("layout", "load+replicas");
    assertThrows(IOException.class, () -> read(mislabelled));
    // format 2 without a layout
    ObjectNode unnamed = fileOf(replicaPolicy());
    unnamed.remove("layout");
    assertThrows(IOException.class, () -> read(unnamed));
    // the replica layout without a replica scale
    ObjectNode noScale = fileOf(replicaPolicy());
    ((ObjectNode) noScale.get("scales")).remove("replicas");
    assertThrows(IOException.class, () -> read(noScale));
    // a network sized for the load layout in a file that names the replica layout's features
    ObjectNode wrongNet = fileOf(replicaPolicy());
    wrongNet.set("layers", fileOf(RlRoutingPolicyTest.policy()).get("layers"));
    assertThrows(IOException.class, () -> read(wrongNet));
  }

  @Test
  void aNetworkOfNoLayoutsSizeIsRefused() {
    int n = RouterState.Layout.LOAD.size(3) + 1;
    QNetwork net = new QNetwork(List.of(TestPolicies.dense(n, 3, new float[3 * n], new float[3])));
    assertThrows(IllegalArgumentException.class, () -> new DqnPolicy(TestPolicies.ACTIONS,
        new RouterState.Scales(20, 2000, 4, 4), 1500, new DqnPolicy.Reward("hard", 0.5), net, Map.of()));
  }

  static ObjectNode fileOf(DqnPolicy p) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.write(out);
    return (ObjectNode) JSON.readTree(out.toByteArray());
  }

  static DqnPolicy read(ObjectNode file) throws IOException {
    return DqnPolicy.read(new ByteArrayInputStream(JSON.writeValueAsBytes(file)));
  }
}
