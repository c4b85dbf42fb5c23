package io.pickspin.lab.des;

import io.pickspin.lab.train.LabelledPrompt;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleBiFunction;

/**
 * The requests of one simulated run: a warm-up prefix (the trace's last minutes, replayed before it, so that the
 * scaler and queues start in the state the trace's own load leaves them in, as for a deployment that has been
 * running) followed by the measured trace. Requests before {@code measureFromMs}, and GPU time before it, are not
 * counted.
 */
public record ReplayStream(String trace, List<SimRequest> requests, double measureFromMs) {
  public ReplayStream {
    requests = List.copyOf(requests);
  }

  /** No warm-up: everything is measured. */
  public static ReplayStream of(String trace, List<SimRequest> requests) {
    return new ReplayStream(trace, requests, 0);
  }

  /**
   * @param warmupMs length of the warm-up prefix taken from the end of the trace (0 for none)
   * @param idleReferenceMs idle latency of the reference model for (input, output) tokens, for deadlines
   */
  public static ReplayStream build(Trace trace, double warmupMs, List<LabelledPrompt> prompts,
      ToDoubleBiFunction<Integer, Integer> idleReferenceMs, long seed) {
    double w = Math.max(0, Math.min(warmupMs, trace.durationMs()));
    double cut = trace.durationMs() - w;
    List<Trace.Request> all = new ArrayList<>();
    for (Trace.Request r : trace.requests()) if (r.atMs() >= cut) all.add(new Trace.Request(r.atMs() - cut, r.inputTokens(), r.outputTokens()));
    for (Trace.Request r : trace.requests()) all.add(new Trace.Request(r.atMs() + w, r.inputTokens(), r.outputTokens()));
    Trace shifted = new Trace(trace.name(), trace.description(), all, trace.durationMs() + w);
    return new ReplayStream(trace.name(), SimRequest.stream(shifted, prompts, idleReferenceMs, seed), w);
  }

  /**
   * The requests of [fromMs, toMs) of a trace, measured, after a warm-up of the {@code warmupMs} of the trace before
   * {@code fromMs} (the deployment has been running), or, for a window at the trace's start, of the window's own last
   * {@code warmupMs} (as {@link #build} does for a whole trace).
   */
  public static ReplayStream window(Trace trace, double fromMs, double toMs, double warmupMs, List<LabelledPrompt> prompts,
      ToDoubleBiFunction<Integer, Integer> idleReferenceMs, long seed) {
    Trace w = trace.window(fromMs, toMs);
    double warm = Math.max(0, Math.min(warmupMs, fromMs));
    if (warm <= 0) return build(w, warmupMs, prompts, idleReferenceMs, seed);
    List<Trace.Request> all = new ArrayList<>();
    for (Trace.Request r : trace.requests()) {
      if (r.atMs() >= fromMs - warm && r.atMs() < toMs) all.add(new Trace.Request(r.atMs() - (fromMs - warm), r.inputTokens(), r.outputTokens()));
    }
    Trace shifted = new Trace(w.name(), w.description(), all, w.durationMs() + warm);
    return new ReplayStream(trace.name(), SimRequest.stream(shifted, prompts, idleReferenceMs, seed), warm);
  }

  /** The same warm-up boundary over a subset of the requests. */
  public ReplayStream subset(List<SimRequest> some) {
    return new ReplayStream(trace, some, measureFromMs);
  }

  public int measured() {
    int n = 0;
    for (SimRequest r : requests) if (r.atMs() >= measureFromMs) n++;
    return n;
  }
}
