package dev.drkit.backup.spi;

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
   * Emits every entry, each parent directory before its children. Paths are relative,
   * {@code /}-separated, without {@code .} or {@code ..} components.
   *
   * @param sink receives the entries
   * @throws IOException when the source cannot be read
   */
  void scan(Consumer<SourceEntry> sink) throws IOException;

  /**
   * Ends the capture; runs after every {@link #prepare()} attempt, whatever happened. The default
   * does nothing.
   *
   * @throws IOException reported (logged) but never masking the backup's own outcome
   */
  default void release() throws IOException {}
}
