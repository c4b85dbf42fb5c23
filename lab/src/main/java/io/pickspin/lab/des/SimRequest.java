package io.pickspin.lab.des;

import io.pickspin.lab.train.LabelledPrompt;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleBiFunction;

/**
 * One request of a simulated run: the trace's arrival time and token lengths, a real benchmark prompt (which the
 * routers classify and whose answer the answer model grades) and a latency deadline.
 *
 * @param deadlineMs the latency budget, end to end, that decides whether an answer came in time
 */
public record SimRequest(int id, double atMs, LabelledPrompt prompt, int inputTokens, int outputTokens, double deadlineMs) {

  /** Deadline slack factors, drawn uniformly (as the RL environment's deadline-slack). */
  public static final double[] DEADLINE_SLACK = {1.5, 2.5, 5.0};

  /**
   * Joins a trace with prompts drawn uniformly (with replacement) and deadlines of slack x the request's idle latency on
   * the reference (largest) model: a budget that grows with the answer's length, met by the large model unless it
   * queues or is cold.
   */
  public static List<SimRequest> stream(Trace trace, List<LabelledPrompt> prompts, ToDoubleBiFunction<Integer, Integer> idleReferenceMs, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<SimRequest> out = new ArrayList<>(trace.requests().size());
    int id = 0;
    for (Trace.Request r : trace.requests()) {
      LabelledPrompt p = prompts.get(rng.nextInt(prompts.size()));
      double slack = DEADLINE_SLACK[rng.nextInt(DEADLINE_SLACK.length)];
      double deadline = slack * idleReferenceMs.applyAsDouble(r.inputTokens(), r.outputTokens());
      out.add(new SimRequest(id++, r.atMs(), p, r.inputTokens(), r.outputTokens(), deadline));
    }
    return out;
  }
}
