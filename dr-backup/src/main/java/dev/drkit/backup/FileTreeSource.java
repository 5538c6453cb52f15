package dev.drkit.backup;

import dev.drkit.backup.internal.RawPaths;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.SourceEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in {@link BackupSource} of one or several directory trees: regular files, directories
 * (also empty ones) and symbolic links (stored as links, never followed). Entry names are the raw
 * bytes the file system holds, so names in any encoding survive. Other file types (sockets, FIFOs,
 * devices) are skipped with a warning. The change-tracking token is {@code dev:inode:ctime}, so hard
 * links (two names of one inode) are recognised and restored as hard links. Files
 * are read with {@code O_NOFOLLOW}. Sparse files are read as their logical content (holes read as
 * zeros, which deduplicate to one blob and are restored as holes).
 *
 * <p>With one root ({@link #of(Path)}) entries are relative to it. With several roots
 * ({@link #of(Collection)}, like restic) each root is stored under its absolute path without the
 * leading {@code /} (for example {@code home/ann/docs/a.txt}), with a directory entry for the root
 * and for each of its ancestors, so that a restore recreates every root below its target.
 */
public final class FileTreeSource implements BackupSource {
  private static final Logger LOG = LoggerFactory.getLogger(FileTreeSource.class);
  private static final String ATTRS = "unix:mode,dev,ino,ctime,size,lastModifiedTime";
  private final List<Path> roots;

  private FileTreeSource(List<Path> roots) {
    this.roots = roots;
  }

  /**
   * @param root the directory whose contents are backed up (entries are relative to it)
   * @return the source
   */
  public static FileTreeSource of(Path root) {
    return new FileTreeSource(List.of(Objects.requireNonNull(root, "root").toAbsolutePath().normalize()));
  }

  /**
   * A source of several directories in one snapshot. One root behaves exactly like {@link #of(Path)};
   * with several, each is stored under its absolute path (see the class description). Duplicates
   * are dropped.
   *
   * @param roots the directories, at least one
   * @return the source
   * @throws IllegalArgumentException when empty, or when one root contains another (or is {@code /})
   */
  public static FileTreeSource of(Collection<Path> roots) {
    Objects.requireNonNull(roots, "roots");
    TreeSet<Path> set = new TreeSet<>();
    for (Path r : roots) {
      set.add(Objects.requireNonNull(r, "root").toAbsolutePath().normalize());
    }
    if (set.isEmpty()) {
      throw new IllegalArgumentException("a backup needs at least one path");
    }
    List<Path> list = new ArrayList<>(set);
    if (list.size() > 1) {
      for (Path a : list) {
        if (a.getNameCount() == 0) {
          throw new IllegalArgumentException("backup path " + a + " contains every other path; back it up alone");
        }
        for (Path b : list) {
          if (a != b && b.startsWith(a)) {
            throw new IllegalArgumentException("backup paths " + a + " and " + b + " overlap: " + a
                + " already contains " + b);
          }
        }
      }
    }
    return new FileTreeSource(List.copyOf(list));
  }

  /**
   * @return the single root's absolute path, or the roots' absolute paths separated by
   *     {@code ", "} (sorted)
   */
  @Override
  public String description() {
    return String.join(", ", paths());
  }

  /** @return the roots' absolute paths, sorted */
  @Override
  public List<String> paths() {
    return roots.stream().map(Path::toString).toList();
  }

  @Override
  public void scan(Consumer<SourceEntry> sink) throws IOException {
    if (roots.size() == 1) {
      walk(rootDir(roots.get(0)), new byte[0], sink);
      return;
    }
    // several roots: each under its absolute path, ancestors emitted once, parents before children
    Set<ByteBuffer> emitted = new HashSet<>();
    for (Path root : roots) {
      Path dir = rootDir(root);
      byte[] rel = new byte[0];
      for (int i = 0; i < root.getNameCount(); i++) {
        Path component = root.getRoot().resolve(root.subpath(0, i + 1));
        byte[] name = nameBytes(component);
        rel = rel.length == 0 ? name : concat(rel, name);
        if (emitted.add(ByteBuffer.wrap(rel))) {
          Map<String, Object> a = Files.readAttributes(i == root.getNameCount() - 1 ? dir : component,
              "unix:mode,lastModifiedTime");
          sink.accept(SourceEntry.directory(rel, (Integer) a.get("mode") & 07777,
              ((FileTime) a.get("lastModifiedTime")).toInstant()));
        }
      }
      walk(dir, rel, sink);
    }
  }

  /** The root itself may be a symlink to a directory (followed once); nothing below it is followed. */
  private static Path rootDir(Path root) throws IOException {
    Path dir = Files.isSymbolicLink(root) ? root.toRealPath() : root;
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("backup source " + root + " is not a directory");
    }
    return dir;
  }

  private void walk(Path dir, byte[] rel, Consumer<SourceEntry> sink) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        children.add(p);
      }
    }
    List<byte[]> names = new ArrayList<>(children.size());
    Integer[] order = new Integer[children.size()];
    for (int i = 0; i < children.size(); i++) {
      names.add(nameBytes(children.get(i)));
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(names.get(a), names.get(b)));
    for (int i : order) {
      Path p = children.get(i);
      byte[] name = names.get(i);
      byte[] path = rel.length == 0 ? name : concat(rel, name);
      Map<String, Object> a;
      try {
        a = Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
      } catch (java.nio.file.NoSuchFileException e) {
        continue; // vanished since listing
      }
      int mode = (Integer) a.get("mode");
      Instant mtime = ((FileTime) a.get("lastModifiedTime")).toInstant();
      int fmt = mode & 0170000;
      if (fmt == 0040000) {
        sink.accept(SourceEntry.directory(path, mode & 07777, mtime));
        walk(p, path, sink);
      } else if (fmt == 0100000) {
        String fileKey = a.get("dev") + ":" + a.get("ino") + ":" + ((FileTime) a.get("ctime")).toInstant();
        sink.accept(SourceEntry.file(path, (Long) a.get("size"), mode & 07777, mtime, fileKey,
            () -> Files.newInputStream(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)));
      } else if (fmt == 0120000) {
        sink.accept(SourceEntry.symlink(path, RawPaths.bytes(Files.readSymbolicLink(p)), mtime));
      } else {
        LOG.warn("skipping {} of backup source {}: not a regular file, directory or symlink (mode {})", p, dir,
            Integer.toOctalString(mode));
      }
    }
  }

  private static byte[] concat(byte[] rel, byte[] name) {
    byte[] out = new byte[rel.length + 1 + name.length];
    System.arraycopy(rel, 0, out, 0, rel.length);
    out[rel.length] = '/';
    System.arraycopy(name, 0, out, rel.length + 1, name.length);
    return out;
  }

  /** The last name component's raw bytes, taken from the file URI (which escapes raw bytes). */
  static byte[] nameBytes(Path p) {
    String raw = p.toUri().getRawPath();
    int end = raw.endsWith("/") ? raw.length() - 1 : raw.length();
    int start = raw.lastIndexOf('/', end - 1) + 1;
    return RawPaths.unescape(raw, start, end);
  }

  @Override
  public String toString() {
    return "FileTreeSource{" + description() + "}";
  }
}
