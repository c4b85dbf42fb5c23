package io.pickspin.routing.rl;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The RL router's settings ({@code pickspin.routing.rl}).
 *
 * @param policyResource classpath resource of the shipped policy file
 * @param policyFile a policy file on disk that replaces the shipped one; empty = use the resource
 * @param defaultDeadlineMs deadline for requests that carry none; 0 = the policy's training deadline
 * @param rateTimeConstant memory of the arrival-rate estimate
 */
public record RlSettings(String policyResource, String policyFile, long defaultDeadlineMs, Duration rateTimeConstant) {
  public RlSettings {
    if (defaultDeadlineMs < 0) throw new IllegalArgumentException("pickspin.routing.rl.default-deadline-ms must be >= 0");
    if (rateTimeConstant.isZero() || rateTimeConstant.isNegative())
      throw new IllegalArgumentException("pickspin.routing.rl.rate-time-constant must be > 0");
  }

  public static RlSettings fromConfig(Config rl) {
    return new RlSettings(
        rl.getString("policy-resource"),
        rl.getString("policy-file"),
        rl.getLong("default-deadline-ms"),
        rl.getDuration("rate-time-constant"));
  }

  /** Loads the configured policy: the file when one is named, else the classpath resource. */
  public DqnPolicy loadPolicy() throws IOException {
    return policyFile.isBlank() ? DqnPolicy.fromClasspath(policyResource) : DqnPolicy.read(Path.of(policyFile));
  }
}
