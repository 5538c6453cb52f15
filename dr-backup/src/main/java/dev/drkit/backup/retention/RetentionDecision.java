package dev.drkit.backup.retention;

import java.util.List;
import java.util.Objects;

/**
 * The fate of one snapshot under a retention policy.
 *
 * @param snapshot the snapshot the decision is about
 * @param keep whether it is kept
 * @param reasons why it is kept (every rule that matched, counted once); empty when removed
 * @param why why it goes: for each rule of the policy, why that rule did not keep it; empty when
 *     kept
 */
public record RetentionDecision(SnapshotDescriptor snapshot, boolean keep, List<KeepReason> reasons, List<String> why) {
  /** Validates and copies. */
  public RetentionDecision {
    Objects.requireNonNull(snapshot, "snapshot");
    reasons = List.copyOf(reasons);
    why = List.copyOf(why);
    if (keep == reasons.isEmpty()) {
      throw new IllegalArgumentException("a kept snapshot needs a reason and a removed one none: " + snapshot.id());
    }
  }
}
