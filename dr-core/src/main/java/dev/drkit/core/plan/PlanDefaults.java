package dev.drkit.core.plan;

import dev.drkit.core.ConfigException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.config.Priority;
import dev.drkit.core.config.RetentionPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@code defaults} block of a plan: values every service (and each of its validation steps and
 * backup strategies) inherits unless it sets its own.
 *
 * @param rpo the default recovery point objective, {@code null} when every service must set one
 * @param rto the default recovery time objective, {@code null} when every service must set one
 * @param priority the default priority
 * @param validationThreshold the default fraction of checks a validation step needs, in {@code (0, 1]}
 * @param validationTimeout the default time a validation step's checks may take, positive
 * @param retention the default retention of backup strategies
 * @param encryption the default encryption of backup strategies, {@code null} when every strategy
 *     must set one
 */
public record PlanDefaults(@Nullable Duration rpo, @Nullable Duration rto, Priority priority,
    double validationThreshold, Duration validationTimeout, RetentionPolicy retention,
    @Nullable EncryptionConfig encryption) {

  /** The threshold used when neither the step nor the defaults set one: every check must pass. */
  public static final double BUILT_IN_THRESHOLD = 1.0;
  /** The validation timeout used when neither the step nor the defaults set one. */
  public static final Duration BUILT_IN_TIMEOUT = Duration.ofSeconds(30);

  private static final PlanDefaults BUILT_IN = new PlanDefaults(null, null, Priority.MEDIUM,
      BUILT_IN_THRESHOLD, BUILT_IN_TIMEOUT, RetentionPolicy.keepAll(), null);

  /**
   * Validates.
   *
   * @throws ConfigException naming each invalid field ({@code rpo}, {@code rto},
   *     {@code validation.threshold}, {@code validation.timeout})
   * @throws NullPointerException when {@code priority}, {@code validationTimeout} or
   *     {@code retention} is null
   */
  public PlanDefaults {
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(validationTimeout, "validationTimeout");
    Objects.requireNonNull(retention, "retention");
    List<ConfigException.Problem> problems = new ArrayList<>();
    if (rpo != null && (rpo.isZero() || rpo.isNegative())) {
      problems.add(ConfigException.Problem.of("rpo", "must be positive but was " + rpo));
    }
    if (rto != null && (rto.isZero() || rto.isNegative())) {
      problems.add(ConfigException.Problem.of("rto", "must be positive but was " + rto));
    }
    if (!(validationThreshold > 0.0 && validationThreshold <= 1.0)) {
      problems.add(ConfigException.Problem.of("validation.threshold",
          "must be in (0, 1] (the fraction of checks that must pass) but was " + validationThreshold));
    }
    if (validationTimeout.isZero() || validationTimeout.isNegative()) {
      problems.add(ConfigException.Problem.of("validation.timeout",
          "must be a positive duration but was " + validationTimeout));
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  /**
   * @return no default RPO, RTO or encryption; priority medium; threshold 1; a 30 second
   *     validation timeout; retention keep-all
   */
  public static PlanDefaults builtIn() {
    return BUILT_IN;
  }
}
