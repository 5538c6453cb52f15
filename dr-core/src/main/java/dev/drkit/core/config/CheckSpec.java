package dev.drkit.core.config;

import dev.drkit.core.ConfigException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A health check as declared in a plan: a type plus its parameters. The type names either a
 * built-in check ({@code tcp}, {@code http}, {@code jdbc}, ... in dr-validation) or a check the host
 * registered under that name. Parameters are plain values (strings, numbers, booleans, lists, maps).
 *
 * @param type the check type or registered name, non-blank
 * @param params the parameters, copied and unmodifiable
 */
public record CheckSpec(String type, Map<String, Object> params) {

  /**
   * Validates and copies.
   *
   * @throws ConfigException naming {@code type} when blank
   */
  public CheckSpec {
    if (type == null || type.isBlank()) {
      throw new ConfigException("type", "a check needs a non-blank type");
    }
    Objects.requireNonNull(params, "params");
    params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
  }

  /**
   * @param type the check type or registered name
   * @return a spec without parameters
   */
  public static CheckSpec of(String type) {
    return new CheckSpec(type, Map.of());
  }

  /**
   * @param type the check type or registered name
   * @param params the parameters
   * @return the spec
   */
  public static CheckSpec of(String type, Map<String, Object> params) {
    return new CheckSpec(type, params);
  }

  /**
   * @param key a parameter name
   * @return the parameter as a string, or {@code null} when absent
   */
  public @Nullable String param(String key) {
    Object v = params.get(key);
    return v == null ? null : v.toString();
  }
}
