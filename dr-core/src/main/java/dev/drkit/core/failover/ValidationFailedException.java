package dev.drkit.core.failover;

import dev.drkit.core.DrException;
import dev.drkit.core.ValidationReport;

/** The validation steps of a service did not pass on a site; the report says which failed. */
public class ValidationFailedException extends DrException {
  private static final long serialVersionUID = 1L;
  private final transient ValidationReport report;

  /** @param report the failing report */
  public ValidationFailedException(ValidationReport report) {
    super("validation of service '" + report.service() + "' on " + report.site() + " at epoch " + report.epoch()
        + " failed: steps " + report.steps().stream().filter(s -> !s.passed()).map(s -> s.name()).toList());
    this.report = report;
  }

  /** @return the failing report */
  public ValidationReport report() {
    return report;
  }
}
