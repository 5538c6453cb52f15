package dev.drkit.core.internal.config;

import dev.drkit.core.config.CheckSpec;
import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.ValidationStep;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link CheckSpecValidator} over every check of a service's validation steps and turns its
 * complaints into problems that name the service, the step and the check: the path says where
 * ({@code validation[0].checks[1].params.urll}) and the message says which
 * ({@code service 'orders', step 'smoke', 'http' check #2: ...}). Shared by
 * {@link dev.drkit.core.config.RecoveryConfig.Builder#build()} and the plan builder.
 */
public final class CheckValidation {
  private CheckValidation() {}

  /**
   * @param service the service's name
   * @param steps its validation steps (null entries are skipped: they are reported elsewhere)
   * @param validator what decides whether each check spec is valid
   * @param pathPrefix prepended to every path ({@code ""} or {@code services[3].})
   * @return every problem found, empty when every check is valid
   */
  public static List<ConfigException.Problem> problems(String service, List<ValidationStep> steps,
      CheckSpecValidator validator, String pathPrefix) {
    List<ConfigException.Problem> out = new ArrayList<>();
    for (int s = 0; s < steps.size(); s++) {
      ValidationStep step = steps.get(s);
      if (step == null) {
        continue;
      }
      for (int c = 0; c < step.checks().size(); c++) {
        CheckSpec spec = step.checks().get(c);
        String path = pathPrefix + "validation[" + s + "].checks[" + c + "]";
        String where = "service '" + service + "', step '" + step.name() + "', '" + spec.type() + "' check #"
            + (c + 1) + ": ";
        try {
          validator.validate(spec);
        } catch (ConfigException e) {
          for (ConfigException.Problem p : e.problems()) {
            out.add(ConfigException.Problem.of(p.path().isEmpty() ? path : path + "." + p.path(),
                where + p.message()));
          }
        } catch (RuntimeException e) {
          out.add(ConfigException.Problem.of(path, where + "the check validator failed on this check: " + e));
        }
      }
    }
    return out;
  }
}
