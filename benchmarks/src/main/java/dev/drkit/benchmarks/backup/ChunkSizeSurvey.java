package dev.drkit.benchmarks.backup;

import dev.drkit.backup.internal.Chunker;
import dev.drkit.backup.internal.Crypto;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.KeyMaterial;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Measures how much a directory tree deduplicates at several chunker sizes (chunks, unique chunks,
 * unique bytes): the evidence behind the default 512 KiB / 1 MiB / 8 MiB.
 * Usage: {@code java -cp benchmarks.jar dev.drkit.benchmarks.backup.ChunkSizeSurvey DIR}.
 */
public final class ChunkSizeSurvey {
  private ChunkSizeSurvey() {}

  /**
   * @param args the directory
   * @throws IOException when it cannot be read
   */
  public static void main(String[] args) throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(Path.of(args[0]))) {
      s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).forEach(files::add);
    }
    KeyMaterial km = KeyMaterial.generate();
    Crypto crypto = new Crypto(km, false);
    for (String spec : new String[] {"512/1024/8192", "256/512/2048", "128/256/1024", "64/128/1024"}) {
      String[] p = spec.split("/");
      Chunker ch = new Chunker(km.gearSeed(), Integer.parseInt(p[0]) << 10, Integer.parseInt(p[1]) << 10,
          Integer.parseInt(p[2]) << 10);
      Set<Id> seen = new HashSet<>();
      long total = 0;
      long unique = 0;
      long chunks = 0;
      for (Path f : files) {
        byte[] d = Files.readAllBytes(f);
        total += d.length;
        int pos = 0;
        while (pos < d.length) {
          int n = ch.cut(d, pos, d.length - pos);
          chunks++;
          if (seen.add(crypto.blobId(d, pos, n))) {
            unique += n;
          }
          pos += n;
        }
      }
      System.out.printf("%s KiB: %d chunks (%d unique), %.1f MB in all, %.1f MB unique (%.1f%% deduplicated)%n",
          spec, chunks, seen.size(), total / 1e6, unique / 1e6, 100.0 * (total - unique) / Math.max(1, total));
    }
  }
}
