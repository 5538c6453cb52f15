package dev.drkit.backup;

import dev.drkit.backup.internal.FileOpener;
import dev.drkit.backup.internal.IsoInstants;
import dev.drkit.backup.internal.RawPaths;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.ScanSink;
import dev.drkit.backup.spi.SourceEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
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
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in {@link BackupSource} of one or several directory trees: regular files, directories
 * (also empty ones) and symbolic links (stored as links, never followed). Entry names are the raw
 * bytes the file system holds, so names and symlink targets in any encoding survive byte for byte.
 * Other file types (sockets, FIFOs, devices), and entries that cannot be read, vanish or change
 * type during the backup, or whose path is too long, are left out and reported as
 * {@link SkippedEntry}s. The change-tracking token is {@code dev:inode:ctime}, so hard links (two
 * names of one inode) are recognised and restored as hard links. A file is examined again after it
 * was read ({@link SourceEntry#changedSinceScan()}): a different size, modification time, change
 * time or inode reports it as changed while it was backed up, even at the same length. Files are read with
 * {@code O_NOFOLLOW}, and opened so that a FIFO swapped in can never block the backup (checked
 * before and after opening, the open itself bounded in time). Sparse files are read as their
 * logical content (holes read as zeros, which deduplicate to one blob and are restored as holes).
 * {@link #scan(Excludes, ScanSink)} applies {@link Excludes} while walking: patterns match
 * absolute paths and an excluded directory is never read.
 *
 * <p>With one root ({@link #of(Path)}) entries are relative to it. With several roots
 * ({@link #of(Collection)}, like restic) each root is stored under its absolute path without the
 * leading {@code /} (for example {@code home/ann/docs/a.txt}), with a directory entry for the root
 * and for each of its ancestors, so that a restore recreates every root below its target.
 */
public final class FileTreeSource implements BackupSource {
  private static final Logger LOG = LoggerFactory.getLogger(FileTreeSource.class);
  private static final String ATTRS = "unix:mode,dev,ino,ctime,size,lastModifiedTime";
  /** What a file is examined for again after it was read. */
  private static final String CHANGE_ATTRS = "unix:dev,ino,ctime,size,lastModifiedTime";
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

  /** Scans without excludes; entries that cannot be captured are logged and left out. */
  @Override
  public void scan(Consumer<SourceEntry> sink) throws IOException {
    Objects.requireNonNull(sink, "sink");
    scan(Excludes.NONE, new ScanSink() {
      @Override
      public void entry(SourceEntry entry) {
        sink.accept(entry);
      }

      @Override
      public void skipped(SkippedEntry skipped) {
        LOG.warn("skipping {}", skipped);
      }
    });
  }

  /**
   * Scans, leaving out what {@code excludes} names (patterns match the absolute path on disk;
   * an excluded directory is never read) and reporting each entry that cannot be captured (see
   * {@link SkippedEntry.Reason}) instead of failing.
   *
   * @throws IOException when a root cannot be read at all
   */
  @Override
  @SuppressWarnings("NullAway") // readAttributes returns every attribute it was asked for
  public void scan(Excludes excludes, ScanSink sink) throws IOException {
    Objects.requireNonNull(excludes, "excludes");
    Objects.requireNonNull(sink, "sink");
    if (roots.size() == 1) {
      Path dir = rootDir(roots.get(0));
      new Walk(excludes, sink, dir).walk(dir, RawPaths.bytes(roots.get(0)), new byte[0]);
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
          sink.entry(SourceEntry.directory(rel, (Integer) a.get("mode") & 07777,
              ((FileTime) a.get("lastModifiedTime")).toInstant()));
        }
      }
      new Walk(excludes, sink, dir).walk(dir, RawPaths.bytes(root), rel);
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

  /** One root's walk: excludes, skipped entries and the root's device. */
  private static final class Walk {
    private final Excludes excludes;
    private final ScanSink sink;
    private final @Nullable Object rootDev;

    Walk(Excludes excludes, ScanSink sink, Path root) throws IOException {
      this.excludes = excludes;
      this.sink = sink;
      this.rootDev = excludes.oneFileSystem() ? Files.getAttribute(root, "unix:dev", LinkOption.NOFOLLOW_LINKS) : null;
    }

    /**
     * @param dir the directory on disk
     * @param abs its absolute path bytes (what patterns match)
     * @param rel its path in the snapshot (empty for the root)
     */
    void walk(Path dir, byte[] abs, byte[] rel) throws IOException {
      List<Path> children = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          children.add(p);
        }
      } catch (IOException | java.nio.file.DirectoryIteratorException e) {
        IOException io = e instanceof IOException x ? x : ((java.nio.file.DirectoryIteratorException) e).getCause();
        if (rel.length == 0) {
          throw new IOException("cannot list backup source " + dir + ": " + io, io);
        }
        // the directory stays in the snapshot, empty; its contents are reported missing
        sink.skipped(SkippedEntry.of(rel, Objects.requireNonNull(io))); // a DirectoryIteratorException has its cause
        return;
      }
      List<byte[]> names = new ArrayList<>(children.size());
      Integer[] order = new Integer[children.size()];
      for (int i = 0; i < children.size(); i++) {
        names.add(nameBytes(children.get(i)));
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(names.get(a), names.get(b)));
      Set<String> markers = markers(children, names);
      for (int i : order) {
        Path p = children.get(i);
        byte[] name = names.get(i);
        if (!markers.isEmpty() && !markers.contains(new String(name, StandardCharsets.ISO_8859_1))) {
          continue; // a tagged directory keeps its tag file only
        }
        byte[] path = rel.length == 0 ? name : concat(rel, name);
        byte[] childAbs = abs.length == 1 ? concat(new byte[0], name) : concat(abs, name);
        if (excludes.excludes(childAbs)) {
          continue;
        }
        try {
          entry(p, path, childAbs);
        } catch (IOException e) {
          sink.skipped(SkippedEntry.of(path, e));
        } catch (IllegalArgumentException e) {
          sink.skipped(SkippedEntry.of(path, SkippedEntry.Reason.PATH_TOO_LONG, String.valueOf(e.getMessage())));
        }
      }
    }

    @SuppressWarnings("NullAway") // readAttributes returns every attribute in ATTRS
    private void entry(Path p, byte[] path, byte[] abs) throws IOException {
      Map<String, Object> a = Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode");
      Instant mtime = ((FileTime) a.get("lastModifiedTime")).toInstant();
      int fmt = mode & 0170000;
      if (fmt == 0040000) {
        sink.entry(SourceEntry.directory(path, mode & 07777, mtime));
        if (rootDev != null && !rootDev.equals(a.get("dev"))) {
          return; // a mount point: stored empty with --one-file-system
        }
        walk(p, abs, path);
      } else if (fmt == 0100000) {
        String fileKey = fileKey((Long) a.get("dev"), (Long) a.get("ino"), ((FileTime) a.get("ctime")).toInstant());
        FileContent content = new FileContent(p);
        sink.entry(SourceEntry.file(path, (Long) a.get("size"), mode & 07777, mtime, fileKey, content, content));
      } else if (fmt == 0120000) {
        sink.entry(SourceEntry.symlink(path, RawPaths.bytes(Files.readSymbolicLink(p)), mtime));
      } else {
        sink.skipped(SkippedEntry.of(path, SkippedEntry.Reason.SPECIAL_FILE, FileOpener.kind(fmt)
            + " is not a regular file, directory or symlink"));
      }
    }

    /**
     * @return the names (bytes as ISO-8859-1 strings) of the marker files in {@code dir}: a file
     *     named by {@code --exclude-if-present}, or a {@code CACHEDIR.TAG} with its signature; empty
     *     when there is none
     */
    private Set<String> markers(List<Path> children, List<byte[]> names) {
      if (excludes.ifPresent().isEmpty() && !excludes.excludeCaches()) {
        return Set.of();
      }
      Set<String> found = new TreeSet<>();
      for (int i = 0; i < children.size(); i++) {
        String utf8 = new String(names.get(i), StandardCharsets.UTF_8);
        String key = new String(names.get(i), StandardCharsets.ISO_8859_1);
        if (excludes.ifPresent().contains(utf8)) {
          found.add(key);
        } else if (excludes.excludeCaches() && utf8.equals(Excludes.CACHEDIR_TAG) && validTag(children.get(i))) {
          found.add(key);
        }
      }
      return found;
    }

    private static boolean validTag(Path tag) {
      byte[] sig = Excludes.CACHEDIR_SIGNATURE.getBytes(StandardCharsets.US_ASCII);
      try (java.io.InputStream in = Channels.newInputStream(FileOpener.open(tag))) {
        return Arrays.equals(in.readNBytes(sig.length), sig);
      } catch (IOException e) {
        LOG.warn("cannot read cache directory tag {}: {}", tag, e.toString());
        return false;
      }
    }
  }

  /**
   * A file's content, and the check after it was read: one {@code lstat} (size, modification time,
   * change time, device and inode) compared with what the scan saw. The same attributes, read the
   * same way, compare equal when nothing changed, whatever their precision.
   */
  private static final class FileContent implements SourceEntry.ContentOpener, SourceEntry.ChangeCheck {
    private final Path path;

    FileContent(Path path) {
      this.path = path;
    }

    @Override
    public java.io.InputStream open() throws IOException {
      return Channels.newInputStream(FileOpener.open(path));
    }

    @Override
    @SuppressWarnings("NullAway") // readAttributes returns every attribute it was asked for
    public java.util.Optional<String> since(SourceEntry scanned) throws IOException {
      Map<String, Object> a = Files.readAttributes(path, CHANGE_ATTRS, LinkOption.NOFOLLOW_LINKS);
      long size = (Long) a.get("size");
      Instant mtime = ((FileTime) a.get("lastModifiedTime")).toInstant();
      String key = fileKey((Long) a.get("dev"), (Long) a.get("ino"), ((FileTime) a.get("ctime")).toInstant());
      String was = scanned.fileKey();
      if (size == scanned.size() && mtime.equals(scanned.mtime()) && key.equals(was)) {
        return java.util.Optional.empty();
      }
      List<String> how = new ArrayList<>(4);
      if (size != scanned.size()) {
        how.add("size " + scanned.size() + " at the scan, now " + size);
      }
      if (!mtime.equals(scanned.mtime())) {
        how.add("modification time " + scanned.mtime() + " at the scan, now " + mtime);
      }
      if (!key.equals(was)) {
        // dev:inode:ctime (the time holds colons too)
        String[] now = key.split(":", 3);
        String[] then = was == null ? new String[] {"", "", ""} : was.split(":", 3);
        if (then.length == 3 && !(now[0].equals(then[0]) && now[1].equals(then[1]))) {
          how.add("inode " + then[0] + ":" + then[1] + " at the scan, now " + now[0] + ":" + now[1] + " (replaced)");
        }
        if (then.length != 3 || !now[2].equals(then[2])) {
          how.add("status change time " + (then.length == 3 ? then[2] : String.valueOf(was)) + " at the scan, now "
              + now[2]);
        }
      }
      return java.util.Optional.of(String.join("; ", how));
    }
  }

  /**
   * @return the change-tracking key of a file: {@code dev:inode:ctime}, the time written as
   *     {@link Instant#toString()} writes it (earlier snapshots hold keys of exactly this form; a key
   *     written differently would make every file look changed once)
   */
  static String fileKey(long dev, long ino, Instant ctime) {
    StringBuilder sb = new StringBuilder(48).append(dev).append(':').append(ino).append(':');
    return IsoInstants.append(sb, ctime.getEpochSecond(), ctime.getNano()).toString();
  }

  private static byte[] concat(byte[] rel, byte[] name) {
    byte[] out = new byte[rel.length + 1 + name.length];
    System.arraycopy(rel, 0, out, 0, rel.length);
    out[rel.length] = '/';
    System.arraycopy(name, 0, out, rel.length + 1, name.length);
    return out;
  }

  /**
   * The last name component's raw bytes: decoded back from the name's string where the JVM's file-name
   * encoding round-trips it ({@link RawPaths#fileNameBytes}), else from the file URI (which escapes raw
   * bytes, but looks the path up to tell whether it is a directory: one more {@code stat} per entry).
   */
  static byte[] nameBytes(Path p) {
    byte[] fast = RawPaths.fileNameBytes(p);
    if (fast != null) {
      return fast;
    }
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
