package dev.drkit.backup.retention;

import java.util.Objects;

/**
 * Why one snapshot is kept: the rule that matched and, for calendar rules, the bucket it is the
 * newest snapshot of.
 *
 * @param rule the retention rule that kept the snapshot
 * @param oldest whether the rule kept it only because it is the oldest snapshot of its group and
 *     the rule still had counts left (restic keeps it "additionally", to maximise the history kept)
 * @param detail the bucket ({@code 2019-11-17}, {@code 2019-W46}), the tag, or the window
 */
public record KeepReason(RetentionRule rule, boolean oldest, String detail) {
  /** Validates. */
  public KeepReason {
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(detail, "detail");
  }

  /** @return a phrase such as {@code daily snapshot 2019-11-17} or {@code has tag monthly} */
  public String describe() {
    return switch (rule) {
      case LAST -> (oldest ? "oldest " : "") + "last snapshot " + detail;
      case HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY ->
          (oldest ? "oldest " : "") + rule.adjective() + " snapshot " + detail;
      case WITHIN -> "within " + detail + " of the newest";
      case TAG -> "has tag " + detail;
      case EMPTY_POLICY -> "policy is empty";
    };
  }

  @Override
  public String toString() {
    return describe();
  }
}
