package io.pickspin.sim.server;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The server-sent events of one streamed answer, paced in real time: wait for a batch slot, token 1 after TTFT, each
 * next token TPOT later, then the end events. Token times are absolute deadlines (t1 = grant + TTFT, t(k+1) = t(k) +
 * TPOT), so timer lateness does not add up over a long answer. A slow reader delays only what it reads, not the
 * schedule. Cancelling (the client went away) gives the slot back at once.
 *
 * <p>With {@code resetAfter = k > 0} (0 = no fault) the stream emits k tokens, then fails when the next event would
 * be due (at least pickspin.sim.fault-reset-gap later), which makes Pekko HTTP abort the connection.
 */
final class TokenStream extends GraphStage<SourceShape<ByteString>> {
  private final Outlet<ByteString> out = Outlet.create("TokenStream.out");
  private final SourceShape<ByteString> shape = SourceShape.of(out);
  private final ModelRuntime model;
  private final Answer answer;
  private final long ttftNanos;
  private final int resetAfter;
  private final long resetGapNanos;
  private final PreciseTimer timer;
  private final InFlight inFlight;

  /** @param ttftNanos the request's time to first token once it has a batch slot */
  TokenStream(ModelRuntime model, Answer answer, long ttftNanos, int resetAfter, long resetGapNanos, PreciseTimer timer,
      InFlight inFlight) {
    this.model = model;
    this.answer = answer;
    this.ttftNanos = ttftNanos;
    this.resetAfter = resetAfter;
    this.resetGapNanos = resetGapNanos;
    this.timer = timer;
    this.inFlight = inFlight;
  }

  @Override
  public SourceShape<ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  private final class Logic extends GraphStageLogic implements InFlight.Work {
    private final int tokens = answer.tokens();
    private final AsyncCallback<Object> onGranted = createAsyncCallback(ignored -> granted());
    private final AsyncCallback<Object> onTimer = createAsyncCallback(ignored -> advance());
    private final AsyncCallback<Throwable> onAbort = createAsyncCallback(this::failStage);
    private final Runnable fireTimer = () -> onTimer.invoke(Boolean.TRUE);

    /** Tokens whose time has come, and tokens pushed downstream (due >= sent). */
    private int due;
    private int sent;
    private boolean ended;
    private boolean wasReset;
    private long nextDueNanos;
    private CompletableFuture<Void> waiter;
    private boolean holdingSlot;
    private ScheduledFuture<?> pendingTimer;

    Logic() {
      super(shape);
      setHandler(out, new AbstractOutHandler() {
        @Override
        public void onPull() {
          emit();
        }
      });
    }

    @Override
    public void preStart() {
      inFlight.add(this);
      waiter = model.slots.acquire();
      if (waiter == null) granted();
      else waiter.thenRun(() -> onGranted.invoke(Boolean.TRUE));
    }

    private void granted() {
      waiter = null;
      holdingSlot = true;
      nextDueNanos = System.nanoTime() + ttftNanos;
      advance();
    }

    /** Moves the schedule to now: marks due tokens, fails if the reset point has come, arms the next deadline. */
    private void advance() {
      pendingTimer = null;
      long now = System.nanoTime();
      while (due < tokens && nextDueNanos - now <= 0) {
        if (resetAfter > 0 && due == resetAfter) {
          reset();
          return;
        }
        due++;
        long step = model.tpotNanos();
        nextDueNanos += resetAfter > 0 && due == resetAfter ? Math.max(step, resetGapNanos) : step;
      }
      if (resetAfter == tokens && due == tokens && nextDueNanos - now <= 0) {
        reset(); // the failure takes the place of the end events
        return;
      }
      emit();
      if (due < tokens || resetAfter == tokens) pendingTimer = timer.schedule(fireTimer, nextDueNanos - now);
    }

    private void emit() {
      if (!isAvailable(out)) return;
      if (sent < due) {
        sent++;
        push(out, answer.tokenEvent(sent));
      } else if (sent == tokens && !ended && resetAfter != tokens) {
        ended = true;
        push(out, answer.endEvents());
        model.finished(tokens);
        completeStage();
      }
    }

    private void reset() {
      wasReset = true;
      model.faulted.increment();
      failStage(new Fault.Injected("x-sim-fault reset-mid-stream after " + sent + " tokens"));
    }

    @Override
    public void abort(Throwable cause) {
      onAbort.invoke(cause);
    }

    @Override
    public void postStop() {
      inFlight.remove(this);
      if (pendingTimer != null) pendingTimer.cancel(false);
      if (holdingSlot) model.slots.release();
      else if (waiter != null && !model.slots.cancel(waiter)) model.slots.release(); // handed over, never used
      if (!ended && !wasReset) model.cancelled.increment();
    }
  }
}
