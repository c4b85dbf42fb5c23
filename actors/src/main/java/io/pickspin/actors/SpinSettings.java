package io.pickspin.actors;

import static io.pickspin.settings.SettingsErrors.naming;

import com.typesafe.config.Config;
import io.pickspin.pool.PoolSettings;
import io.pickspin.routing.Profile;
import io.pickspin.scaling.ScalingSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings of "Spin" (pickspin-scaling.conf): the scaling loop ({@code pickspin.scaling}), the model pools
 * ({@code pickspin.pool}), and what the actors that run them add: where the supervisor singleton may run, when an
 * acquire is sent again, and how often each node reads every pool.
 *
 * @param singletonRole the cluster role whose members may host the scaling supervisor ("" = any member)
 * @param acquireResendInterval an acquire the pool has neither answered nor confirmed is sent once more after this
 * @param monitorInterval how often each node refreshes its view of every pool (status page, metrics, RL router)
 */
public record SpinSettings(
    ScalingSettings scaling,
    PoolSettings pool,
    String singletonRole,
    Duration acquireResendInterval,
    Duration monitorInterval) {

  public SpinSettings {
    Objects.requireNonNull(scaling, "scaling");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(singletonRole, "singletonRole");
    if (acquireResendInterval.toMillis() < 1)
      throw new IllegalArgumentException("pickspin.pool.acquire-resend-interval must be > 0");
    if (monitorInterval.toMillis() < 1) throw new IllegalArgumentException("pickspin.pool.monitor-interval must be > 0");
  }

  /**
   * Reads the {@code scaling} and {@code pool} blocks of {@code pickspin}; consolidation follows the default routing
   * profile ({@code pickspin.routing.default-profile}) when there is one.
   */
  public static SpinSettings fromConfig(Config pickspin) {
    Config scaling = naming("pickspin.scaling", () -> pickspin.getConfig("scaling"));
    Config pool = naming("pickspin.pool", () -> pickspin.getConfig("pool"));
    return new SpinSettings(
        naming("pickspin.scaling", () -> {
          ScalingSettings s = ScalingSettings.fromConfig(scaling);
          return pickspin.hasPath("routing.default-profile")
              ? s.forProfile(Profile.parse(pickspin.getString("routing.default-profile")))
              : s;
        }),
        naming("pickspin.pool", () -> PoolSettings.fromConfig(pool)),
        naming("pickspin.scaling.singleton-role", () -> scaling.getString("singleton-role")),
        naming("pickspin.pool.acquire-resend-interval", () -> pool.getDuration("acquire-resend-interval")),
        naming("pickspin.pool.monitor-interval", () -> pool.getDuration("monitor-interval")));
  }
}
