package dev.drkit.backup;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One problem found by {@link Repository#verify}.
 *
 * @param object the damaged repository object (a blob store key such as {@code packs/ab/ab12...})
 * @param blob the damaged or missing blob's id, or null when the problem is not one blob's
 * @param reason what is wrong
 * @param affected what it breaks: {@code "<snapshot short id>:<path>"} for each file (or
 *     {@code "<snapshot short id>:<entry list>"}) that can no longer be restored, sorted
 */
public record Damage(String object, @Nullable String blob, String reason, List<String> affected) {
  /** Validates and copies. */
  public Damage {
    Objects.requireNonNull(object, "object");
    Objects.requireNonNull(reason, "reason");
    affected = List.copyOf(affected);
  }
}
