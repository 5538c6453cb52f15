/**
 * drkit's validation: checks, the failure detector and data-integrity comparison. Provides the
 * {@link dev.drkit.core.config.CheckSpecValidator} that dr-core finds through {@link java.util.ServiceLoader}.
 * {@code dev.drkit.validation.internal} is not exported.
 */
module dev.drkit.validation {
  exports dev.drkit.validation;
  exports dev.drkit.validation.checks;
  exports dev.drkit.validation.integrity;

  requires transitive dev.drkit.core;
  requires transitive java.sql;
  requires java.net.http;
  requires static transitive org.jspecify;
  requires org.slf4j;
  requires transitive dev.failsafe.core;
  requires com.github.benmanes.caffeine;

  provides dev.drkit.core.config.CheckSpecValidator with dev.drkit.validation.CheckTypesValidator;
}
