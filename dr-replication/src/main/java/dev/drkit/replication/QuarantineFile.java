package dev.drkit.replication;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Records set aside rather than dropped: a divergent suffix cut off an old primary during resync,
 * or damaged bytes cut off at open. The file is in the segment format (readable with
 * {@link ReplicationLog#readQuarantine(Path)}) unless {@code raw} is set.
 *
 * @param path the file
 * @param fromOffset the first offset it holds
 * @param count how many records it holds ({@code -1} for raw damaged bytes)
 * @param raw whether it holds raw bytes that failed their check rather than valid records
 */
public record QuarantineFile(Path path, long fromOffset, long count, boolean raw) {
  /** Validates. */
  public QuarantineFile {
    Objects.requireNonNull(path, "path");
  }
}
