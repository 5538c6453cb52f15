package dev.drkit.core.internal.config;

import dev.drkit.core.config.CheckSpecValidator;
import dev.drkit.core.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;

/** Holds {@link CheckSpecValidator#discovered()}: the ServiceLoader lookup runs once, on first use. */
public final class DiscoveredCheckValidators {
  /** Every registered validator combined; accepts everything when none is registered. */
  public static final CheckSpecValidator VALIDATOR = load();

  private DiscoveredCheckValidators() {}

  private static CheckSpecValidator load() {
    List<CheckSpecValidator> found = new ArrayList<>();
    for (CheckSpecValidator v : ServiceLoader.load(CheckSpecValidator.class, CheckSpecValidator.class.getClassLoader())) {
      found.add(v);
    }
    if (found.isEmpty()) {
      return CheckSpecValidator.acceptAll();
    }
    if (found.size() == 1) {
      return found.get(0);
    }
    List<CheckSpecValidator> all = List.copyOf(found);
    return spec -> {
      Set<ConfigException.Problem> problems = new LinkedHashSet<>();
      for (CheckSpecValidator v : all) {
        try {
          v.validate(spec);
        } catch (ConfigException e) {
          problems.addAll(e.problems());
        }
      }
      if (!problems.isEmpty()) {
        throw new ConfigException(List.copyOf(problems));
      }
    };
  }
}
