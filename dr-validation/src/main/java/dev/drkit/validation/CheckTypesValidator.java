package dev.drkit.validation;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.CheckSpecValidator;

/**
 * The {@link CheckSpecValidator} dr-validation registers with {@link java.util.ServiceLoader}, so
 * that {@link CheckSpecValidator#discovered()} (the default of {@code RecoveryConfig.Builder},
 * {@code RecoveryPlan.Builder} and {@code PlanLoader}) checks every check as soon as dr-validation
 * is on the class path: its type must be a built-in type or a type or check registered on a
 * {@link CheckRegistry} still in use, and its parameters must be ones that type reads, well typed
 * and in range; a misspelt type or parameter gets a "did you mean" hint. The DataSources and other
 * resources a check names are not required to be registered yet; validate with
 * {@link CheckRegistry#specValidator()} for that.
 *
 * <p>Stateless and thread-safe; hosts do not need to create one.
 */
public final class CheckTypesValidator implements CheckSpecValidator {
  /** Creates the validator (called by {@link java.util.ServiceLoader}). */
  public CheckTypesValidator() {}

  /**
   * @param spec the check as declared
   * @throws dev.drkit.core.ConfigException naming each problem ({@code type}, {@code params.urll})
   */
  @Override
  public void validate(CheckSpec spec) {
    CheckRegistry.validateShape(spec);
  }
}
