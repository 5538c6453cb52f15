package dev.drkit.core;

import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * The storage underneath ran out of space (a full disk, {@code ENOSPC}, or an exhausted quota,
 * {@code EDQUOT}) while something was being written. Like every {@link StorageException}, the
 * operation was not applied, or was applied atomically before the failure: existing data is
 * intact, and the operation can be run again once space was freed (or the data moved to a larger
 * volume).
 *
 * <p>A caller can act on it differently from other storage failures: retrying at once will not
 * help, freeing space will.
 */
public class StorageFullException extends StorageException {
  private static final long serialVersionUID = 1L;
  private final String target;
  private final long usableBytes;

  /**
   * @param message what failed and what to do, naming {@code target}
   * @param target the file or key being written when the space ran out
   * @param usableBytes the space left on the storage that holds {@code target}, as far as it
   *     could be learned; negative when unknown
   * @param cause the underlying failure
   */
  public StorageFullException(String message, String target, long usableBytes, @Nullable Throwable cause) {
    super(message, cause);
    this.target = java.util.Objects.requireNonNull(target, "target");
    this.usableBytes = usableBytes;
  }

  /** @return the file or key being written when the space ran out */
  public String target() {
    return target;
  }

  /** @return the space left on the storage holding {@link #target()} when the write failed, if it could be learned */
  public OptionalLong usableBytes() {
    return usableBytes < 0 ? OptionalLong.empty() : OptionalLong.of(usableBytes);
  }
}
