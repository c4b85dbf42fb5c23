package io.pickspin.lab.train;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pickspin.model.Catalog;
import io.pickspin.routing.classify.DjlTierClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the offline routing programs (grid search, benchmark) share: catalogue, classifier and the data split. */
public final class DemoSetup {
  private DemoSetup() {}

  /** Where the catalogue comes from when no file is given: the node's configuration, on the classpath. */
  public static final String DEFAULT_CATALOG = "the node's application.conf (cluster/src/main/resources, on the classpath)";

  /**
   * Reads {@code pickspin.models} from a HOCON file, or with {@code hocon} null from the node's application.conf on the
   * classpath (the lab depends on the cluster module).
   */
  public static Catalog catalog(Path hocon) {
    Config c;
    if (hocon == null) {
      c = ConfigFactory.parseResources("application.conf").resolve();
      if (!c.hasPath("pickspin.models")) throw new IllegalStateException("no pickspin.models in application.conf on the classpath");
    } else {
      if (!Files.isRegularFile(hocon)) throw new IllegalArgumentException("catalogue file not found: " + hocon.toAbsolutePath());
      c = ConfigFactory.parseFile(hocon.toFile()).resolve();
    }
    // only the backend kinds matter offline: in-process sim backends (port 0) get a placeholder URL
    Config placeholder = ConfigFactory.parseString("base-url = \"http://127.0.0.1:0\"");
    List<Config> models = new ArrayList<>();
    for (Config m : c.getConfigList("pickspin.models")) {
      if (m.hasPath("backends")) {
        List<Object> bs = new ArrayList<>();
        for (Config b : m.getConfigList("backends")) bs.add(b.withFallback(placeholder).root().unwrapped());
        m = m.withValue("backends", ConfigValueFactory.fromIterable(bs));
      }
      models.add(m);
    }
    return Catalog.fromConfig(models);
  }

  /** The shipped classifier (classpath) or the one in a directory. */
  public static DjlTierClassifier classifier(Path dir) throws IOException {
    return dir == null ? DjlTierClassifier.fromClasspath(DjlTierClassifier.DEFAULT_RESOURCE) : DjlTierClassifier.fromDirectory(dir);
  }

  /** The split the classifier was trained with, rebuilt from its metadata (label rule and seed). */
  public static PromptCorpus.Split split(DjlTierClassifier c, Path shared) throws IOException {
    Map<String, Object> t = c.metadata().training();
    PromptCorpus.Rule rule = PromptCorpus.Rule.valueOf(String.valueOf(t.getOrDefault("labelRule", "difficulty")).toUpperCase(Locale.ROOT));
    long seed = ((Number) t.getOrDefault("seed", TrainClassifier.DEFAULT_SEED)).longValue();
    return PromptCorpus.split(PromptCorpus.load(shared, rule), seed, TrainClassifier.TEST_FRACTION, TrainClassifier.VALIDATION_FRACTION);
  }
}
