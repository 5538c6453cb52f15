package dev.drkit.backup.internal;

import dev.drkit.backup.UnsafePathException;
import dev.drkit.core.StorageException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps entry paths (raw bytes) into a restore target and refuses anything that would leave it: an
 * empty, {@code .} or {@code ..} component, an absolute path, a NUL byte, or an existing symbolic
 * link (or non-directory) among the parent components. Raw bytes are carried through a
 * {@code file:} URI, so names that are not valid in the JVM's file-name encoding survive.
 */
public final class SafeTarget {
  private final Path root;
  private final String rootUri;
  private final Set<String> checkedDirs = ConcurrentHashMap.newKeySet();
  private final TargetChannels channels;

  /**
   * @param root the target directory (created when absent)
   * @throws StorageException when it cannot be created or is not a directory
   */
  public SafeTarget(Path root) {
    this(root, TargetChannels.DEFAULT);
  }

  /**
   * @param root the target directory (created when absent)
   * @param channels opens the files written into it
   * @throws StorageException when it cannot be created or is not a directory
   */
  public SafeTarget(Path root, TargetChannels channels) {
    this.channels = Objects.requireNonNull(channels, "channels");
    this.root = root.toAbsolutePath().normalize();
    try {
      Files.createDirectories(this.root);
      Path unused = this.root.toRealPath(); // fails when the root cannot be resolved
    } catch (FileAlreadyExistsException e) {
      String blocking = e.getFile() == null ? String.valueOf(this.root) : e.getFile();
      throw new StorageException("cannot create restore target " + this.root + ": " + blocking
          + " exists and is not a directory", e);
    } catch (IOException e) {
      throw OutOfSpace.failure("cannot create restore target " + this.root, this.root.toString(), this.root,
          "run the restore again", e);
    }
    String u = this.root.toUri().getRawPath();
    this.rootUri = u.endsWith("/") ? u : u + "/";
  }

  /** @return opens the files written into the target */
  public TargetChannels channels() {
    return channels;
  }

  /** @return the target directory */
  public Path root() {
    return root;
  }

  /**
   * @param rel an entry path
   * @throws UnsafePathException when it is absolute or has an empty, {@code .}, {@code ..} or NUL component
   */
  public static void validate(byte[] rel) {
    String shown = RawPaths.display(rel); // a hostile name cannot put control bytes into a message
    if (rel.length == 0) {
      throw new UnsafePathException("refusing to restore an entry with an empty name");
    }
    if (rel[0] == '/') {
      throw new UnsafePathException("refusing to restore absolute path '" + shown + "'");
    }
    int start = 0;
    for (int i = 0; i <= rel.length; i++) {
      if (i == rel.length || rel[i] == '/') {
        int len = i - start;
        boolean dot = len == 1 && rel[start] == '.';
        boolean dotdot = len == 2 && rel[start] == '.' && rel[start + 1] == '.';
        if (len == 0 || dot || dotdot) {
          throw new UnsafePathException("refusing to restore '" + shown + "': it has an empty, '.' or '..' component");
        }
        start = i + 1;
      } else if (rel[i] == 0) {
        throw new UnsafePathException("refusing to restore '" + shown + "': it contains a NUL byte");
      }
    }
  }

  /**
   * @param rel a validated entry path
   * @return the path inside the target
   */
  public Path resolve(byte[] rel) {
    validate(rel);
    String sb = rootUri + RawPaths.percent(rel);
    try {
      Path p = Path.of(new URI("file://" + sb));
      if (!p.startsWith(root) || p.equals(root)) {
        throw new UnsafePathException("refusing to restore '" + RawPaths.display(rel) + "': it resolves outside "
            + root);
      }
      return p;
    } catch (java.net.URISyntaxException | IllegalArgumentException e) {
      throw new UnsafePathException("refusing to restore '" + RawPaths.display(rel) + "': " + e);
    }
  }

  /**
   * Makes sure every parent of {@code p} below the target is a real directory (creating missing
   * ones), never a symbolic link.
   *
   * @param p a path from {@link #resolve}
   * @throws UnsafePathException when a parent is a symlink or not a directory
   */
  public void ensureParents(Path p) {
    Path parent = Objects.requireNonNull(p.getParent()); // p is inside the root
    if (parent.equals(root)) {
      return;
    }
    ensureDir(parent, false);
  }

  /**
   * Makes sure {@code dir} is a real directory inside the target, creating it and its parents.
   *
   * @param dir a path from {@link #resolve} (or a parent of one)
   * @param entry whether {@code dir} itself is an entry (then an existing symlink there is an error too)
   */
  public void ensureDir(Path dir, boolean entry) {
    if (dir.equals(root)) {
      return;
    }
    String key = dir.toUri().getRawPath();
    if (checkedDirs.contains(key)) {
      return;
    }
    ensureDir(Objects.requireNonNull(dir.getParent()), false); // dir is inside the root
    try {
      BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      check(dir, a);
    } catch (NoSuchFileException e) {
      try {
        Files.createDirectory(dir);
      } catch (FileAlreadyExistsException race) {
        try {
          check(dir, Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException ex) {
          throw new StorageException("cannot create directory " + dir + ": " + ex, ex);
        }
      } catch (IOException ex) {
        throw OutOfSpace.failure("cannot create directory " + dir, dir.toString(), dir, "run the restore again", ex);
      }
    } catch (IOException e) {
      throw new StorageException("cannot inspect " + dir + ": " + e, e);
    }
    checkedDirs.add(key);
  }

  private void check(Path dir, BasicFileAttributes a) {
    if (a.isSymbolicLink()) {
      throw new UnsafePathException("refusing to restore through symbolic link " + dir
          + " (it could point outside " + root + ")");
    }
    if (!a.isDirectory()) {
      throw new UnsafePathException("refusing to restore into " + dir + ": it exists and is not a directory");
    }
  }
}
