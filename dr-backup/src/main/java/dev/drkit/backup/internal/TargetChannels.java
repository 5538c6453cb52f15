package dev.drkit.backup.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * Opens the channels a restore writes its files through: {@link FileChannel#open} in production
 * ({@link #DEFAULT}); tests substitute channels that fail like a full disk.
 */
@FunctionalInterface
public interface TargetChannels {
  /** Opens with {@link FileChannel#open(Path, OpenOption...)}. */
  TargetChannels DEFAULT = FileChannel::open;

  /**
   * @param file the file to open
   * @param options how to open it
   * @return the channel
   * @throws IOException when it cannot be opened
   */
  FileChannel open(Path file, OpenOption... options) throws IOException;
}
