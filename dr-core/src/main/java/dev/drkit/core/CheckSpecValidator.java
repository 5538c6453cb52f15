package dev.drkit.core;

/**
 * Validates a {@link CheckSpec} when a plan is loaded, so that an unknown check type or a missing
 * parameter is reported with the file's line and column. dr-validation's check registry provides
 * one that knows the built-in types and the host's registered checks.
 */
@FunctionalInterface
public interface CheckSpecValidator {
  /**
   * @param spec the check as declared
   * @throws ConfigException with paths relative to the check ({@code type}, {@code params.port})
   *     when the spec is invalid
   */
  void validate(CheckSpec spec);

  /** @return a validator that accepts every spec */
  static CheckSpecValidator acceptAll() {
    return spec -> {};
  }
}
