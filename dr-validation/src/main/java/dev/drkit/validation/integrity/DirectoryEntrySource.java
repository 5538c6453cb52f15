package dev.drkit.validation.integrity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The files under a directory as entries keyed by file range: each regular file of size {@code s}
 * contributes {@code max(1, ceil(s / chunkSize))} entries keyed {@code relative/path#i}, entry
 * {@code i} covering bytes {@code [i * chunkSize, min(s, (i + 1) * chunkSize))} (an empty file has
 * the single empty chunk {@code #0}), whose fingerprint is the chunk's content. A differing key
 * therefore names the file and the byte range that differ. A symbolic link is one entry
 * {@code relative/path@link} whose fingerprint is its target; links are not followed. Paths use
 * {@code /} whatever the platform.
 */
public final class DirectoryEntrySource implements EntrySource {
  private final Path root;
  private final int chunkSize;

  /**
   * @param root the directory
   * @param chunkSize the range size in bytes, positive
   */
  public DirectoryEntrySource(Path root, int chunkSize) {
    this.root = Objects.requireNonNull(root, "root");
    if (chunkSize < 1) {
      throw new IllegalArgumentException("chunkSize must be positive but was " + chunkSize);
    }
    this.chunkSize = chunkSize;
  }

  /**
   * @param key a key of this source
   * @param chunkSize the chunk size it was made with
   * @return a readable description: the file and byte range, for example {@code a/b.bin bytes
   *     [1048576, 2097152)}
   */
  public static String describeKey(String key, int chunkSize) {
    int hash = key.lastIndexOf('#');
    if (hash < 0) {
      return key;
    }
    try {
      long i = Long.parseLong(key.substring(hash + 1));
      return key.substring(0, hash) + " bytes [" + i * chunkSize + ", " + (i + 1) * chunkSize + ")";
    } catch (NumberFormatException e) {
      return key;
    }
  }

  private List<Path> files() throws IOException {
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw new NoSuchFileException(root.toString(), null, "not a directory");
    }
    try (Stream<Path> s = Files.walk(root)) {
      List<Path> out = new ArrayList<>();
      s.filter(p -> !p.equals(root) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(out::add);
      return out;
    }
  }

  private String rel(Path p) {
    return root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
  }

  @Override
  public long estimatedEntries() throws IOException {
    long n = 0;
    for (Path p : files()) {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      n += a.isRegularFile() ? Math.max(1, (a.size() + chunkSize - 1) / chunkSize) : 1;
    }
    return n;
  }

  @Override
  public void forEach(EntryVisitor visitor) throws Exception {
    for (Path p : files()) {
      String rel = rel(p);
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (a.isSymbolicLink()) {
        byte[] target = Files.readSymbolicLink(p).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        visitor.visit(rel + "@link", target.length, () -> target);
        continue;
      }
      if (!a.isRegularFile()) {
        continue;
      }
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
        long size = ch.size();
        long chunks = Math.max(1, (size + chunkSize - 1) / chunkSize);
        for (long i = 0; i < chunks; i++) {
          long pos = i * chunkSize;
          int len = (int) Math.min(chunkSize, Math.max(0, size - pos));
          visitor.visit(rel + "#" + i, len, () -> read(ch, pos, len));
        }
      }
    }
  }

  private static byte[] read(FileChannel ch, long pos, int len) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(len);
    while (buf.hasRemaining()) {
      if (ch.read(buf, pos + buf.position()) < 0) {
        break;
      }
    }
    return buf.array();
  }

  @Override
  public String toString() {
    return "directory " + root;
  }
}
