package dev.drkit.examples.drill;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The drills the orders example can run. */
public enum Scenario {
  /** The primary dies; detection, failover, validation, running on the backup, resync, failback. */
  SITE_LOSS("site-loss", "The primary site dies abruptly (server and database stop); drkit detects it, fences it at a"
      + " new epoch, promotes the backup, switches the router and validates; the primary returns, is resynced"
      + " (divergent writes quarantined), validated, and traffic fails back."),
  /** A planned switchover to the backup without losing a write. */
  SWITCHOVER("switchover", "A planned switchover: the primary is fenced and drained, the backup promoted and the router"
      + " switched, with zero lost writes."),
  /** Both databases lost: rebuilt from the latest backup snapshot and the replication log. */
  RESTORE("restore", "Both the primary's database and the replica are lost; the primary is rebuilt from the latest"
      + " dr-backup snapshot, caught up from its replication log, promoted at a new epoch and validated; the replica"
      + " is then rebuilt from it."),
  /** Data damaged by bad writes: rebuilt from a snapshot and the log up to just before them. */
  PITR("pitr", "During the warm-up a bulk delete wipes every acknowledged order through the primary (replicated and"
      + " logged like any write) at a recorded instant; the service runs on, then is rebuilt with the library's rebuild"
      + " command from the latest usable snapshot and the replication log replayed up to just before that instant,"
      + " promoted at a new epoch and validated; the replica is then rebuilt from it."),
  /** A non-disruptive test failover onto an isolated copy while production keeps serving. */
  DRILL("drill", "A non-disruptive test failover: a point-in-time copy of the replica is brought up as an isolated"
      + " site behind its own router and validated, while production keeps serving untouched.");

  private final String cliName;
  private final String description;

  Scenario(String cliName, String description) {
    this.cliName = cliName;
    this.description = description;
  }

  /** @return the name used on the command line and in reports */
  public String cliName() {
    return cliName;
  }

  /** @return one paragraph saying what the scenario does */
  public String description() {
    return description;
  }

  /**
   * @param name a scenario's command-line name
   * @return the scenario
   * @throws IllegalArgumentException naming the valid names
   */
  public static Scenario parse(String name) {
    for (Scenario s : values()) {
      if (s.cliName.equals(name.trim().toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown scenario '" + name + "'; expected one of "
        + Arrays.stream(values()).map(Scenario::cliName).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return cliName;
  }
}
