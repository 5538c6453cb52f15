package dev.drkit.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.FileSystemBlobStore;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, run only with {@code -Ddrkit.measure=true}: the same full backup of the same
 * tree into a {@link FileSystemBlobStore} and into an {@link S3BlobStore} on S3Proxy (filesystem
 * backend, loopback; in the same JVM, or with {@code -Ddrkit.measure.s3proxy=process} in a JVM of
 * its own, as a storage server would be), alternating, each into a fresh repository. Tree size:
 * {@code -Ddrkit.measure.files} (default 200 files, about 60 MiB); rounds:
 * {@code -Ddrkit.measure.rounds} (default 3). Writes {@code target/s3-vs-filesystem-backup.txt}.
 */
class S3VersusFilesystemBackupMeasurement {
  private static final char[] PASS = "measure".toCharArray();
  @TempDir
  Path tmp;

  @Test
  void backupToS3ProxyVersusFilesystemStore() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("drkit.measure"), "measurement: run with -Ddrkit.measure=true");
    int files = Integer.getInteger("drkit.measure.files", 200);
    int rounds = Integer.getInteger("drkit.measure.rounds", 3);
    // -Ddrkit.measure.source=DIR backs up a given tree instead (for example the peer comparison's
    // data set of real files, benchmarks/peers/compare-backup.sh)
    String given = System.getProperty("drkit.measure.source", "");
    Path src = given.isEmpty() ? tmp.resolve("src") : Path.of(given);
    long bytes = 0;
    if (given.isEmpty()) {
      Files.createDirectories(src);
      Random rnd = new Random(1);
      for (int i = 0; i < files; i++) {
        byte[] b = new byte[100_000 + rnd.nextInt(500_000)];
        rnd.nextBytes(b);
        java.util.Arrays.fill(b, 0, b.length / 3, (byte) (i % 7)); // a third compressible
        Files.write(src.resolve("f" + i), b);
        bytes += b.length;
      }
    } else {
      try (java.util.stream.Stream<Path> all = Files.walk(src)) {
        bytes = all.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
      }
      files = -1;
    }
    List<String> lines = new ArrayList<>();
    lines.add("# full backup of " + (given.isEmpty() ? files + " files" : given) + ", " + bytes
        + " bytes, AES-256-GCM + zstd; ms per backup");
    lines.add("round\tfilesystem_ms\ts3proxy_ms\tratio");
    boolean separate = "process".equals(System.getProperty("drkit.measure.s3proxy", "in-process"));
    lines.add("# S3Proxy " + (separate ? "in a separate JVM process" : "in the same JVM") + ", loopback");
    Process proxy = null;
    try (S3ProxyServer inProcess = separate ? null : new S3ProxyServer(Files.createDirectories(tmp.resolve("s3")))) {
      String endpoint;
      if (separate) {
        proxy = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
            "-cp", System.getProperty("java.class.path"), S3ProxyMain.class.getName(),
            Files.createDirectories(tmp.resolve("s3")).toString()).redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
        java.io.BufferedReader out = new java.io.BufferedReader(
            new java.io.InputStreamReader(proxy.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("PORT ")) {
          // skip start-up output
        }
        assertThat(line).as("S3Proxy process announces its port").isNotNull();
        endpoint = "http://127.0.0.1:" + line.substring("PORT ".length()).trim();
      } else {
        endpoint = inProcess.endpoint();
      }
      String s3Endpoint = endpoint;
      double fsTotal = 0;
      double s3Total = 0;
      for (int round = 0; round < rounds; round++) {
        int r = round;
        // -Ddrkit.measure.only=s3|filesystem runs one side (for a profiler), the other reads 1 ms
        String only = System.getProperty("drkit.measure.only", "");
        long fs = only.equals("s3") ? 1 : time(() -> new FileSystemBlobStore(tmp.resolve("fs-repo-" + r)), src);
        long s3 = only.equals("filesystem") ? 1 : time(() -> S3BlobStore.builder(S3Location.parse("s3:" + s3Endpoint + "/bench/run-" + r))
            .staticCredentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY).createBucketIfMissing(true)
            .signPayload(!Boolean.getBoolean("drkit.measure.unsigned")).build(), src);
        fsTotal += fs;
        s3Total += s3;
        lines.add(round + "\t" + fs + "\t" + s3 + "\t" + String.format("%.2f", (double) s3 / fs));
      }
      lines.add("mean\t" + Math.round(fsTotal / rounds) + "\t" + Math.round(s3Total / rounds) + "\t"
          + String.format("%.2f", s3Total / fsTotal));
    } finally {
      if (proxy != null) {
        proxy.getOutputStream().close();
        if (!proxy.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
          proxy.destroyForcibly();
        }
      }
    }
    Path out = Path.of("target", "s3-vs-filesystem-backup.txt");
    Files.write(out, lines, StandardCharsets.UTF_8);
    lines.forEach(System.out::println);
  }

  private static long time(Supplier<BlobStore> stores, Path src) {
    try (BlobStore store = stores.get();
        Repository repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), PASS,
            RepositoryOptions.builder().host("bench").build())) {
      long t0 = System.nanoTime();
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(s.stats().files()).isPositive();
      return ms;
    }
  }
}
