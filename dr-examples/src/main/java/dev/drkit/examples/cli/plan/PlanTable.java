package dev.drkit.examples.cli.plan;

import dev.drkit.core.config.BackupStrategy;
import dev.drkit.core.config.RecoveryConfig;
import dev.drkit.core.plan.Durations;
import dev.drkit.core.plan.RecoveryPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Renders a plan as a plain-text table in recovery order. */
public final class PlanTable {
  private static final String[] HEADERS =
      {"WAVE", "SERVICE", "PRIORITY", "RPO", "RTO", "DEPENDS ON", "VALIDATION", "BACKUPS"};

  private PlanTable() {}

  /**
   * @param plan the loaded plan to show
   * @param source where it came from, for the title
   * @return a title line, a blank line, and one row per service in recovery order (wave, then
   *     priority, then name), columns aligned; ends with a newline
   */
  public static String render(RecoveryPlan plan, String source) {
    List<String[]> rows = new ArrayList<>();
    rows.add(HEADERS);
    List<List<RecoveryConfig>> waves = plan.waves();
    for (int w = 0; w < waves.size(); w++) {
      for (RecoveryConfig c : waves.get(w)) {
        List<BackupStrategy> backups = plan.backups(c.name());
        rows.add(new String[] {
            String.valueOf(w),
            c.name(),
            c.priority().configName(),
            Durations.format(c.rpo()),
            Durations.format(c.rto()),
            c.dependencies().isEmpty() ? "-" : String.join(", ", c.dependencies()),
            c.validation().isEmpty() ? "-" : c.validation().size() + (c.validation().size() == 1 ? " step" : " steps"),
            backups.isEmpty() ? "-" : backups.stream()
                .map(b -> b.name() + " (" + b.type().configName() + ", " + b.schedule().expression() + ")")
                .collect(Collectors.joining(", "))});
      }
    }
    int[] widths = new int[HEADERS.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    int services = plan.services().size();
    sb.append("Recovery plan").append(plan.name() == null ? "" : " '" + plan.name() + "'").append(" from ")
        .append(source).append(": ").append(services).append(services == 1 ? " service" : " services")
        .append(" in ").append(waves.size()).append(waves.size() == 1 ? " wave" : " waves")
        .append(" (a wave starts when every service it depends on has recovered)\n\n");
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(row[i]);
        if (i < row.length - 1) {
          line.append(" ".repeat(widths[i] - row[i].length() + 2));
        }
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }
}
