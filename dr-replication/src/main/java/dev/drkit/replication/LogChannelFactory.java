package dev.drkit.replication;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * Opens the file channels a {@link ReplicationLog} writes its segments through. The default opens
 * real files; tests inject a wrapper that fails like a full disk.
 */
@FunctionalInterface
public interface LogChannelFactory {
  /**
   * @param path the file
   * @param options how to open it
   * @return an open channel
   * @throws IOException when the file cannot be opened
   */
  FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException;

  /** @return the factory that opens real files with {@link FileChannel#open(Path, Set, java.nio.file.attribute.FileAttribute[])} */
  static LogChannelFactory standard() {
    return (path, options) -> FileChannel.open(path, options);
  }
}
