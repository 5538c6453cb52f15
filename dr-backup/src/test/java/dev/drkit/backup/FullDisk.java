package dev.drkit.backup;

import dev.drkit.testkit.FullDiskChannel;
import dev.drkit.backup.internal.TargetChannels;
import dev.drkit.core.internal.DurableFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A disk with a byte budget for dr-backup's two local writers: the blob store's temporary files
 * ({@link #tempWriter()}) and a restore's files ({@link #channels()}). A write beyond the budget
 * writes what fits and then fails as the kernel does, with "No space left on device" (the JDK's
 * {@link FileSystemException} text); {@link #devFull} variants let the write itself go to
 * {@code /dev/full}, so that the JDK's own error is what the code sees.
 */
final class FullDisk {
  static final Path DEV_FULL = Path.of("/dev/full");
  private final AtomicLong free;

  /** @param freeBytes the space available */
  FullDisk(long freeBytes) {
    this.free = new AtomicLong(freeBytes);
  }

  /** @param bytes the new free space ("space was freed") */
  void setFree(long bytes) {
    free.set(bytes);
  }

  /** @return a blob store writer drawing on this budget */
  FileSystemBlobStore.TempWriter tempWriter() {
    return tempWriter(null);
  }

  /**
   * @param onlyUnder the key prefix (for example {@code "index"}) whose blobs draw on this budget;
   *     {@code null} for all
   * @return a blob store writer drawing on this budget for the blobs under {@code onlyUnder}
   */
  FileSystemBlobStore.TempWriter tempWriter(@org.jspecify.annotations.Nullable String onlyUnder) {
    return (file, bytes, offset, length) -> {
      boolean counted = onlyUnder == null || file.toString().contains("/" + onlyUnder + "~/");
      int fits = counted ? FullDiskChannel.take(free, length) : length;
      if (fits == length) {
        DurableFiles.writeNew(file, bytes, offset, length);
        return;
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(bytes, offset, fits)); // a torn temporary file
      }
      throw new FileSystemException(file.toString(), null, "No space left on device");
    };
  }

  /**
   * @return a blob store writer that creates the temporary file, writes half of it, then writes the
   *     rest to {@code /dev/full} (the JDK reports the kernel's ENOSPC)
   */
  static FileSystemBlobStore.TempWriter devFullTempWriter() {
    return (file, bytes, offset, length) -> {
      Files.write(file, java.util.Arrays.copyOfRange(bytes, offset, offset + length / 2), StandardOpenOption.CREATE_NEW);
      try (FileChannel full = FileChannel.open(DEV_FULL, StandardOpenOption.WRITE)) {
        full.write(ByteBuffer.wrap(bytes, offset + length / 2, length - length / 2));
      }
    };
  }

  /** @return restore channels whose writes draw on this budget */
  TargetChannels channels() {
    return (file, options) -> new FullDiskChannel(FileChannel.open(file, options), free);
  }

  /**
   * @return restore channels that create each file, then write to {@code /dev/full} (the JDK
   *     reports the kernel's ENOSPC on the first write)
   */
  static TargetChannels devFullChannels() {
    return (file, options) -> {
      FileChannel.open(file, options).close();
      return FileChannel.open(DEV_FULL, StandardOpenOption.WRITE);
    };
  }
}
