package dev.drkit.backup.internal;

import dev.drkit.spi.EntryType;
import java.nio.charset.StandardCharsets;

/**
 * One entry of a snapshot's entry stream.
 *
 * @param type the kind
 * @param path relative path bytes, components separated by {@code /}
 * @param mode permission bits (07777)
 * @param mtimeNanos modification time in nanoseconds since the epoch
 * @param size content length (files)
 * @param target symlink target bytes (symlinks), else empty
 * @param fileKey change-detection token of the source, or empty
 * @param chunks content blob ids in order (files)
 */
public record Node(EntryType type, byte[] path, int mode, long mtimeNanos, long size, byte[] target, String fileKey,
    Id[] chunks) {
  /** @return the path decoded as UTF-8 (lossy for other encodings), for display */
  public String pathString() {
    return new String(path, StandardCharsets.UTF_8);
  }
}
