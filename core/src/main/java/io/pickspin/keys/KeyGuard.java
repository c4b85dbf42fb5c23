package io.pickspin.keys;

import io.pickspin.api.ApiError;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A gateway node's view of the API keys and their limits: it authenticates requests, admits them against the key's
 * rpm, tpm and lifetime budget, and counts what they used.
 *
 * <p>Limits hold across nodes by usage aggregation: each node counts its own requests and tokens per key and reports
 * them to the cluster's key store every sync interval; the store answers with the other nodes' counts and the key's
 * lifetime usage, which this node adds to its own. So a node sees its own traffic at once and the others' one sync
 * late: the cluster can overshoot a limit by what the other nodes admitted within about one sync interval (plus the
 * tokens of plain answers already running, whose usage is only known when they end). A streamed answer's tokens count
 * against the node's view of the budget as they go out, and the answer ends when the budget does. A node that cannot
 * reach the store keeps its last view and goes on counting its own traffic.
 */
public final class KeyGuard {
  private final Clock clock;
  /** Keys by the hash of their secret; replaced whole on every change. */
  private volatile Map<String, ApiKey> byHash = Map.of();
  private volatile long version = -1;
  private final Map<String, Meter> meters = new ConcurrentHashMap<>();

  public KeyGuard(Clock clock) {
    this.clock = clock;
  }

  /** One key's counts on this node; guarded by itself. */
  private static final class Meter {
    final RateWindow requests = new RateWindow();
    final RateWindow tokens = new RateWindow();
    WindowCounts others = WindowCounts.NONE;
    /** Lifetime tokens as the store last answered (including this node's acknowledged reports). */
    long storedTokens;
    Map<String, TokenUsage> unreported = new HashMap<>();
    Map<String, TokenUsage> reporting = new HashMap<>();
    /** Tokens of answers still streaming, taken from the budget as they went out; their usage is not recorded yet. */
    long streaming;

    long usedTokens() {
      long t = storedTokens + streaming;
      for (TokenUsage u : unreported.values()) t += u.tokens();
      for (TokenUsage u : reporting.values()) t += u.tokens();
      return t;
    }
  }

  // ---- the request path

  /**
   * The key an {@code Authorization: Bearer <secret>} header names.
   *
   * @throws ApiError 401 {@code invalid_api_key} when the header is missing, malformed, or names no key
   */
  public ApiKey authenticate(Optional<String> authorization) {
    String h = authorization.map(String::trim).orElse("");
    if (h.isEmpty()) {
      throw unauthorized("You didn't provide an API key. Send 'Authorization: Bearer <key>'; keys are made through the admin API (POST /admin/keys).");
    }
    if (h.length() < 8 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw unauthorized("The Authorization header must be 'Bearer <key>'.");
    }
    String secret = h.substring(7).trim();
    ApiKey key = byHash.get(ApiKeySecrets.hash(secret));
    if (key == null) throw unauthorized("Incorrect API key provided: " + masked(secret) + ".");
    return key;
  }

  /**
   * Admits a request of {@code key}: its lifetime budget must have tokens left, and the request must fit its rpm and
   * its tpm (the tokens of the last minute). An admitted request counts against the rpm at once.
   *
   * @throws ApiError 429 {@code insufficient_quota} when the budget is spent, 429 {@code rate_limit_exceeded} with a
   *     Retry-After when over the rpm or the tpm
   */
  public void admit(ApiKey key) {
    long now = clock.millis();
    long minute = WindowCounts.minuteOf(now);
    Meter m = meter(key.name());
    synchronized (m) {
      checkQuota(key, m);
      WindowCounts others = m.others.at(minute);
      if (key.rpm() > 0) {
        WindowCounts.Pair r = m.requests.counts(now).plus(others.requests());
        if (RateWindow.estimate(r.current(), r.previous(), now) + 1 > key.rpm()) {
          throw rateLimited(
              "requests", "Rate limit reached for key " + key.name() + ": " + key.rpm() + " requests per minute.",
              RateWindow.secondsUntilBelow(key.rpm(), r.current(), r.previous(), now));
        }
      }
      if (key.tpm() > 0) {
        WindowCounts.Pair t = m.tokens.counts(now).plus(others.tokens());
        if (RateWindow.estimate(t.current(), t.previous(), now) >= key.tpm()) {
          throw rateLimited(
              "tokens", "Rate limit reached for key " + key.name() + ": " + key.tpm() + " tokens per minute.",
              RateWindow.secondsUntilBelow(key.tpm(), t.current(), t.previous(), now));
        }
      }
      m.requests.add(1, now);
    }
  }

  /**
   * Checks the key's lifetime budget only: before every fallback model, so that a request cannot spend past it by
   * moving on to another model.
   *
   * @throws ApiError 429 {@code insufficient_quota}
   */
  public void checkQuota(ApiKey key) {
    Meter m = meter(key.name());
    synchronized (m) {
      checkQuota(key, m);
    }
  }

  private static void checkQuota(ApiKey key, Meter m) {
    if (key.maxTokensTotal() > 0 && m.usedTokens() >= key.maxTokensTotal()) throw budgetSpent(key);
  }

  /** The error of a key whose lifetime budget is spent: 429 {@code insufficient_quota}. */
  public static ApiError budgetSpent(ApiKey key) {
    return new ApiError(
        429, "insufficient_quota", "insufficient_quota", null,
        "Key " + key.name() + " has used its budget of " + key.maxTokensTotal() + " tokens (max_tokens_total).", 0);
  }

  /**
   * Takes one token of a streamed answer from the key's lifetime budget as it goes out, before the answer's usage is
   * known, so that an answer stops where the budget does and concurrent streams of the key share what is left. The
   * tokens taken count until the answer's usage is recorded ({@link #record(String, String, long, long, long)}).
   *
   * @return false, and nothing taken, when the budget has no token left
   */
  public boolean takeStreamedToken(ApiKey key) {
    if (key.maxTokensTotal() <= 0) return true;
    Meter m = meter(key.name());
    synchronized (m) {
      if (m.usedTokens() >= key.maxTokensTotal()) return false;
      m.streaming++;
      return true;
    }
  }

  /** @throws ApiError 403 {@code model_not_allowed} when the key may not use {@code model} */
  public static void checkModel(ApiKey key, String model) {
    if (!key.allows(model)) {
      throw new ApiError(
          403, "permission_error", "model_not_allowed", "model",
          "Key " + key.name() + " may not use model '" + model + "' (it may use: " + String.join(", ", key.models()) + ").", 0);
    }
  }

  /** Counts one answered request of {@code keyName} by {@code model} and the tokens its usage reported. */
  public void record(String keyName, String model, long promptTokens, long completionTokens) {
    record(keyName, model, promptTokens, completionTokens, 0);
  }

  /**
   * As {@link #record(String, String, long, long)}, for a streamed answer that took {@code streamedTokens} from the
   * budget as it went out ({@link #takeStreamedToken}): its usage counts them now.
   */
  public void record(String keyName, String model, long promptTokens, long completionTokens, long streamedTokens) {
    long now = clock.millis();
    Meter m = meter(keyName);
    synchronized (m) {
      m.streaming = Math.max(0, m.streaming - streamedTokens);
      m.tokens.add(promptTokens + completionTokens, now);
      m.unreported.merge(model, new TokenUsage(1, promptTokens, completionTokens), TokenUsage::plus);
    }
  }

  // ---- the sync with the key store

  /** The key list's version this node has; -1 before the first answer of the store. */
  public long version() {
    return version;
  }

  /** This node's report for the store: every key's window counts and unreported usage, now marked as being reported. */
  public Map<String, KeyReport> report() {
    long now = clock.millis();
    long minute = WindowCounts.minuteOf(now);
    Map<String, KeyReport> out = new HashMap<>();
    meters.forEach(
        (name, m) -> {
          synchronized (m) {
            m.unreported.forEach((model, u) -> m.reporting.merge(model, u, TokenUsage::plus));
            m.unreported = new HashMap<>();
            out.put(name, new KeyReport(new WindowCounts(minute, m.requests.counts(now), m.tokens.counts(now)), m.reporting));
          }
        });
    return out;
  }

  /** The store did not take the last report: its usage is reported again next time. */
  public void reportFailed() {
    meters.values().forEach(
        m -> {
          synchronized (m) {
            m.reporting.forEach((model, u) -> m.unreported.merge(model, u, TokenUsage::plus));
            m.reporting = new HashMap<>();
          }
        });
  }

  /**
   * The store took the last report and answered.
   *
   * @param keys the key list at {@code keysVersion}, or null when it is the version this node has
   * @param storedTokens every key's lifetime tokens, this node's report included
   * @param others every key's window counts summed over the other nodes
   */
  public void reported(long keysVersion, List<ApiKey> keys, Map<String, Long> storedTokens, Map<String, WindowCounts> others) {
    if (keys != null) setKeys(keysVersion, keys);
    meters.forEach(
        (name, m) -> {
          synchronized (m) {
            m.reporting = new HashMap<>();
            m.storedTokens = storedTokens.getOrDefault(name, 0L);
            m.others = others.getOrDefault(name, WindowCounts.NONE);
          }
        });
    storedTokens.forEach(
        (name, t) -> {
          if (meters.containsKey(name) || byName(name) == null) return;
          Meter m = meter(name);
          synchronized (m) {
            m.storedTokens = t;
            m.others = others.getOrDefault(name, WindowCounts.NONE);
          }
        });
  }

  /** Replaces the key list; meters of keys no longer in it go. */
  public synchronized void setKeys(long newVersion, List<ApiKey> keys) {
    Map<String, ApiKey> h = new HashMap<>();
    for (ApiKey k : keys) h.put(k.hash(), k);
    byHash = Map.copyOf(h);
    version = newVersion;
    meters.keySet().removeIf(name -> keys.stream().noneMatch(k -> k.name().equals(name)));
  }

  /** A key made on this node: usable here at once, everywhere else after the next sync. */
  public synchronized void put(ApiKey key) {
    Map<String, ApiKey> h = new HashMap<>(byHash);
    h.values().removeIf(k -> k.name().equals(key.name()));
    h.put(key.hash(), key);
    byHash = Map.copyOf(h);
    meters.remove(key.name());
  }

  /** A key revoked on this node: refused here at once, everywhere else after the next sync. */
  public synchronized void remove(String name) {
    Map<String, ApiKey> h = new HashMap<>(byHash);
    h.values().removeIf(k -> k.name().equals(name));
    byHash = Map.copyOf(h);
    meters.remove(name);
  }

  /** Whether this node has a key of that name. */
  public boolean knows(String name) {
    return byName(name) != null;
  }

  private ApiKey byName(String name) {
    for (ApiKey k : byHash.values()) if (k.name().equals(name)) return k;
    return null;
  }

  private Meter meter(String name) {
    return meters.computeIfAbsent(name, n -> new Meter());
  }

  private static ApiError unauthorized(String message) {
    return new ApiError(401, "invalid_request_error", "invalid_api_key", null, message, 0);
  }

  private static ApiError rateLimited(String type, String message, int retryAfterSeconds) {
    return new ApiError(429, type, "rate_limit_exceeded", null, message, retryAfterSeconds);
  }

  /** The secret as OpenAI shows a wrong one: its start and end only. */
  private static String masked(String secret) {
    if (secret.length() <= 10) return "****";
    return secret.substring(0, 6) + "****" + secret.substring(secret.length() - 4);
  }
}
