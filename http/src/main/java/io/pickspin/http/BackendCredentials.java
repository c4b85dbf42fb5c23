package io.pickspin.http;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.HttpCredentials;

/**
 * The API keys backends need ({@code vllm --api-key}, a hosted OpenAI-compatible service), read once at start from the
 * environment variable ({@code api-key-env}) or the file ({@code api-key-file}, e.g. a mounted Kubernetes Secret) that
 * a backend entry of {@code pickspin.models} names, or that a model names for all its replicas (those a driver starts
 * included). Each is sent as {@code Authorization: Bearer} to that backend only. The keys stay on the gateway node:
 * they are not part of the catalogue, so never in cluster messages, the journal or a log ({@link #toString()} hides
 * them).
 */
public final class BackendCredentials {
  public static final BackendCredentials NONE = new BackendCredentials(Map.of(), Map.of());

  /** Headers by model, then backend id. */
  private final Map<String, Map<String, HttpHeader>> byBackend;
  /** Headers by model, for its backends without one of their own. */
  private final Map<String, HttpHeader> byModel;

  private BackendCredentials(Map<String, Map<String, HttpHeader>> byBackend, Map<String, HttpHeader> byModel) {
    this.byBackend = byBackend;
    this.byModel = byModel;
  }

  /** Reads the keys of {@code pickspin.models} from the process environment and files. */
  public static BackendCredentials fromConfig(List<? extends Config> models) {
    return fromConfig(models, System::getenv);
  }

  /**
   * @param env the environment variables
   * @throws IllegalArgumentException naming the model, backend and variable or file (never the key) when a named key is
   *     missing or empty
   */
  public static BackendCredentials fromConfig(List<? extends Config> models, Function<String, String> env) {
    Map<String, Map<String, HttpHeader>> byBackend = new HashMap<>();
    Map<String, HttpHeader> byModel = new HashMap<>();
    for (Config m : models) {
      String model = m.getString("id");
      key(m, env, "model " + model).ifPresent(h -> byModel.put(model, h));
      if (!m.hasPath("backends")) continue;
      int listed = 0;
      for (Config b : m.getConfigList("backends")) {
        String kind = b.hasPath("kind") ? b.getString("kind") : "vllm";
        String id = b.hasPath("id") ? b.getString("id") : kind + "-" + listed;
        listed++;
        key(b, env, "backend " + id + " of model " + model)
            .ifPresent(h -> byBackend.computeIfAbsent(model, x -> new HashMap<>()).put(id, h));
      }
    }
    return new BackendCredentials(Map.copyOf(byBackend), Map.copyOf(byModel));
  }

  private static Optional<HttpHeader> key(Config c, Function<String, String> env, String what) {
    String secret;
    if (c.hasPath("api-key-env")) {
      String var = c.getString("api-key-env");
      secret = env.apply(var);
      if (secret == null || secret.isBlank()) {
        throw new IllegalArgumentException(what + " names api-key-env " + var + ", which is not set or empty");
      }
    } else if (c.hasPath("api-key-file")) {
      Path file = Path.of(c.getString("api-key-file"));
      try {
        secret = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalArgumentException(what + " names api-key-file " + file + ", which cannot be read: " + e.getClass().getSimpleName());
      }
      if (secret.isBlank()) throw new IllegalArgumentException(what + " names api-key-file " + file + ", which is empty");
    } else {
      return Optional.empty();
    }
    return Optional.of(Authorization.create(HttpCredentials.createOAuth2BearerToken(secret.trim())));
  }

  /** The Authorization header for a backend of a model, or null when it needs none. */
  HttpHeader header(String model, String backendId) {
    Map<String, HttpHeader> m = byBackend.get(model);
    HttpHeader h = m == null ? null : m.get(backendId);
    return h != null ? h : byModel.get(model);
  }

  @Override
  public String toString() {
    return "BackendCredentials[" + byModel.size() + " models, " + byBackend.values().stream().mapToInt(Map::size).sum()
        + " backends, keys hidden]";
  }
}
