package io.pickspin.settings;

import com.typesafe.config.ConfigException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/** How settings records report a bad value: as an IllegalArgumentException whose message says what and where. */
public final class SettingsErrors {
  private SettingsErrors() {}

  /**
   * Runs a parse of the setting or block {@code key} (its full path, e.g. {@code pickspin.gateway}) and names the key in
   * its error, unless the message already starts with it: typesafe config's own messages give only the path below the
   * block it was asked, and enum parsers do not know where their value came from.
   */
  public static <T> T naming(String key, Supplier<T> parse) {
    try {
      return parse.get();
    } catch (ConfigException | IllegalArgumentException e) {
      String message = String.valueOf(e.getMessage());
      if (e instanceof IllegalArgumentException iae && message.startsWith(key)) throw iae;
      throw new IllegalArgumentException(key + ": " + message, e);
    }
  }

  /**
   * The constant of {@code type} that {@code value} names, in any case and with '-' for '_' ("model-max" is
   * MODEL_MAX); otherwise an error that lists the names, e.g. "unknown driver 'docker', expected static, process or
   * kubernetes".
   *
   * @param what what the value is, for the error
   */
  public static <E extends Enum<E>> E oneOf(Class<E> type, String what, String value) {
    String name = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(name)) return e;
    }
    List<String> names =
        Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList();
    String expected =
        names.size() == 1
            ? names.get(0)
            : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    throw new IllegalArgumentException("unknown " + what + " '" + value + "', expected " + expected);
  }
}
