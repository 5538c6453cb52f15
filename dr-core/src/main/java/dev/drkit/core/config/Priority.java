package dev.drkit.core.config;

import dev.drkit.core.ConfigException;
import java.util.Locale;

/** How urgent a service's recovery is; higher priority recovers first within a dependency wave. */
public enum Priority {
  /** Recovered first. */
  CRITICAL,
  /** Recovered after critical services. */
  HIGH,
  /** The default. */
  MEDIUM,
  /** Recovered last. */
  LOW;

  /** @return the name used in plan files: {@code critical}, {@code high}, {@code medium}, {@code low} */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @param value {@code critical}, {@code high}, {@code medium} or {@code low} (any case)
   * @return the priority
   * @throws ConfigException naming field {@code priority} for any other value
   */
  public static Priority parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new ConfigException("priority",
          "must be one of critical, high, medium, low but was '" + value + "'");
    }
  }
}
