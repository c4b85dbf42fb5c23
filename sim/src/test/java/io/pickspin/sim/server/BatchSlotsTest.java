package io.pickspin.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class BatchSlotsTest {

  @Test
  void grantsUpToCapacityThenQueuesFifo() {
    BatchSlots slots = new BatchSlots(2);
    assertNull(slots.acquire());
    assertNull(slots.acquire());
    CompletableFuture<Void> third = slots.acquire();
    CompletableFuture<Void> fourth = slots.acquire();
    assertNotNull(third);
    assertEquals(2, slots.busy());
    assertEquals(2, slots.waiting());

    slots.release();
    assertTrue(third.isDone(), "the oldest waiter gets the freed slot");
    assertFalse(fourth.isDone());
    assertEquals(2, slots.busy(), "a handed-over slot stays busy");

    slots.release();
    assertTrue(fourth.isDone());
    slots.release();
    slots.release();
    assertEquals(0, slots.busy());
    assertThrows(IllegalStateException.class, slots::release);
  }

  @Test
  void cancelledWaitersAreSkipped() {
    BatchSlots slots = new BatchSlots(1);
    assertNull(slots.acquire());
    CompletableFuture<Void> gone = slots.acquire();
    CompletableFuture<Void> next = slots.acquire();
    assertTrue(slots.cancel(gone));
    slots.release();
    assertFalse(gone.isDone());
    assertTrue(next.isDone());
    assertFalse(slots.cancel(next), "already handed a slot: the caller owns it");
    slots.release();
    assertEquals(0, slots.busy());
  }

  @Test
  void tpotGrowsWithTheBatchOnlyWhenASlopeIsSet() {
    var profile = new io.pickspin.model.LatencyProfile(0, 10, 4, 0);
    ModelRuntime flat = new ModelRuntime(new SimModel("flat", profile), 0.0, System.nanoTime());
    ModelRuntime sloped = new ModelRuntime(new SimModel("sloped", profile), 0.5, System.nanoTime());
    for (int i = 0; i < 3; i++) {
      flat.slots.acquire();
      sloped.slots.acquire();
    }
    assertEquals(10_000_000L, flat.tpotNanos());
    assertEquals(20_000_000L, sloped.tpotNanos(), "10 ms x (1 + 0.5 x (3 - 1))");
    assertEquals(9 * 20_000_000L, sloped.generationNanos(10), "TTFT 0 + 9 tokens at the grown TPOT");
  }
}
