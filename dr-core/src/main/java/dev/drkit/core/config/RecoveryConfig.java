package dev.drkit.core.config;

import dev.drkit.core.ConfigException;
import dev.drkit.core.internal.config.CheckValidation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What one protected service must survive and how fast: its recovery point objective (how much
 * recent data may be lost), recovery time objective (how long it may be down), priority, the
 * services it depends on, and the validation steps that prove it recovered. Immutable; built with
 * {@link #builder(String)}.
 */
public final class RecoveryConfig {
  private final String name;
  private final Duration rpo;
  private final Duration rto;
  private final Priority priority;
  private final List<String> dependencies;
  private final List<ValidationStep> validation;

  private RecoveryConfig(Builder b) {
    this.name = Objects.requireNonNull(b.name, "name"); // build() checked it
    this.rpo = Objects.requireNonNull(b.rpo, "rpo"); // build() checked it
    this.rto = Objects.requireNonNull(b.rto, "rto"); // build() checked it
    this.priority = b.priority;
    this.dependencies = List.copyOf(b.dependencies);
    this.validation = List.copyOf(b.validation);
  }

  /**
   * @param name the service's name: letters, digits, {@code . _ -}, starting with a letter or digit
   * @return a builder with priority {@code medium}, no dependencies and no validation steps
   */
  public static Builder builder(@Nullable String name) {
    return new Builder(name);
  }

  /**
   * @param base a config to copy
   * @return a builder starting from {@code base}
   */
  public static Builder from(RecoveryConfig base) {
    Builder b = new Builder(base.name);
    b.rpo = base.rpo;
    b.rto = base.rto;
    b.priority = base.priority;
    b.dependencies.addAll(base.dependencies);
    b.validation.addAll(base.validation);
    return b;
  }

  /** @return the service's name, unique within a plan */
  public String name() {
    return name;
  }

  /** @return the recovery point objective: the most recent data the service may lose */
  public Duration rpo() {
    return rpo;
  }

  /** @return the recovery time objective: how long recovery may take */
  public Duration rto() {
    return rto;
  }

  /** @return the priority */
  public Priority priority() {
    return priority;
  }

  /** @return names of the services that must be recovered before this one */
  public List<String> dependencies() {
    return dependencies;
  }

  /** @return the validation steps, run in order */
  public List<ValidationStep> validation() {
    return validation;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RecoveryConfig c && name.equals(c.name) && rpo.equals(c.rpo) && rto.equals(c.rto)
        && priority == c.priority && dependencies.equals(c.dependencies) && validation.equals(c.validation);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, rpo, rto, priority, dependencies, validation);
  }

  @Override
  public String toString() {
    return "RecoveryConfig{name=" + name + ", rpo=" + rpo + ", rto=" + rto + ", priority="
        + priority.configName() + ", dependencies=" + dependencies + ", validation=" + validation.size()
        + " steps}";
  }

  /** Builds a {@link RecoveryConfig}; not thread-safe. */
  public static final class Builder {
    private final @Nullable String name;
    private @Nullable Duration rpo;
    private @Nullable Duration rto;
    private Priority priority = Priority.MEDIUM;
    private final Set<String> dependencies = new LinkedHashSet<>();
    private final List<ValidationStep> validation = new ArrayList<>();
    private CheckSpecValidator checkValidator = CheckSpecValidator.discovered();

    private Builder(@Nullable String name) {
      this.name = name;
    }

    /**
     * @param rpo the recovery point objective; validated in {@link #build()} (must be positive)
     * @return this builder
     */
    public Builder rpo(@Nullable Duration rpo) {
      this.rpo = rpo;
      return this;
    }

    /**
     * @param rto the recovery time objective; validated in {@link #build()} (must be positive)
     * @return this builder
     */
    public Builder rto(@Nullable Duration rto) {
      this.rto = rto;
      return this;
    }

    /**
     * @param priority how early the service recovers within a wave of the plan (default {@code MEDIUM})
     * @return this builder
     * @throws NullPointerException when {@code priority} is null
     */
    public Builder priority(Priority priority) {
      this.priority = Objects.requireNonNull(priority, "priority");
      return this;
    }

    /**
     * @param names services this one depends on (duplicates are collapsed)
     * @return this builder
     */
    public Builder dependsOn(String... names) {
      for (String n : names) {
        dependencies.add(n);
      }
      return this;
    }

    /**
     * @param names services this one depends on, replacing any set before
     * @return this builder
     */
    public Builder dependencies(List<String> names) {
      dependencies.clear();
      dependencies.addAll(names);
      return this;
    }

    /**
     * @param step a validation step, appended
     * @return this builder
     */
    public Builder validation(ValidationStep step) {
      validation.add(Objects.requireNonNull(step, "step"));
      return this;
    }

    /**
     * @param steps the validation steps, replacing any set before
     * @return this builder
     */
    public Builder validation(List<ValidationStep> steps) {
      validation.clear();
      validation.addAll(steps);
      return this;
    }

    /**
     * Sets what checks every {@link CheckSpec} of the validation steps in {@link #build()}. The
     * default, {@link CheckSpecValidator#discovered()}, knows dr-validation's built-in check types
     * and the types registered on its {@code CheckRegistry} when dr-validation is on the class path;
     * pass {@code registry.specValidator()} to also require that every DataSource or other resource
     * a check names is registered, or {@link CheckSpecValidator#acceptAll()} to check nothing.
     *
     * @param validator the validator; not kept by the built config
     * @return this builder
     * @throws NullPointerException when {@code validator} is null
     */
    public Builder checkValidator(CheckSpecValidator validator) {
      this.checkValidator = Objects.requireNonNull(validator, "validator");
      return this;
    }

    /**
     * @return the config
     * @throws ConfigException naming every invalid field: a missing or malformed name, a missing,
     *     zero or negative {@code rpo} or {@code rto}, a blank or self dependency, a null step, two
     *     steps with one name, or a check the {@linkplain #checkValidator check validator} refuses
     *     (an unknown type or an unknown, missing or ill-typed parameter, with the service, the step
     *     and a "did you mean" hint in the message, at paths such as
     *     {@code validation[0].checks[1].params.urll})
     */
    public RecoveryConfig build() {
      List<ConfigException.Problem> problems = new ArrayList<>();
      if (name == null || name.isBlank()) {
        problems.add(ConfigException.Problem.of("name", "a service needs a name"));
      } else if (!Names.isValid(name)) {
        problems.add(ConfigException.Problem.of("name", "'" + name
            + "' is not a valid service name (letters, digits, '.', '_', '-'; starting with a letter or digit; at most 128)"));
      }
      positive(problems, "rpo", rpo);
      positive(problems, "rto", rto);
      int i = 0;
      for (String d : dependencies) {
        if (d == null || d.isBlank()) {
          problems.add(ConfigException.Problem.of("dependencies[" + i + "]", "must not be blank"));
        } else if (d.equals(name)) {
          problems.add(ConfigException.Problem.of("dependencies[" + i + "]",
              "a service cannot depend on itself: " + name + " -> " + name));
        }
        i++;
      }
      Set<String> stepNames = new LinkedHashSet<>();
      for (int s = 0; s < validation.size(); s++) {
        ValidationStep step = validation.get(s);
        if (step == null) {
          problems.add(ConfigException.Problem.of("validation[" + s + "]", "must not be null"));
        } else if (!stepNames.add(step.name())) {
          problems.add(ConfigException.Problem.of("validation[" + s + "].name",
              "duplicate validation step name '" + step.name() + "'"));
        }
      }
      problems.addAll(CheckValidation.problems(name == null ? "" : name, validation, checkValidator, ""));
      if (!problems.isEmpty()) {
        throw new ConfigException(problems);
      }
      return new RecoveryConfig(this);
    }

    private static void positive(List<ConfigException.Problem> problems, String field, @Nullable Duration d) {
      if (d == null) {
        problems.add(ConfigException.Problem.of(field, "is required"));
      } else if (d.isZero() || d.isNegative()) {
        problems.add(ConfigException.Problem.of(field, "must be positive but was " + d));
      }
    }
  }
}
