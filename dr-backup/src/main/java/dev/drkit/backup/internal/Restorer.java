package dev.drkit.backup.internal;

import dev.drkit.backup.ProgressListener;
import dev.drkit.backup.RestoreResult;
import dev.drkit.backup.Snapshot;
import dev.drkit.backup.UnsafePathException;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.StorageException;
import dev.drkit.backup.spi.EntryType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a snapshot (or paths within it) into a target directory: directories first, then
 * symlinks, then file contents pack by pack in parallel ({@link RestorePipeline}), then hard links,
 * then directory modes and times deepest first. Every path goes through {@link SafeTarget}; all
 * entry names are validated before anything is written.
 */
public final class Restorer {
  private static final Logger LOG = LoggerFactory.getLogger(Restorer.class);

  private Restorer() {}

  /**
   * @param ctx the repository
   * @param index where each chunk's pack, offset and length are looked up
   * @param snapshot the snapshot to restore
   * @param target the target directory
   * @param includes entry paths to restore (with everything below them); empty for all
   * @param listener progress
   * @return what was restored
   * @throws UnsafePathException when an entry would leave the target (nothing is written for it)
   * @throws IllegalArgumentException when an include matches no entry (nothing is written)
   */
  public static RestoreResult restore(Ctx ctx, Index index, Snapshot snapshot, Path target, List<String> includes,
      ProgressListener listener) {
    return restore(ctx, index, snapshot, target, includes, listener, TargetChannels.DEFAULT);
  }

  /**
   * Like {@link #restore(Ctx, Index, Snapshot, Path, List, ProgressListener)}, writing files through
   * {@code channels}.
   *
   * @param ctx the repository
   * @param index where each chunk's pack, offset and length are looked up
   * @param snapshot the snapshot to restore
   * @param target the target directory
   * @param includes entry paths to restore (with everything below them); empty for all
   * @param listener progress
   * @param channels opens the files written into the target
   * @return what was restored
   * @throws UnsafePathException when an entry would leave the target (nothing is written for it)
   * @throws IllegalArgumentException when an include matches no entry (nothing is written)
   * @throws dev.drkit.core.StorageFullException naming the file when the target's file system is full
   */
  public static RestoreResult restore(Ctx ctx, Index index, Snapshot snapshot, Path target, List<String> includes,
      ProgressListener listener, TargetChannels channels) {
    long start = ctx.clock().millis();
    List<Node> nodes = SnapshotFiles.entries(ctx, index, snapshot);
    List<byte[]> inc = new ArrayList<>();
    for (String s : includes) {
      String t = s;
      while (t.startsWith("/")) {
        t = t.substring(1);
      }
      while (t.endsWith("/")) {
        t = t.substring(0, t.length() - 1);
      }
      if (!t.isEmpty()) {
        inc.add(t.getBytes(StandardCharsets.UTF_8));
      }
    }
    List<Node> selected = new ArrayList<>();
    boolean[] matched = new boolean[inc.size()];
    for (Node n : nodes) {
      SafeTarget.validate(n.path());
      if (n.type() == EntryType.SYMLINK) {
        validateTarget(n);
      }
      if (inc.isEmpty() || included(n.path(), inc)) {
        selected.add(n);
        for (int i = 0; i < inc.size(); i++) {
          matched[i] |= startsWithComponent(n.path(), inc.get(i));
        }
      }
    }
    java.util.Set<BackupRun.ByteKey> seen = new java.util.HashSet<>();
    for (Node n : selected) {
      if (!seen.add(new BackupRun.ByteKey(n.path()))) {
        throw new IntegrityException("snapshot " + snapshot.shortId() + " holds '" + RawPaths.display(n.path())
            + "' more than once; a restore could give either, so nothing was restored");
      }
    }
    List<String> unmatched = new ArrayList<>();
    for (int i = 0; i < inc.size(); i++) {
      if (!matched[i]) {
        unmatched.add("'" + RawPaths.display(inc.get(i)) + "'");
      }
    }
    if (!unmatched.isEmpty()) {
      throw new IllegalArgumentException("no entry of snapshot " + snapshot.shortId() + " matches include "
          + String.join(", ", unmatched) + " (includes are paths in the snapshot, relative to its root and"
          + " '/'-separated); nothing was restored");
    }
    SafeTarget safe = new SafeTarget(target, channels);
    ProgressTracker progress = new ProgressTracker("restore", listener, ctx.clock());
    long totalBytes = 0;
    long files = 0;
    for (Node n : selected) {
      if (n.type() == EntryType.FILE) {
        files++;
        totalBytes += n.size();
      }
    }
    progress.totals(files, totalBytes);
    long dirs = 0;
    long links = 0;
    List<Node> dirNodes = new ArrayList<>();
    for (Node n : selected) {
      if (n.type() == EntryType.DIRECTORY) {
        safe.ensureDir(safe.resolve(n.path()), true);
        dirNodes.add(n);
        dirs++;
      }
    }
    for (Node n : selected) {
      if (n.type() == EntryType.SYMLINK) {
        restoreLink(safe, n);
        links++;
      }
    }
    long bytes = 0;
    java.util.Map<Node, Node> hardLinks = hardLinks(selected); // restored after the files they link to
    List<Node> contents = new ArrayList<>();
    for (Node n : selected) {
      if (n.type() == EntryType.FILE && !hardLinks.containsKey(n)) {
        contents.add(n);
      }
    }
    bytes += RestorePipeline.restore(ctx, index, safe, progress, contents);
    for (java.util.Map.Entry<Node, Node> link : hardLinks.entrySet()) {
      bytes += restoreHardLink(ctx, index, safe, link.getKey(), link.getValue(), progress);
    }
    for (int i = dirNodes.size() - 1; i >= 0; i--) {
      Node n = dirNodes.get(i);
      Path p = safe.resolve(n.path());
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        setMeta(p, n, false);
      }
    }
    progress.finish();
    return new RestoreResult(files, dirs, links, bytes, ctx.clock().millis() - start);
  }

  /** A file key that names an inode: {@code DEV:INODE:...}, as {@code FileTreeSource} writes it. */
  private static final java.util.regex.Pattern INODE_KEY = java.util.regex.Pattern.compile("[0-9]+:[0-9]+:.+");

  /**
   * The files to restore as hard links: a file whose inode file key ({@link #INODE_KEY}: device,
   * inode and change time at backup) equals an earlier selected file's, with the same size, mode,
   * time and chunks, maps to that earlier file. A pair whose other half is not selected is
   * restored as two files; other file keys (a source's version tokens) never link files.
   */
  @SuppressWarnings("IdentityHashMapUsage") // the caller looks the selected nodes up by identity only
  private static java.util.Map<Node, Node> hardLinks(List<Node> selected) {
    java.util.Map<String, Node> first = new java.util.HashMap<>();
    java.util.Map<Node, Node> links = new java.util.IdentityHashMap<>();
    for (Node n : selected) {
      if (n.type() != EntryType.FILE || n.fileKey() == null || !INODE_KEY.matcher(n.fileKey()).matches()) {
        continue;
      }
      Node earlier = first.putIfAbsent(n.fileKey(), n);
      if (earlier != null && earlier.size() == n.size() && earlier.mode() == n.mode()
          && earlier.mtimeNanos() == n.mtimeNanos() && java.util.Arrays.equals(earlier.chunks(), n.chunks())) {
        links.put(n, earlier);
      }
    }
    return links;
  }

  /**
   * Makes {@code n} a hard link to the already restored {@code existing} (both inside the target);
   * where the file system cannot link, restores it as a file of its own.
   */
  private static long restoreHardLink(Ctx ctx, Index index, SafeTarget safe, Node n, Node existing,
      ProgressTracker progress) {
    Path p = safe.resolve(n.path());
    Path to = safe.resolve(existing.path());
    safe.ensureParents(p);
    try {
      removeExisting(p, "a hard link");
      if (!Files.isRegularFile(to, LinkOption.NOFOLLOW_LINKS)) {
        throw new UnsafePathException("refusing to hard-link " + p + " to " + to + ", which is not a restored file");
      }
      Files.createLink(p, to);
      progress.addBytes(n.size());
      progress.addFiles(1);
      return n.size();
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("cannot hard-link {} to {} ({}); restoring it as a file of its own", p, to, e.toString());
      return RestorePipeline.restore(ctx, index, safe, progress, List.of(n));
    }
  }

  private static boolean included(byte[] path, List<byte[]> inc) {
    for (byte[] i : inc) {
      if (startsWithComponent(path, i) || startsWithComponent(i, path)) {
        return true;
      }
    }
    return false;
  }

  private static boolean startsWithComponent(byte[] path, byte[] prefix) {
    if (path.length < prefix.length) {
      return false;
    }
    for (int k = 0; k < prefix.length; k++) {
      if (path[k] != prefix[k]) {
        return false;
      }
    }
    return path.length == prefix.length || path[prefix.length] == '/';
  }

  /** Deletes what stands at {@code p} (never following a link there); a directory is refused. */
  private static void removeExisting(Path p, String replacement) throws IOException {
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (a.isDirectory()) {
        throw new UnsafePathException("refusing to replace directory " + p + " with " + replacement);
      }
      Files.delete(p);
    } catch (java.nio.file.NoSuchFileException absent) {
      // nothing to replace
    }
  }

  /** A symlink target no file system can hold fails the restore, naming the entry, before anything is written. */
  private static void validateTarget(Node n) {
    byte[] target = n.target();
    if (target.length == 0) {
      throw new StorageException("cannot restore symlink '" + RawPaths.display(n.path()) + "': its target is empty;"
          + " nothing was restored");
    }
    for (byte x : target) {
      if (x == 0) {
        throw new StorageException("cannot restore symlink '" + RawPaths.display(n.path()) + "': its target '"
            + RawPaths.display(target) + "' contains a NUL byte; nothing was restored");
      }
    }
  }

  private static void restoreLink(SafeTarget safe, Node n) {
    byte[] target = n.target();
    Path p = safe.resolve(n.path());
    safe.ensureParents(p);
    try {
      removeExisting(p, "a symbolic link");
      if (RawPaths.representable(target)) {
        Files.createSymbolicLink(p, RawPaths.path(target));
      } else {
        RawPaths.symlinkWithLn(p, target); // an empty component or a trailing slash: NIO would drop it
      }
      try {
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
            .setTimes(FileTime.from(n.mtimeNanos(), TimeUnit.NANOSECONDS), null, null);
      } catch (IOException | UnsupportedOperationException e) {
        LOG.debug("cannot set time of symlink {}", p, e);
      }
    } catch (IOException e) {
      throw new StorageException("cannot restore symlink '" + RawPaths.display(n.path()) + "' (to '"
          + RawPaths.display(target) + "') at " + p + ": " + e, e);
    }
  }

  static void setMeta(Path p, Node n, boolean file) {
    try {
      Files.setAttribute(p, "unix:mode", n.mode(), LinkOption.NOFOLLOW_LINKS);
      Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(FileTime.from(n.mtimeNanos(), TimeUnit.NANOSECONDS), null, null);
    } catch (IOException | UnsupportedOperationException e) {
      throw new StorageException("cannot set mode/time of " + (file ? "file " : "directory ") + p + ": " + e, e);
    }
  }
}
