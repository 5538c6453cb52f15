package dev.drkit.core.config;

import dev.drkit.core.ConfigException;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Validates a {@link CheckSpec} when a configuration is built or a plan is loaded, so that an
 * unknown check type or a missing, ill-typed or misspelt parameter is a {@link ConfigException}
 * before anything runs, not an {@code ERROR} result in the middle of a failover.
 *
 * <p>Where it is used: {@link RecoveryConfig.Builder#build()},
 * {@link dev.drkit.core.plan.RecoveryPlan.Builder#build()} and
 * {@link dev.drkit.core.plan.PlanLoader} all validate every check, by default with
 * {@link #discovered()}: the validators registered through {@link ServiceLoader} under
 * {@code META-INF/services/dev.drkit.core.config.CheckSpecValidator}. dr-validation registers one that
 * knows the built-in check types and every type or check registered on a live
 * {@code CheckRegistry}, so adding dr-validation to the class path is enough; with dr-core alone
 * nothing is registered and every check is accepted.
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

  /**
   * The validators registered through {@link ServiceLoader}, looked up once (with the class loader
   * that loaded dr-core): a spec is valid when every one of them accepts it, and their problems are
   * reported together. When none is registered (dr-core alone), every spec is accepted.
   *
   * @return the combined validator
   * @throws ServiceConfigurationError when a registered validator cannot be instantiated
   */
  static CheckSpecValidator discovered() {
    return dev.drkit.core.internal.config.DiscoveredCheckValidators.VALIDATOR;
  }
}
