package io.pickspin.lab.rl;

import io.pickspin.routing.rl.DjlQNetwork;
import io.pickspin.routing.rl.QNetwork;
import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.typesafe.config.Config;
import java.util.List;
import java.util.Random;

/**
 * Double DQN (van Hasselt et al. 2016) with DJL on the CPU: an online and a target Q-network ({@link DjlQNetwork}),
 * experience replay ({@link ReplayBuffer}), a linearly decaying epsilon-greedy behaviour policy, Huber loss on
 * {@code Q(s,a)}, Adam, and a target network that copies the online parameters every {@code targetSyncEvery}
 * updates. The target of a transition is
 *
 * <pre>  y = r + gamma (1 - done) Q_target(s', argmax_a' Q_online(s', a'))</pre>
 *
 * (the online network chooses the next action, the target network values it, which removes the over-estimation of
 * plain DQN). Deterministic for a given seed: PyTorch's initialisation seed, and one {@link Random} for exploration
 * and replay sampling.
 *
 * <p>The environment drives it: {@link #act} per decision, {@link #remember} once a transition's reward and next state
 * are known, {@link #train} for a gradient update. Not thread-safe.
 */
public final class DoubleDqnTrainer implements AutoCloseable {

  /**
   * Hyperparameters.
   *
   * @param hidden widths of the hidden ReLU layers (two: the paper's "2-layer MLP")
   * @param learningStarts transitions in the replay buffer before the first update
   * @param epsilonDecaySteps {@link #act} calls over which epsilon falls linearly from start to end
   * @param gradientClip clip each gradient to [-clip, clip]; 0 = none
   * @param intraOpThreads PyTorch intra-op threads (process-wide); 0 = leave as is. One is fastest for tiny nets.
   */
  public record Settings(
      List<Integer> hidden,
      double gamma,
      double learningRate,
      int batchSize,
      int replayCapacity,
      int learningStarts,
      int targetSyncEvery,
      double huberDelta,
      double epsilonStart,
      double epsilonEnd,
      long epsilonDecaySteps,
      double gradientClip,
      long seed,
      int intraOpThreads) {
    public Settings {
      hidden = List.copyOf(hidden);
      if (hidden.isEmpty() || hidden.stream().anyMatch(h -> h < 1)) throw new IllegalArgumentException("hidden widths must be >= 1");
      if (gamma < 0 || gamma >= 1) throw new IllegalArgumentException("gamma must be in [0,1)");
      if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be > 0");
      if (batchSize < 1 || replayCapacity < batchSize) throw new IllegalArgumentException("need 1 <= batch <= replay capacity");
      if (targetSyncEvery < 1) throw new IllegalArgumentException("target sync period must be >= 1");
      if (!(huberDelta > 0)) throw new IllegalArgumentException("huber delta must be > 0");
      if (epsilonStart < epsilonEnd || epsilonEnd < 0 || epsilonStart > 1) throw new IllegalArgumentException("need 0 <= epsilon end <= start <= 1");
    }

    /** Reads {@code pickspin.routing.rl.training.dqn}. */
    public static Settings fromConfig(Config c) {
      return new Settings(
          c.getIntList("hidden"),
          c.getDouble("gamma"),
          c.getDouble("learning-rate"),
          c.getInt("batch-size"),
          c.getInt("replay-capacity"),
          c.getInt("learning-starts"),
          c.getInt("target-sync-every"),
          c.getDouble("huber-delta"),
          c.getDouble("epsilon-start"),
          c.getDouble("epsilon-end"),
          c.getLong("epsilon-decay-steps"),
          c.getDouble("gradient-clip"),
          c.getLong("seed"),
          c.getInt("intra-op-threads"));
    }

    public Settings withSeed(long s) {
      return new Settings(hidden, gamma, learningRate, batchSize, replayCapacity, learningStarts, targetSyncEvery,
          huberDelta, epsilonStart, epsilonEnd, epsilonDecaySteps, gradientClip, s, intraOpThreads);
    }
  }

  private final Settings settings;
  private final int stateSize;
  private final int actions;
  private final Model model;
  private final Trainer trainer;
  private final NDManager targetManager;
  private final SequentialBlock target;
  private final ReplayBuffer replay;
  private final Random rng;
  private long actSteps;
  private long updates;
  private double lastLoss = Double.NaN;

  public DoubleDqnTrainer(int stateSize, int actions, Settings settings) {
    if (stateSize < 1 || actions < 2) throw new IllegalArgumentException("need a state and at least two actions");
    this.settings = settings;
    this.stateSize = stateSize;
    this.actions = actions;
    Engine engine = Engine.getEngine("PyTorch");
    if (settings.intraOpThreads() > 0) JniUtils.setNumThreads(settings.intraOpThreads());
    engine.setRandomSeed((int) settings.seed());
    this.rng = new Random(settings.seed());
    this.replay = new ReplayBuffer(settings.replayCapacity(), stateSize);

    this.model = Model.newInstance("rl-router", Device.cpu(), "PyTorch");
    model.setBlock(DjlQNetwork.block(settings.hidden(), actions));
    Adam.Builder adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed((float) settings.learningRate()));
    if (settings.gradientClip() > 0) adam = adam.optClipGrad((float) settings.gradientClip());
    DefaultTrainingConfig cfg =
        new DefaultTrainingConfig(new HuberOnChosenAction((float) settings.huberDelta()))
            .optOptimizer(adam.build())
            .optDevices(new Device[] {Device.cpu()});
    this.trainer = model.newTrainer(cfg);
    trainer.initialize(new Shape(1, stateSize));

    this.targetManager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    this.target = DjlQNetwork.block(settings.hidden(), actions);
    DjlQNetwork.initialize(target, targetManager, stateSize);
    target.freezeParameters(true);
    syncTarget();
  }

  public Settings settings() {
    return settings;
  }

  /** Epsilon of the next {@link #act} call. */
  public double epsilon() {
    if (settings.epsilonDecaySteps() <= 0) return settings.epsilonEnd();
    double f = Math.min(1.0, (double) actSteps / settings.epsilonDecaySteps());
    return settings.epsilonStart() + f * (settings.epsilonEnd() - settings.epsilonStart());
  }

  /** Epsilon-greedy action for {@code state}; advances the epsilon schedule. */
  public int act(float[] state) {
    return explore() ? rng.nextInt(actions) : QNetwork.argMax(qValues(state));
  }

  /** As {@link #act(float[])} for a state whose Q-values ({@link #qValues}) the caller has already computed. */
  public int actOnQValues(float[] q) {
    return explore() ? rng.nextInt(actions) : QNetwork.argMax(q);
  }

  /** Whether this step explores (a random action); advances the epsilon schedule. */
  private boolean explore() {
    double eps = epsilon();
    actSteps++;
    return rng.nextDouble() < eps;
  }

  /** The online network's Q-values of one state. */
  public float[] qValues(float[] state) {
    return DjlQNetwork.forward(onlineBlock(), model.getNDManager(), state, 1);
  }

  public void remember(float[] state, int action, double reward, float[] nextState, boolean done) {
    replay.add(state, action, (float) reward, nextState, done);
  }

  /** One gradient update on a replay batch; returns its loss, or NaN while the buffer is still filling. */
  public double train() {
    if (replay.size() < Math.max(settings.learningStarts(), settings.batchSize())) return Double.NaN;
    ReplayBuffer.Batch b = replay.sample(settings.batchSize(), rng);
    float[] y = doubleDqnTargets(b);
    float[] mask = new float[b.n() * actions];
    for (int i = 0; i < b.n(); i++) mask[i * actions + b.actions()[i]] = 1f;
    double loss;
    try (NDManager m = model.getNDManager().newSubManager()) {
      NDArray x = m.create(b.states(), new Shape(b.n(), stateSize));
      NDList labels = new NDList(m.create(y), m.create(mask, new Shape(b.n(), actions)));
      try (GradientCollector gc = trainer.newGradientCollector()) {
        NDList q = trainer.forward(new NDList(x));
        NDArray l = trainer.getLoss().evaluate(labels, q);
        gc.backward(l);
        loss = l.getFloat();
      }
      trainer.step();
    }
    updates++;
    if (updates % settings.targetSyncEvery() == 0) syncTarget();
    lastLoss = loss;
    return loss;
  }

  /**
   * The Double-DQN regression targets of a batch: the online network picks {@code a* = argmax Q_online(s')}, the
   * target network values it.
   */
  float[] doubleDqnTargets(ReplayBuffer.Batch b) {
    float[] qOnline = DjlQNetwork.forward(onlineBlock(), model.getNDManager(), b.nextStates(), b.n());
    float[] qTarget = DjlQNetwork.forward(target, targetManager, b.nextStates(), b.n());
    float[] y = new float[b.n()];
    float[] row = new float[actions];
    for (int i = 0; i < b.n(); i++) {
      System.arraycopy(qOnline, i * actions, row, 0, actions);
      int best = QNetwork.argMax(row);
      y[i] = (float) (b.rewards()[i] + settings.gamma() * (1 - b.done()[i]) * qTarget[i * actions + best]);
    }
    return y;
  }

  /** Copies the online parameters into the target network. */
  public void syncTarget() {
    DjlQNetwork.copy(onlineBlock(), target);
  }

  /** Replaces both networks' weights (warm start from a saved policy, or a hand-made network in tests). */
  public void load(QNetwork online, QNetwork targetNet) {
    DjlQNetwork.load(onlineBlock(), online);
    DjlQNetwork.load(target, targetNet);
  }

  /** The online network's weights, for the policy file. */
  public QNetwork exportOnline() {
    return DjlQNetwork.export(onlineBlock());
  }

  public QNetwork exportTarget() {
    return DjlQNetwork.export(target);
  }

  public long updates() {
    return updates;
  }

  public long actSteps() {
    return actSteps;
  }

  public double lastLoss() {
    return lastLoss;
  }

  public int replaySize() {
    return replay.size();
  }

  private Block onlineBlock() {
    return model.getBlock();
  }

  @Override
  public void close() {
    trainer.close();
    model.close();
    targetManager.close();
  }

  /**
   * Huber loss on the Q-value of the action taken. Labels: the targets y (batch) and a one-hot mask of the taken
   * actions (batch x actions); prediction: Q(s, .) (batch x actions).
   */
  static final class HuberOnChosenAction extends Loss {
    private final float delta;

    HuberOnChosenAction(float delta) {
      super("HuberLoss");
      this.delta = delta;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
      NDArray q = predictions.singletonOrThrow().mul(labels.get(1)).sum(new int[] {1});
      NDArray err = q.sub(labels.get(0)).abs();
      NDArray quadratic = err.minimum(delta);
      // 0.5 q^2 + delta (|e| - q) with q = min(|e|, delta): quadratic near zero, linear beyond delta
      return quadratic.square().mul(0.5f).add(err.sub(quadratic).mul(delta)).mean();
    }
  }
}
