package io.pickspin.sim.server;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * A non-streamed answer: it goes out when its generation would be over, that is after waiting for a batch slot and
 * then TTFT + TPOT x (tokens - 1). The slot is held for that whole time.
 */
final class DelayedResponse implements InFlight.Work {
  private final ModelRuntime model;
  private final long ttftNanos;
  private final int tokens;
  private final HttpResponse result;
  private final boolean injectedReset;
  private final PreciseTimer timer;
  private final InFlight inFlight;
  private final CompletableFuture<HttpResponse> response = new CompletableFuture<>();

  // guarded by this
  private CompletableFuture<Void> waiter;
  private boolean holdingSlot;
  private ScheduledFuture<?> pendingTimer;
  private boolean finished;

  /**
   * @param result what to answer when the time has come: the JSON body, or for an injected reset a connection abort
   */
  private DelayedResponse(ModelRuntime model, long ttftNanos, int tokens, HttpResponse result, boolean injectedReset,
      PreciseTimer timer, InFlight inFlight) {
    this.model = model;
    this.ttftNanos = ttftNanos;
    this.tokens = tokens;
    this.result = result;
    this.injectedReset = injectedReset;
    this.timer = timer;
    this.inFlight = inFlight;
  }

  /** @param ttftNanos the request's time to first token once it has a batch slot */
  static CompletionStage<HttpResponse> start(ModelRuntime model, long ttftNanos, int tokens, HttpResponse result,
      boolean injectedReset, PreciseTimer timer, InFlight inFlight) {
    DelayedResponse work = new DelayedResponse(model, ttftNanos, tokens, result, injectedReset, timer, inFlight);
    inFlight.add(work);
    CompletableFuture<Void> slot = model.slots.acquire();
    if (slot == null) {
      work.granted();
    } else {
      synchronized (work) {
        work.waiter = slot;
      }
      slot.thenRun(work::granted);
    }
    return work.response;
  }

  private void granted() {
    synchronized (this) {
      if (!finished) {
        waiter = null;
        holdingSlot = true;
        pendingTimer = timer.schedule(this::finish, model.generationNanos(ttftNanos, tokens));
        return;
      }
    }
    model.slots.release(); // aborted while it waited: pass the slot on
  }

  private void finish() {
    synchronized (this) {
      if (finished) return;
      finished = true;
    }
    inFlight.remove(this);
    model.slots.release();
    if (injectedReset) model.faulted.increment();
    else model.finished(tokens);
    response.complete(result);
  }

  @Override
  public void abort(Throwable cause) {
    boolean release;
    CompletableFuture<Void> slot;
    synchronized (this) {
      if (finished) return;
      finished = true;
      release = holdingSlot;
      slot = waiter;
      if (pendingTimer != null) pendingTimer.cancel(false);
    }
    inFlight.remove(this);
    // A waiter already handed a slot (cancel == false) runs granted(), sees finished and passes the slot on.
    if (release) model.slots.release();
    else if (slot != null) model.slots.cancel(slot);
    model.cancelled.increment();
    response.complete(Fault.abortConnection(cause.getMessage()));
  }
}
