package io.pickspin.routing.rl;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pickspin.model.Tier;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained best-effort routing policy: which models it chooses between (its actions), how it scales the state
 * ({@link RouterState}), and the Q-network weights. Written by the trainer as JSON ("policy file"), loaded by the
 * product from the classpath or a file. Immutable and thread-safe.
 *
 * @param actions the candidate models in Q-network output order
 * @param layout which features the state has ({@link RouterState.Layout}); the policy file names it
 * @param scales the state normalisation used in training
 * @param defaultDeadlineMs the deadline assumed for a request that carries none
 * @param reward how training rewarded a decision (documentation; inference does not need it)
 * @param network the Q-network
 * @param training what produced the policy: settings, seed, final metrics (free-form, for humans)
 */
public record DqnPolicy(
    List<Action> actions,
    RouterState.Layout layout,
    RouterState.Scales scales,
    long defaultDeadlineMs,
    Reward reward,
    QNetwork network,
    Map<String, Object> training) {
  /** Format 2 names its state layout; format 1 (no layout field) is read by its feature names. */
  public static final int FORMAT = 2;

  /**
   * One action: route to this model.
   *
   * @param model the model id used in training
   * @param tier its tier: the product maps the action to the catalogue's model of this tier when the id is absent
   * @param maxBatch its batch size in training (the load features are scaled by the live catalogue's value)
   */
  public record Action(String model, Tier tier, int maxBatch) {}

  /**
   * The training reward: the task utility of the chosen model when the request meets its deadline; when it is late,
   * {@code -latePenalty} in hard mode, and the utility scaled by {@code max(0, 1 - lateness / deadline)} in soft mode.
   */
  public record Reward(String mode, double latePenalty) {
    public static final String HARD = "hard";
    public static final String SOFT = "soft";

    public Reward {
      if (!HARD.equals(mode) && !SOFT.equals(mode))
        throw new IllegalArgumentException("reward mode must be hard or soft, got " + mode);
      if (latePenalty < 0) throw new IllegalArgumentException("late penalty must be >= 0");
    }

    /** The reward of a request served by a model of utility {@code utility} after {@code latencyMs}. */
    public double of(double utility, double latencyMs, double deadlineMs) {
      if (latencyMs <= deadlineMs) return utility;
      if (HARD.equals(mode)) return -latePenalty;
      return utility * Math.max(0, 1 - (latencyMs - deadlineMs) / deadlineMs);
    }
  }

  public DqnPolicy {
    actions = List.copyOf(actions);
    training = training == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(training));
    if (actions.isEmpty()) throw new IllegalArgumentException("a policy needs at least one action");
    if (network.outputSize() != actions.size())
      throw new IllegalArgumentException("network has " + network.outputSize() + " outputs for " + actions.size() + " actions");
    if (network.inputSize() != layout.size(actions.size()))
      throw new IllegalArgumentException("network has " + network.inputSize() + " inputs, the " + layout.fileName()
          + " state of " + actions.size() + " models has " + layout.size(actions.size()));
    scales.requireFor(layout);
    if (defaultDeadlineMs <= 0) throw new IllegalArgumentException("default deadline must be > 0 ms");
  }

  /** A policy whose state layout is the one of its network's input size (the layouts' sizes differ). */
  public DqnPolicy(
      List<Action> actions,
      RouterState.Scales scales,
      long defaultDeadlineMs,
      Reward reward,
      QNetwork network,
      Map<String, Object> training) {
    this(actions, RouterState.Layout.ofSize(network.inputSize(), actions.size()), scales, defaultDeadlineMs, reward,
        network, training);
  }

  public List<String> models() {
    return actions.stream().map(Action::model).toList();
  }

  public float[] qValues(float[] state) {
    return network.forward(state);
  }

  // ---- the policy file ----

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @JsonIgnoreProperties(ignoreUnknown = true)
  record FileLayer(int in, int out, float[] weight, float[] bias) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record File(
      int format,
      String kind,
      List<Action> actions,
      String layout,
      List<String> features,
      RouterState.Scales scales,
      long defaultDeadlineMs,
      Reward reward,
      List<FileLayer> layers,
      Map<String, Object> training) {}

  public void write(OutputStream out) throws IOException {
    List<FileLayer> layers = new ArrayList<>();
    for (QNetwork.Dense d : network.layers()) layers.add(new FileLayer(d.in(), d.out(), d.weight(), d.bias()));
    JSON.writeValue(out, new File(FORMAT, "double-dqn", actions, layout.fileName(), layout.featureNames(models()),
        scales, defaultDeadlineMs, reward, layers, new LinkedHashMap<>(training)));
  }

  /** Writes the policy file atomically (a temp file renamed over the target). */
  public void write(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      write(out);
    }
    try { // temp files are private; a policy file is not
      Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: keep the default
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Reads a policy file. Its state layout is the one it names (format 2) or, in a format-1 file, the one its feature
   * names spell (those files all have the load layout); a file whose features do not spell its layout exactly is
   * refused rather than read with another layout.
   */
  public static DqnPolicy read(InputStream in) throws IOException {
    File f = JSON.readValue(in, File.class);
    if (f.format() != 1 && f.format() != FORMAT)
      throw new IOException("unsupported RL policy file format " + f.format() + ", expected 1 or " + FORMAT);
    if (f.layers() == null || f.actions() == null || f.scales() == null || f.reward() == null)
      throw new IOException("RL policy file lacks actions, scales, reward or layers");
    if (f.features() == null) throw new IOException("RL policy file lacks the names of its state features");
    List<QNetwork.Dense> layers = new ArrayList<>();
    for (FileLayer l : f.layers()) layers.add(new QNetwork.Dense(l.in(), l.out(), l.weight(), l.bias()));
    try {
      List<String> models = f.actions().stream().map(Action::model).toList();
      RouterState.Layout layout;
      if (f.format() == 1) {
        if (f.layout() != null) throw new IllegalArgumentException("a format-1 file names no layout");
        layout = RouterState.Layout.ofFeatures(f.features(), models);
      } else {
        if (f.layout() == null) throw new IllegalArgumentException("a format-" + FORMAT + " file must name its state layout");
        layout = RouterState.Layout.named(f.layout());
        if (!layout.featureNames(models).equals(f.features()))
          throw new IllegalArgumentException("its features " + f.features() + " are not those of the " + f.layout()
              + " layout " + layout.featureNames(models));
      }
      return new DqnPolicy(f.actions(), layout, f.scales(), f.defaultDeadlineMs(), f.reward(), new QNetwork(layers),
          f.training());
    } catch (IllegalArgumentException e) {
      throw new IOException("inconsistent RL policy file: " + e.getMessage(), e);
    }
  }

  public static DqnPolicy read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in);
    }
  }

  public static DqnPolicy fromClasspath(String resource) throws IOException {
    ClassLoader cl = DqnPolicy.class.getClassLoader();
    try (InputStream in = cl.getResourceAsStream(resource)) {
      if (in == null) throw new IOException("RL policy resource '" + resource + "' is not on the classpath");
      return read(in);
    }
  }
}
