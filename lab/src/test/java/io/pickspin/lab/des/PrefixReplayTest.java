package io.pickspin.lab.des;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pickspin.lab.train.PromptCorpus;
import io.pickspin.model.ModelSpec;
import io.pickspin.model.Tier;
import io.pickspin.pool.PoolSettings;
import io.pickspin.pool.ReplicaChoice;
import io.pickspin.prefix.PrefixCache;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PrefixReplayTest {
  static LatencyModel latency;
  static final LatencyModel.Deployment QWEN_32B_TP2 = new LatencyModel.Deployment(ModelArchitecture.QWEN_3_32B, "h100", 2);

  @BeforeAll
  static void fit() throws Exception {
    latency = LatencyCalibration.fit(PromptCorpus.sharedDir()).model();
  }

  @Test
  void aCachedPrefixIsNotPrefilledAgain() {
    EventQueue events = new EventQueue();
    double[] firstToken = new double[2];
    BatchingEngine<Integer> engine = new BatchingEngine<>(events, latency, QWEN_32B_TP2, 8, new BatchingEngine.Listener<>() {
      @Override
      public void firstToken(Integer request, double now) {
        firstToken[request] = now;
      }

      @Override
      public void finished(Integer request, double now) {}
    });
    events.at(0, () -> engine.enqueue(0, 8000, 0, 10));
    events.at(60_000, () -> engine.enqueue(1, 8000, 7500, 10));
    events.run();
    double cold = firstToken[0], warm = firstToken[1] - 60_000;
    assertTrue(warm < cold / 5, "500 of 8,000 tokens to prefill: " + warm + " ms against " + cold + " ms");
  }

  PrefixReplay.Result run(ReplicaChoice choice, double weight, PrefixWorkload w) {
    LatencyModel lm = latency.withNominalContext(8200);
    ModelSpec spec = new ModelSpec("qwen3-32b", Tier.HIGH, "q", 0.5, 2, 2.5, lm.profile(QWEN_32B_TP2, 7200, 1000), 0, 4, List.of());
    long blocks = PrefixCache.capacityBlocks(lm.kvCapacityBytes(QWEN_32B_TP2), QWEN_32B_TP2.arch().kvBytes(1), 512);
    PoolSettings ps = PoolSettings.fromConfig(ConfigFactory.load().getConfig("pickspin.pool"))
        .withReplicaChoice(choice, weight).withPrefixIndex(512, (int) blocks, Duration.ofMinutes(10)).withOversubscription(2);
    return new PrefixReplay(lm, QWEN_32B_TP2, spec, ps, 4, blocks, 512, Duration.ofSeconds(600), 1).run(w, w.durationMs() * 0.2);
  }

  @Test
  void prefixAwareChoiceKeepsSharedContextsWarmWhereLeastOutstandingScattersThem() {
    // 40 customers' 6,000-token contexts on 4 replicas, 2 requests a second
    PrefixWorkload w = PrefixWorkload.sharedContexts(40, 6000, 1200, 200, 2, 3, 512, 7);
    PrefixReplay.Result lo = run(ReplicaChoice.LEAST_OUTSTANDING, 0, w);
    PrefixReplay.Result ours = run(ReplicaChoice.PREFIX_AWARE, 2, w);
    assertEquals(lo.measured(), lo.completed());
    assertEquals(ours.measured(), ours.completed());
    // every request's context is 11 of its 14 blocks: at most 78% of prompt tokens can hit
    assertTrue(ours.hitRate() > 0.7, "prefix-aware hit rate " + ours.hitRate());
    assertTrue(lo.hitRate() < ours.hitRate() - 0.2, "least-outstanding " + lo.hitRate() + " vs " + ours.hitRate());
    assertTrue(ours.ttftMeanMs() < lo.ttftMeanMs(), ours.ttftMeanMs() + " vs " + lo.ttftMeanMs());
  }

  @Test
  void withoutSharedPrefixesPrefixAwareIsLeastOutstanding() {
    PrefixWorkload w = PrefixWorkload.sharedContexts(1_000_000, 0, 3000, 200, 2, 2, 512, 3);
    assertEquals(run(ReplicaChoice.LEAST_OUTSTANDING, 0, w), run(ReplicaChoice.PREFIX_AWARE, 2, w));
  }
}
