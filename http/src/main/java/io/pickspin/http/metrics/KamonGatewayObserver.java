package io.pickspin.http.metrics;

import io.pickspin.http.GatewayObserver;
import io.pickspin.model.Tier;
import io.pickspin.routing.Profile;
import io.pickspin.routing.RouteDecision;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Timer;
import kamon.tag.TagSet;

/**
 * Request metrics from the gateway's hooks. Instruments are looked up once per label combination, so a request costs a
 * map lookup and an atomic add per series.
 *
 * <ul>
 *   <li>{@code pickspin_requests_total{model,tier,profile,outcome}}
 *   <li>{@code pickspin_route_latency_seconds{router}}
 *   <li>{@code pickspin_ttft_seconds{model}}, {@code pickspin_request_duration_seconds{model}}
 *   <li>{@code pickspin_held_requests_total{model}}, {@code pickspin_hold_seconds{model}}
 *   <li>{@code pickspin_tokens_total{model,kind}}: tokens the answers' usage reported, kind {@code prompt} or
 *       {@code completion}
 *   <li>{@code pickspin_classifier_fallbacks_total}: requests routed by the keyword router because the classifier's
 *       threads were saturated
 * </ul>
 */
public final class KamonGatewayObserver implements GatewayObserver {
  /** The profile label of a request that never got as far as a profile (e.g. rejected before routing). */
  public static final String UNKNOWN_PROFILE = "unknown";

  private final Map<List<String>, Counter> requests = new ConcurrentHashMap<>();
  private final Map<String, Timer> routeLatency = new ConcurrentHashMap<>();
  private final Map<String, Timer> ttft = new ConcurrentHashMap<>();
  private final Map<String, Timer> duration = new ConcurrentHashMap<>();
  private final Map<String, Counter> held = new ConcurrentHashMap<>();
  private final Map<String, Timer> hold = new ConcurrentHashMap<>();
  private final Map<String, Counter[]> tokens = new ConcurrentHashMap<>();
  private final Counter classifierFallbacks = Kamon.counter("pickspin.classifier.fallbacks").withoutTags();
  private final Map<String, Counter> spills = new ConcurrentHashMap<>();

  @Override
  public void routed(RouteDecision decision, long routeNanos) {
    instrument(routeLatency, routerLabel(decision.router()), r -> Kamon.timer("pickspin.route.latency").withTag("router", r))
        .record(routeNanos);
  }

  @Override
  public void finished(String model, Tier tier, Outcome outcome, long latencyNanos, long ttftNanos) {
    record(model, tier, UNKNOWN_PROFILE, outcome, latencyNanos, ttftNanos);
  }

  @Override
  public void finished(String model, Tier tier, Profile profile, Outcome outcome, long latencyNanos, long ttftNanos) {
    record(model, tier, profile == null ? UNKNOWN_PROFILE : profile.wireName(), outcome, latencyNanos, ttftNanos);
  }

  private void record(String model, Tier tier, String profile, Outcome outcome, long latencyNanos, long ttftNanos) {
    List<String> key = List.of(model, tier.name().toLowerCase(Locale.ROOT), profile, outcome.label());
    instrument(
            requests,
            key,
            k ->
                Kamon.counter("pickspin.requests")
                    .withTags(
                        TagSet.builder()
                            .add("model", k.get(0))
                            .add("tier", k.get(1))
                            .add("profile", k.get(2))
                            .add("outcome", k.get(3))
                            .build()))
        .increment();
    // a request refused before routing has no model whose latency it could describe
    if ("none".equals(model)) return;
    instrument(duration, model, m -> Kamon.timer("pickspin.request.duration").withTag("model", m)).record(latencyNanos);
    if (ttftNanos >= 0) instrument(ttft, model, m -> Kamon.timer("pickspin.ttft").withTag("model", m)).record(ttftNanos);
  }

  @Override
  public void held(String model, long holdNanos) {
    instrument(held, model, m -> Kamon.counter("pickspin.held.requests").withTag("model", m)).increment();
    instrument(hold, model, m -> Kamon.timer("pickspin.hold").withTag("model", m)).record(holdNanos);
  }

  @Override
  public void tokens(String model, long promptTokens, long completionTokens) {
    Counter[] c =
        instrument(
            tokens,
            model,
            m ->
                new Counter[] {
                  Kamon.counter("pickspin.tokens").withTags(TagSet.builder().add("model", m).add("kind", "prompt").build()),
                  Kamon.counter("pickspin.tokens").withTags(TagSet.builder().add("model", m).add("kind", "completion").build())
                });
    if (promptTokens > 0) c[0].increment(promptTokens);
    if (completionTokens > 0) c[1].increment(completionTokens);
  }

  @Override
  public void classifierFallback() {
    classifierFallbacks.increment();
  }

  @Override
  public void spilled(String from, String to) {
    spills.computeIfAbsent(from + "\n" + to, k -> Kamon.counter("pickspin.spills").withTag("from", from).withTag("to", to))
        .increment();
  }

  /**
   * The router family of a decision's router field: "hybrid/keyword" is hybrid, "rl->hybrid/..." is rl,
   * "classifier-unavailable/keyword" is classifier, "explicit" (a named model) stays explicit.
   */
  static String routerLabel(String router) {
    if (router == null || router.isEmpty()) return "unknown";
    int end = 0;
    while (end < router.length() && Character.isLetter(router.charAt(end))) end++;
    return end == 0 ? "unknown" : router.substring(0, end).toLowerCase(Locale.ROOT);
  }

  private static <K, I> I instrument(Map<K, I> cache, K key, Function<K, I> create) {
    I i = cache.get(key);
    return i != null ? i : cache.computeIfAbsent(key, create);
  }
}
