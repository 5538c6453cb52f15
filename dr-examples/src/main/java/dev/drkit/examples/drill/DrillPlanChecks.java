package dev.drkit.examples.drill;

import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Validates the checks of a drill plan when it is loaded: the example's own checks
 * ({@link #OWN_CHECKS}) are registered by {@link OrdersDrill#register} only once the drill has
 * started its sites, so a plan may name them before any registry knows them (they take no
 * parameters but {@code name}); every other check is validated against dr-validation's check types
 * as usual ({@link CheckSpecValidator#discovered()}), so a misspelt parameter fails at load time.
 */
public final class DrillPlanChecks {
  /** The names {@link OrdersDrill#register} registers checks under. */
  public static final Set<String> OWN_CHECKS = Set.of("orders-http", "orders-integrity", "orders-synthetic",
      "orders-health");

  private DrillPlanChecks() {}

  /** @return the validator for drill plans */
  public static CheckSpecValidator validator() {
    return spec -> {
      if (!OWN_CHECKS.contains(spec.type())) {
        CheckSpecValidator.discovered().validate(spec);
        return;
      }
      List<ConfigException.Problem> problems = new ArrayList<>();
      for (String k : spec.params().keySet()) {
        if (!k.equals("name")) {
          problems.add(ConfigException.Problem.of("params." + k, "unknown parameter: '" + spec.type()
              + "' is one of the example's own checks and takes no parameters"));
        }
      }
      if (!problems.isEmpty()) {
        throw new ConfigException(problems);
      }
    };
  }
}
