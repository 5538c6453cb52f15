package dev.drkit.core.spi;

import java.util.Objects;

/**
 * A value with the version a {@link StateStore} holds it at. Versions start at 1 and grow by one
 * with every successful compare-and-set; {@code 0} means "absent".
 *
 * @param value what is stored
 * @param version its version, {@code >= 1}
 * @param <T> the value's type
 */
public record Versioned<T>(T value, long version) {
  /** Validates. */
  public Versioned {
    Objects.requireNonNull(value, "value");
    if (version < 1) {
      throw new IllegalArgumentException("version must be >= 1 but was " + version);
    }
  }
}
