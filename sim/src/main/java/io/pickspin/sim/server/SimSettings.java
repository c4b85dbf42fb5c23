package io.pickspin.sim.server;

import com.typesafe.config.Config;

/** The {@code pickspin.sim} settings (documented in reference.conf). */
public record SimSettings(
    int defaultMaxTokens,
    int maxModelLen,
    double batchTpotSlope,
    long maxRequestBytes,
    long requestReadTimeoutMs,
    long faultResetGapNanos,
    long stopDeadlineMs,
    long prefixCacheTokens,
    int prefixBlockTokens) {

  static final String PATH = "pickspin.sim";

  /** Without a prefix cache. */
  public SimSettings(int defaultMaxTokens, int maxModelLen, double batchTpotSlope, long maxRequestBytes,
      long requestReadTimeoutMs, long faultResetGapNanos, long stopDeadlineMs) {
    this(defaultMaxTokens, maxModelLen, batchTpotSlope, maxRequestBytes, requestReadTimeoutMs, faultResetGapNanos,
        stopDeadlineMs, 0, io.pickspin.prefix.PromptBlocks.DEFAULT_BLOCK_TOKENS);
  }

  public SimSettings {
    if (defaultMaxTokens < 1) throw new IllegalArgumentException(PATH + ".default-max-tokens must be >= 1");
    if (maxModelLen < 2) throw new IllegalArgumentException(PATH + ".max-model-len must be >= 2");
    if (batchTpotSlope < 0) throw new IllegalArgumentException(PATH + ".batch-tpot-slope must be >= 0");
    if (maxRequestBytes < 1) throw new IllegalArgumentException(PATH + ".max-request-bytes must be >= 1");
    if (prefixCacheTokens < 0) throw new IllegalArgumentException(PATH + ".prefix-cache.tokens must be >= 0");
    if (prefixBlockTokens < 1) throw new IllegalArgumentException(PATH + ".prefix-cache.block-tokens must be >= 1");
  }

  /** Reads the {@code pickspin.sim} block of {@code root}. */
  public static SimSettings fromConfig(Config root) {
    Config c = root.getConfig(PATH);
    return new SimSettings(
        c.getInt("default-max-tokens"),
        c.getInt("max-model-len"),
        c.getDouble("batch-tpot-slope"),
        c.getBytes("max-request-bytes"),
        c.getDuration("request-read-timeout").toMillis(),
        c.getDuration("fault-reset-gap").toNanos(),
        c.getDuration("stop-deadline").toMillis(),
        c.getLong("prefix-cache.tokens"),
        c.getInt("prefix-cache.block-tokens"));
  }
}
