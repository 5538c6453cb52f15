package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.DrException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import dev.drkit.core.IntegrityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A single flipped byte in any repository file, encrypted or not, is detected, and restore never
 * yields wrong data; every failure is a {@link DrException}, never a codec's own exception.
 */
class CorruptionTest {
  static final char[] PASS = "pw".toCharArray();
  @TempDir Path tmp;

  @ParameterizedTest(name = "encryption={0}")
  @ValueSource(strings = {"aes-256-gcm", "chacha20-poly1305", "none"})
  void singleByteCorruptionOfAnyFileIsDetectedAndNeverRestoredSilently(String cipher) throws IOException {
    boolean encrypted = !cipher.equals("none");
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("dir"));
    Random rnd = new Random(42);
    for (int i = 0; i < 6; i++) {
      byte[] b = new byte[20_000 + rnd.nextInt(200_000)];
      rnd.nextBytes(b);
      Files.write(src.resolve("dir/f" + i), b);
    }
    Files.writeString(src.resolve("text"), "hello ".repeat(10_000));
    InMemoryBlobStore pristine = new InMemoryBlobStore();
    RepositoryOptions opts = RepositoryOptions.builder().packSize(1 << 20).build();
    try (Repository repo = Repository.init(pristine, new EncryptionConfig(EncryptionConfig.Algorithm.parse(cipher), "prompt"), PASS,
        opts)) {
      repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      Files.writeString(src.resolve("text"), "changed ".repeat(10_000));
      repo.backup(BackupRequest.of(FileTreeSource.of(src)));
    }
    Map<String, String> expected = TestTrees.describe(src);
    List<BlobInfo> files = pristine.list("");
    assertThat(files).extracting(BlobInfo::key).anyMatch(k -> k.startsWith("packs/"))
        .anyMatch(k -> k.startsWith("index/")).anyMatch(k -> k.startsWith("snapshots/"))
        .contains("config");
    assertThat(files).extracting(BlobInfo::key).as("key slots exist only when encrypted")
        .matches(keys -> keys.stream().anyMatch(k -> k.startsWith("keys/")) == encrypted);
    int rounds = Integer.getInteger("drkit.test.corruptionRounds", 1);
    int checked = 0;
    for (int round = 0; round < rounds; round++) {
      for (BlobInfo victim : files) {
        InMemoryBlobStore store = new InMemoryBlobStore();
        for (BlobInfo i : files) {
          store.put(i.key(), pristine.get(i.key()));
        }
        byte[] b = store.get(victim.key());
        int at = rnd.nextInt(b.length);
        b[at] ^= (byte) (1 << rnd.nextInt(8));
        store.put(victim.key(), b);
        String what = victim.key() + " byte " + at;
        Repository repo;
        try {
          repo = Repository.open(store, PASS, opts);
        } catch (DrException e) {
          assertThat(victim.key()).as(what).matches("config|keys/.*");
          checked++;
          continue;
        }
        try (repo) {
          VerifyReport report = repo.verify(true, ProgressListener.NONE);
          assertThat(report.ok()).as("verify --read-data must detect %s", what).isFalse();
          assertThat(report.damage()).as(what).anySatisfy(d -> assertThat(d.object()).isEqualTo(victim.key()));
          // restore of the latest snapshot: refused, or (damage outside every blob it needs) exact
          Path out = tmp.resolve("out-" + checked);
          try {
            repo.restore("latest", out);
            assertThat(TestTrees.describe(out)).as("restore after %s", what).isEqualTo(expected);
          } catch (DrException refused) {
            assertThat(refused.getMessage()).as(what).isNotBlank();
          }
        }
        checked++;
      }
    }
    assertThat(checked).isEqualTo(files.size() * rounds);
  }

  /**
   * The reported case: an unencrypted repository whose every pack has byte 40 flipped (inside a
   * zstd frame) must report each damaged blob and refuse restore with an IntegrityException naming
   * the blob and the pack, never leak zstd's own exception.
   */
  @Test
  void unencryptedRepositoryWithDamagedZstdFramesReportsBlobsAndRefusesRestore() throws IOException {
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    Files.writeString(src.resolve("a.txt"), "compressible text line\n".repeat(20_000));
    Files.writeString(src.resolve("b.txt"), "another compressible line\n".repeat(30_000));
    InMemoryBlobStore store = new InMemoryBlobStore();
    RepositoryOptions opts = RepositoryOptions.builder().build();
    try (Repository repo = Repository.init(store, EncryptionConfig.none(), null, opts)) {
      repo.backup(BackupRequest.of(FileTreeSource.of(src)));
    }
    List<String> packs = store.list("packs/").stream().map(BlobInfo::key).toList();
    assertThat(packs).isNotEmpty();
    for (String key : packs) {
      byte[] b = store.get(key);
      b[40] ^= 0x5a;
      store.put(key, b);
    }
    try (Repository repo = Repository.open(store, null, opts)) {
      VerifyReport report = repo.verify(true, ProgressListener.NONE);
      assertThat(report.ok()).isFalse();
      assertThat(report.damage()).anySatisfy(d -> {
        assertThat(packs).contains(d.object());
        assertThat(d.blob()).isNotNull();
        assertThat(d.reason()).contains("blob " + d.blob()).contains("damaged");
        assertThat(d.affected()).isNotEmpty();
      });
      assertThat(report.damage()).noneSatisfy(d -> assertThat(d.reason()).contains("ZstdException:"));
      Path out = tmp.resolve("out");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> repo.restore("latest", out))
          .isInstanceOf(IntegrityException.class)
          .hasMessageMatching("(?s).*blob [0-9a-f]{64}.*pack packs/.*");
    }
  }
}
