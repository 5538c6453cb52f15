package dev.drkit.backup.spi;

import dev.drkit.backup.Excludes;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * The data a backup captures: a stream of {@link SourceEntry}s (a directory tree, a database dump,
 * a frozen file-system snapshot). drkit calls {@link #prepare()}, then {@link #scan(Consumer)},
 * then opens the content of the file entries it needs, then {@link #release()} - which runs
 * whatever happens, even when prepare or the backup fail. A host that needs a consistent capture
 * quiesces in {@code prepare} (freeze writes, checkpoint a database, take an LVM/ZFS snapshot) and
 * thaws in {@code release}.
 */
public interface BackupSource {
  /**
   * @return what is captured, for display, recorded in the snapshot (for example the absolute path
   *     of a tree); incremental backups compare against earlier snapshots of the same host and
   *     {@link #paths()}, which default to this description
   */
  String description();

  /**
   * The roots this source captures, recorded in the snapshot. Incremental and differential backups
   * take as parent the latest snapshot of the same host with the same <em>set</em> of paths (order
   * and duplicates do not matter). The default is the single {@link #description()}.
   *
   * @return the captured roots (for a file tree, absolute paths), at least one
   */
  default java.util.List<String> paths() {
    return java.util.List.of(description());
  }

  /**
   * Quiesces the source before capture; the default does nothing.
   *
   * @throws IOException when the source cannot be prepared (the backup then fails, release still runs)
   */
  default void prepare() throws IOException {}

  /**
   * The replication-log position the captured data is consistent with, for a source whose service
   * is replicated: recorded in the snapshot, so that a rebuild replays the log from exactly there.
   * Read once, after {@link #scan} returned. <b>The quiesce rule</b>: {@link #prepare()} must stop
   * writes (or take a point-in-time copy) and note the log's next offset and epoch <i>at the same
   * instant</i>, so that the capture holds every record below that offset and none at or above
   * it; writes resume in {@link #release()} (see docs/repository-format.md). The default is empty:
   * the snapshot records no position, and a rebuild from it stops at the snapshot.
   *
   * @return the position, or empty when the source is not replicated or cannot tell
   */
  default java.util.Optional<dev.drkit.core.spi.LogPosition> logPosition() {
    return java.util.Optional.empty();
  }

  /**
   * Emits every entry, each parent directory before its children. Paths are relative,
   * {@code /}-separated, without {@code .} or {@code ..} components.
   *
   * @param sink receives the entries
   * @throws IOException when the source cannot be read
   */
  void scan(Consumer<SourceEntry> sink) throws IOException;

  /**
   * Emits every entry that {@code excludes} does not leave out, and reports the entries that cannot
   * be captured instead of failing (restic's partial snapshots). The default runs
   * {@link #scan(Consumer)} and drops the entries whose path, as {@code /PATH}, the patterns
   * exclude, with everything below an excluded directory; it supports no file-system options.
   * {@code FileTreeSource} overrides it: patterns match absolute paths, excluded directories are
   * never read, and the file-system options work.
   *
   * @param excludes what to leave out
   * @param sink receives the entries and the skipped entries
   * @throws IOException when the source cannot be read at all (the backup then fails)
   * @throws IllegalArgumentException when {@code excludes} has options this source cannot apply
   */
  default void scan(Excludes excludes, ScanSink sink) throws IOException {
    if (excludes.needsFileSystem()) {
      throw new IllegalArgumentException("backup source " + description()
          + " has no file system: --exclude-if-present, --exclude-caches and --one-file-system do not apply to it");
    }
    java.util.Set<java.nio.ByteBuffer> excludedDirs = new java.util.HashSet<>();
    scan(e -> {
      byte[] path = e.path();
      for (int i = 0; i < path.length; i++) {
        if (path[i] == '/' && excludedDirs.contains(java.nio.ByteBuffer.wrap(path, 0, i))) {
          return; // below an excluded directory
        }
      }
      byte[] abs = new byte[path.length + 1];
      abs[0] = '/';
      System.arraycopy(path, 0, abs, 1, path.length);
      if (excludes.excludes(abs)) {
        if (e.type() == EntryType.DIRECTORY) {
          excludedDirs.add(java.nio.ByteBuffer.wrap(path));
        }
        return;
      }
      sink.entry(e);
    });
  }

  /**
   * Ends the capture; runs after every {@link #prepare()} attempt, whatever happened. The default
   * does nothing.
   *
   * @throws IOException reported (logged) but never masking the backup's own outcome
   */
  default void release() throws IOException {}
}
