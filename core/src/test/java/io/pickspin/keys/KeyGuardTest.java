package io.pickspin.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pickspin.api.ApiError;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KeyGuardTest {
  /** A clock the test moves; starts 10 s into a minute. */
  static final class TestClock extends Clock {
    long ms = 1_000 * 60_000L + 10_000;

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(ms);
    }
  }

  private final TestClock clock = new TestClock();
  private final KeyGuard guard = new KeyGuard(clock);

  private static ApiKey key(String name, String secret, List<String> models, long rpm, long tpm, long budget) {
    return new ApiKey(name, ApiKeySecrets.hash(secret), models, rpm, tpm, budget, 0);
  }

  private static ApiError refused(int status, String code, Runnable r) {
    ApiError e = assertThrows(ApiError.class, r::run);
    assertEquals(status, e.status(), e.getMessage());
    assertEquals(code, e.code());
    return e;
  }

  @Test
  void secretsAreRandomAndOnlyTheirHashIsNeeded() {
    String a = ApiKeySecrets.newSecret();
    assertTrue(a.startsWith(ApiKeySecrets.PREFIX));
    assertNotEquals(a, ApiKeySecrets.newSecret());
    assertEquals(64, ApiKeySecrets.hash(a).length());
    assertEquals(ApiKeySecrets.hash(a), ApiKeySecrets.hash(a));
  }

  @Test
  void authenticatesKnownKeysAndRefusesMissingMalformedUnknownAndRevokedOnes() {
    ApiKey k = key("team-a", "sk-ps-secret-a", List.of("*"), 0, 0, 0);
    guard.setKeys(1, List.of(k));
    assertSame(k, guard.authenticate(Optional.of("Bearer sk-ps-secret-a")));
    refused(401, "invalid_api_key", () -> guard.authenticate(Optional.empty()));
    refused(401, "invalid_api_key", () -> guard.authenticate(Optional.of("Basic abc")));
    ApiError wrong = refused(401, "invalid_api_key", () -> guard.authenticate(Optional.of("Bearer sk-ps-wrong-secret")));
    assertTrue(!wrong.getMessage().contains("sk-ps-wrong-secret"), "the secret is not echoed whole");
    guard.remove("team-a");
    refused(401, "invalid_api_key", () -> guard.authenticate(Optional.of("Bearer sk-ps-secret-a")));
  }

  @Test
  void aModelOutsideTheKeysListIsForbidden() {
    ApiKey k = key("team-a", "s", List.of("small"), 0, 0, 0);
    KeyGuard.checkModel(k, "small");
    refused(403, "model_not_allowed", () -> KeyGuard.checkModel(k, "large"));
    KeyGuard.checkModel(key("all", "s", List.of("*"), 0, 0, 0), "large");
  }

  @Test
  void rpmRefusesTheRequestPastTheLimitWithRetryAfterAndFreesUpInTheNextMinutes() {
    ApiKey k = key("k", "s", List.of("*"), 3, 0, 0);
    guard.setKeys(1, List.of(k));
    for (int i = 0; i < 3; i++) guard.admit(k);
    ApiError e = refused(429, "rate_limit_exceeded", () -> guard.admit(k));
    assertTrue(e.retryAfterSeconds() >= 1 && e.retryAfterSeconds() <= 60, "retry after " + e.retryAfterSeconds());
    clock.ms += 2 * 60_000; // two minutes later the window is empty
    guard.admit(k);
  }

  @Test
  void tpmCountsTheTokensAnswersUsed() {
    ApiKey k = key("k", "s", List.of("*"), 0, 100, 0);
    guard.setKeys(1, List.of(k));
    guard.admit(k);
    guard.record("k", "small", 60, 50);
    ApiError e = refused(429, "rate_limit_exceeded", () -> guard.admit(k));
    assertEquals("tokens", e.type());
    assertTrue(e.retryAfterSeconds() >= 1);
  }

  @Test
  void theBudgetIsSpentByUsageAndCheckedOnItsOwnForFallbacks() {
    ApiKey k = key("k", "s", List.of("*"), 0, 0, 100);
    guard.setKeys(1, List.of(k));
    guard.admit(k);
    guard.record("k", "small", 30, 69);
    guard.checkQuota(k);
    guard.record("k", "small", 0, 1);
    refused(429, "insufficient_quota", () -> guard.checkQuota(k));
    refused(429, "insufficient_quota", () -> guard.admit(k));
  }

  @Test
  void streamedTokensAreTakenFromTheBudgetAsTheyGoOutAndCountOnceTheirUsageIsRecorded() {
    ApiKey k = key("k", "s", List.of("*"), 0, 0, 10);
    guard.setKeys(1, List.of(k));
    guard.record("k", "small", 4, 3);
    // a stream takes 2 of the 3 tokens left; its usage, once recorded, counts them once, not twice
    assertTrue(guard.takeStreamedToken(k));
    assertTrue(guard.takeStreamedToken(k));
    guard.record("k", "small", 0, 2, 2);
    guard.checkQuota(k);
    // two streams share the last token: the second gets none, and new requests are refused meanwhile
    assertTrue(guard.takeStreamedToken(k));
    assertFalse(guard.takeStreamedToken(k));
    refused(429, "insufficient_quota", () -> guard.admit(k));
    guard.record("k", "small", 0, 1, 1);
    assertEquals(new TokenUsage(3, 4, 6), guard.report().get("k").usage().get("small"));
    refused(429, "insufficient_quota", () -> guard.checkQuota(k));
    // a key without a budget takes streamed tokens without counting them
    ApiKey free = key("free", "f", List.of("*"), 0, 0, 0);
    guard.setKeys(2, List.of(k, free));
    assertTrue(guard.takeStreamedToken(free));
  }

  @Test
  void usageIsReportedOnceAndAgainOnlyWhenTheReportFailed() {
    ApiKey k = key("k", "s", List.of("*"), 0, 0, 100);
    guard.setKeys(1, List.of(k));
    guard.record("k", "small", 10, 20);
    Map<String, KeyReport> first = guard.report();
    assertEquals(new TokenUsage(1, 10, 20), first.get("k").usage().get("small"));
    guard.reportFailed();
    guard.record("k", "small", 1, 1);
    assertEquals(new TokenUsage(2, 11, 21), guard.report().get("k").usage().get("small"));
    // the store took it: 32 tokens stored, nothing left to report, and the budget counts them once
    guard.reported(1, null, Map.of("k", 32L), Map.of());
    assertTrue(guard.report().get("k").usage().isEmpty());
    guard.record("k", "small", 0, 67);
    guard.checkQuota(k);
    guard.record("k", "small", 0, 1);
    refused(429, "insufficient_quota", () -> guard.checkQuota(k));
  }

  @Test
  void otherNodesCountsAddToThisNodesOwn() {
    ApiKey k = key("k", "s", List.of("*"), 5, 0, 0);
    guard.setKeys(1, List.of(k));
    long minute = WindowCounts.minuteOf(clock.ms);
    WindowCounts others = new WindowCounts(minute, new WindowCounts.Pair(4, 0), WindowCounts.Pair.ZERO);
    guard.reported(1, null, Map.of("k", 0L), Map.of("k", others));
    guard.admit(k);
    refused(429, "rate_limit_exceeded", () -> guard.admit(k));
  }

  @Test
  void windowCountsMoveToThePreviousMinuteAndSumAcrossNodes() {
    WindowCounts a = new WindowCounts(10, new WindowCounts.Pair(3, 1), new WindowCounts.Pair(30, 10));
    assertEquals(new WindowCounts(11, new WindowCounts.Pair(0, 3), new WindowCounts.Pair(0, 30)), a.at(11));
    assertEquals(WindowCounts.Pair.ZERO, a.at(12).requests());
    WindowCounts b = new WindowCounts(11, new WindowCounts.Pair(2, 5), new WindowCounts.Pair(20, 50));
    assertEquals(new WindowCounts(11, new WindowCounts.Pair(2, 8), new WindowCounts.Pair(20, 80)), a.plus(b));
  }

  @Test
  void theKeyBookKeepsUsageByKeyAndModelAndDropsItWithTheKey() {
    KeyBook b = KeyBook.EMPTY.with(key("k", "s", List.of("*"), 0, 0, 0));
    b = b.plus(Map.of("k", Map.of("small", new TokenUsage(1, 2, 3)), "gone", Map.of("small", new TokenUsage(1, 1, 1))));
    b = b.plus(Map.of("k", Map.of("small", new TokenUsage(1, 2, 3), "large", new TokenUsage(1, 0, 4))));
    assertEquals(new TokenUsage(2, 4, 6), b.usageOf("k").get("small"));
    assertEquals(14, b.totalOf("k").tokens());
    assertTrue(b.usageOf("gone").isEmpty());
    assertEquals(1, b.version());
    KeyBook revoked = b.without("k");
    assertEquals(2, revoked.version());
    assertTrue(revoked.usageOf("k").isEmpty());
  }
}
