package io.pickspin.http;

import io.pickspin.routing.Profile;
import io.pickspin.routing.RouterKind;
import io.pickspin.routing.RoutingSettings;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The profile and router a request gets when it names neither. Starts from configuration; the admin API switches it
 * at run time, and every request reads it once.
 */
public final class RoutingDefaults {
  public record Choice(Profile profile, RouterKind router) {
    public Choice {
      if (profile == null || router == null) throw new IllegalArgumentException("profile and router are required");
    }
  }

  private final AtomicReference<Choice> current;

  public RoutingDefaults(Profile profile, RouterKind router) {
    this.current = new AtomicReference<>(new Choice(profile, router));
  }

  /** The defaults of {@code pickspin.routing}: default-profile and default-router. */
  public static RoutingDefaults of(RoutingSettings settings) {
    return new RoutingDefaults(settings.defaultProfile(), settings.defaultRouter());
  }

  public Choice get() {
    return current.get();
  }

  /** Replaces the defaults and returns the previous ones. */
  public Choice set(Choice next) {
    return current.getAndSet(next);
  }
}
