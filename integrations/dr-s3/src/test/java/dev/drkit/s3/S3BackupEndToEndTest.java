package dev.drkit.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.ProgressListener;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.RestoreResult;
import dev.drkit.backup.Snapshot;
import dev.drkit.core.config.BackupType;
import dev.drkit.core.config.EncryptionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import dev.drkit.backup.RepositoryLockedException;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.SourceEntry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The backup engine end to end on an S3 repository: S3Proxy (filesystem backend) on loopback.
 * Backup, incremental backup, restore equals source, verify with data, forget and prune, and the
 * repository read back by a fresh store after the S3 server restarted.
 */
@Tag("integration")
class S3BackupEndToEndTest {
  private static final char[] PASS = "correct horse battery".toCharArray();
  @TempDir
  Path tmp;

  static void randomTree(Path root, Random rnd, int files) throws IOException {
    Files.createDirectories(root);
    for (int i = 0; i < files; i++) {
      Path dir = root.resolve("d" + rnd.nextInt(6)).resolve("e" + rnd.nextInt(3));
      Files.createDirectories(dir);
      int size = switch (rnd.nextInt(4)) {
        case 0 -> 0;
        case 1 -> rnd.nextInt(100);
        case 2 -> rnd.nextInt(50_000);
        default -> rnd.nextInt(400_000);
      };
      byte[] b = new byte[size];
      rnd.nextBytes(b);
      if (i % 3 == 0) {
        java.util.Arrays.fill(b, 0, size / 2, (byte) 'x'); // some compressible content
      }
      Files.write(dir.resolve("f" + i + ".bin"), b);
    }
    byte[] large = new byte[7 << 20]; // a file bigger than the multipart threshold, so packs go multipart
    rnd.nextBytes(large);
    Files.write(root.resolve("large.bin"), large);
  }

  static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = root.relativize(p).toString();
        if (Files.isRegularFile(p)) {
          m.put(rel, "file " + java.util.HexFormat.of().formatHex(
              java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        } else if (Files.isDirectory(p)) {
          m.put(rel, "dir");
        }
      }
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return m;
  }

  private static S3BlobStore store(S3ProxyServer server, KeyLayout layout) {
    return server.store("backups/hosts/db1").multipartThreshold(S3BlobStore.MIN_PART_SIZE)
        .partSize(S3BlobStore.MIN_PART_SIZE).keyLayout(layout).build();
  }

  private static RepositoryOptions options() {
    return RepositoryOptions.builder().host("test-host").packSize(8 << 20).build();
  }

  @ParameterizedTest
  @EnumSource(KeyLayout.class)
  void backupIncrementalRestoreVerifyPruneAndReopenAfterServerRestart(KeyLayout layout) throws Exception {
    Path src = tmp.resolve("src");
    randomTree(src, new Random(42), 60);
    Path data = tmp.resolve("s3-data");
    Files.createDirectories(data);
    Snapshot full;
    Snapshot inc;
    try (S3ProxyServer server = new S3ProxyServer(data); S3BlobStore store = store(server, layout);
        Repository repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), PASS, options())) {
      full = repo.backup(BackupRequest.builder(FileTreeSource.of(src)).tag("full").build());
      Files.writeString(src.resolve("changed.txt"), "changed after the full backup");
      inc = repo.backup(BackupRequest.builder(FileTreeSource.of(src)).type(BackupType.INCREMENTAL).build());
      assertThat(inc.stats().filesRead()).isEqualTo(1);

      Path out = tmp.resolve("out1");
      RestoreResult restored = repo.restore(inc.id(), out);
      assertThat(restored.files()).isEqualTo(inc.stats().files());
      assertThat(describe(out)).isEqualTo(describe(src));
      assertThat(repo.verify(true, ProgressListener.NONE).damage()).isEmpty();
      assertThat(store.list("")).isNotEmpty();
    }

    try (S3ProxyServer restarted = new S3ProxyServer(data); S3BlobStore store = store(restarted, layout);
        Repository repo = Repository.open(store, PASS, options())) {
      assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(full.id(), inc.id());
      Path out = tmp.resolve("out2");
      repo.restore(inc.id(), out);
      assertThat(describe(out)).isEqualTo(describe(src));

      assertThat(repo.forget(List.of(full.id()))).containsExactly(full.id());
      repo.prune(ProgressListener.NONE);
      assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(inc.id());
      assertThat(repo.verify(true, ProgressListener.NONE).damage()).isEmpty();
      Path out3 = tmp.resolve("out3");
      repo.restore(inc.id(), out3);
      assertThat(describe(out3)).isEqualTo(describe(src));
    }
  }

  /** A source that holds the backup inside its capture until the test lets it go. */
  private static final class HeldSource implements BackupSource {
    final BackupSource delegate;
    final CountDownLatch capturing = new CountDownLatch(1);
    final CountDownLatch proceed = new CountDownLatch(1);

    HeldSource(BackupSource delegate) {
      this.delegate = delegate;
    }

    @Override
    public String description() {
      return delegate.description();
    }

    @Override
    public void scan(Consumer<SourceEntry> sink) throws IOException {
      capturing.countDown();
      try {
        if (!proceed.await(30, TimeUnit.SECONDS)) {
          throw new IOException("the test never let the capture proceed");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      delegate.scan(sink);
    }
  }

  @Test
  void pruneFromASecondProcessHandleIsRefusedWhileABackupHoldsItsLockOnS3() throws Exception {
    Path src = tmp.resolve("src");
    randomTree(src, new Random(7), 10);
    Path data = tmp.resolve("s3-data");
    Files.createDirectories(data);
    try (S3ProxyServer server = new S3ProxyServer(data); S3BlobStore storeA = store(server, KeyLayout.PLAIN);
        Repository a = Repository.init(storeA, EncryptionConfig.aes256Gcm("prompt"), PASS, options());
        S3BlobStore storeB = store(server, KeyLayout.PLAIN); Repository b = Repository.open(storeB, PASS, options())) {
      HeldSource held = new HeldSource(FileTreeSource.of(src));
      CompletableFuture<Snapshot> backup = CompletableFuture.supplyAsync(() -> a.backup(BackupRequest.of(held)));
      assertThat(held.capturing.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(storeB.list("locks/")).hasSize(1);
      assertThatThrownBy(() -> b.prune(ProgressListener.NONE)).isInstanceOf(RepositoryLockedException.class)
          .hasMessageContaining("backup");
      held.proceed.countDown();
      Snapshot snap = backup.get(60, TimeUnit.SECONDS);
      assertThat(storeB.list("locks/")).isEmpty();
      b.prune(ProgressListener.NONE);
      assertThat(b.snapshots()).extracting(Snapshot::id).containsExactly(snap.id());
      assertThat(b.verify(true, ProgressListener.NONE).damage()).isEmpty();
    }
  }
}
