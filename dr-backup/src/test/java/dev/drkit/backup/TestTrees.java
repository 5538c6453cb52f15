package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Builds randomized trees and compares trees byte for byte (content, modes, mtimes, links). */
final class TestTrees {
  private TestTrees() {}

  static void randomTree(Path root, Random rnd, int files) throws IOException {
    Files.createDirectories(root);
    Path[] dirs = new Path[8];
    dirs[0] = root;
    for (int i = 1; i < dirs.length; i++) {
      dirs[i] = dirs[rnd.nextInt(i)].resolve("d" + i + (rnd.nextBoolean() ? " space" : ""));
      Files.createDirectories(dirs[i]);
    }
    Files.createDirectories(root.resolve("empty-dir"));
    byte[] shared = new byte[300_000];
    rnd.nextBytes(shared);
    for (int i = 0; i < files; i++) {
      Path dir = dirs[rnd.nextInt(dirs.length)];
      Path f = dir.resolve("f" + i + (i % 5 == 0 ? "-ünï" : "") + ".bin");
      int kind = rnd.nextInt(5);
      byte[] data;
      if (kind == 0) {
        data = new byte[0];
      } else if (kind == 1) {
        data = new byte[rnd.nextInt(2000)];
        rnd.nextBytes(data);
      } else if (kind == 2) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 50_000) {
          sb.append("line ").append(rnd.nextInt(100)).append(" of compressible text\n");
        }
        data = sb.toString().getBytes();
      } else if (kind == 3) {
        data = Arrays.copyOf(shared, 100_000 + rnd.nextInt(200_000));
      } else {
        data = new byte[rnd.nextInt(1_500_000)];
        rnd.nextBytes(data);
      }
      Files.write(f, data);
      Files.setAttribute(f, "unix:mode", new int[] {0644, 0600, 0755, 0444, 04755}[rnd.nextInt(5)]);
      Files.setLastModifiedTime(f, FileTime.fromMillis(1_500_000_000_000L + rnd.nextInt(1_000_000_000) * 7L));
    }
    Files.createSymbolicLink(root.resolve("link-rel"), Path.of("d1/../empty-dir"));
    Files.createSymbolicLink(root.resolve("link-abs"), Path.of("/etc/hostname"));
    Files.createSymbolicLink(root.resolve("link-dangling"), Path.of("no/such/target"));
    // a name that is not valid UTF-8 (raw byte 0xFF)
    Path odd = Path.of(URI.create(root.toUri().toString() + "odd%FFname%01.txt"));
    Files.write(odd, new byte[] {1, 2, 3});
    try (RandomAccessFile sparse = new RandomAccessFile(root.resolve("sparse.img").toFile(), "rw")) {
      sparse.setLength(12L << 20);
      sparse.seek(5L << 20);
      sparse.write("in the middle".getBytes());
    }
    Files.setAttribute(dirs[1], "unix:mode", 0750);
    Files.setLastModifiedTime(dirs[1], FileTime.fromMillis(1_600_000_000_000L));
  }

  /** path -> description (type, mode, mtime, content hash or link target) of everything under root. */
  static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.equals(root)) {
          continue;
        }
        String rel = root.toUri().relativize(p.toUri()).getRawPath();
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,lastModifiedTime,size", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        String d;
        if (Files.isSymbolicLink(p)) {
          d = "link->" + Files.readSymbolicLink(p);
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          d = "dir " + Integer.toOctalString(mode) + " " + ((FileTime) a.get("lastModifiedTime")).toMillis();
        } else {
          d = "file " + Integer.toOctalString(mode) + " " + ((FileTime) a.get("lastModifiedTime")).toMillis() + " "
              + a.get("size") + " " + Arrays.hashCode(Files.readAllBytes(p));
        }
        out.put(rel.endsWith("/") ? rel.substring(0, rel.length() - 1) : rel, d);
      }
    }
    return out;
  }

  static void assertSameTree(Path expected, Path actual) throws IOException {
    assertThat(describe(actual)).isEqualTo(describe(expected));
  }
}
