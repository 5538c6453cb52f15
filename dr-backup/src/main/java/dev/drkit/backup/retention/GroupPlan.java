package dev.drkit.backup.retention;

import java.util.List;
import java.util.Objects;

/**
 * The retention decisions for one group of snapshots.
 *
 * @param group the group's key
 * @param decisions one per snapshot of the group, newest first
 */
public record GroupPlan(SnapshotGroup group, List<RetentionDecision> decisions) {
  /** Validates and copies. */
  public GroupPlan {
    Objects.requireNonNull(group, "group");
    decisions = List.copyOf(decisions);
  }

  /** @return the kept decisions, newest first */
  public List<RetentionDecision> kept() {
    return decisions.stream().filter(RetentionDecision::keep).toList();
  }

  /** @return the removed decisions, newest first */
  public List<RetentionDecision> removed() {
    return decisions.stream().filter(d -> !d.keep()).toList();
  }
}
