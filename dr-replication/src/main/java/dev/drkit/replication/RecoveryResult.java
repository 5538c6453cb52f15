package dev.drkit.replication;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link ReplicationLog} found and repaired when it was opened.
 *
 * @param segment the segment whose tail was torn, or {@code null} when the log was clean
 * @param truncatedAtPosition the byte position the torn segment was cut at, {@code -1} if clean
 * @param truncatedBytes how many bytes of torn tail were removed
 * @param removedFiles empty segment files left by a crash during creation and removed
 * @param nextOffset the offset the next record will take
 */
public record RecoveryResult(@Nullable Path segment, long truncatedAtPosition, long truncatedBytes,
    List<Path> removedFiles, long nextOffset) {

  /** Validates and copies. */
  public RecoveryResult {
    Objects.requireNonNull(removedFiles, "removedFiles");
    removedFiles = List.copyOf(removedFiles);
  }

  /** @return whether anything was repaired */
  public boolean repaired() {
    return truncatedBytes > 0 || !removedFiles.isEmpty();
  }
}
