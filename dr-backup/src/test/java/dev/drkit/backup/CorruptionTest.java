package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.DrException;
import dev.drkit.core.EncryptionConfig;
import dev.drkit.spi.BlobInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A single flipped byte in any repository file is detected, and restore never yields wrong data. */
class CorruptionTest {
  static final char[] PASS = "pw".toCharArray();
  @TempDir Path tmp;

  @Test
  void singleByteCorruptionOfAnyFileIsDetectedAndNeverRestoredSilently() throws IOException {
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
    try (Repository repo = Repository.init(pristine, EncryptionConfig.aes256Gcm("prompt"), PASS, opts)) {
      repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      Files.writeString(src.resolve("text"), "changed ".repeat(10_000));
      repo.backup(BackupRequest.of(FileTreeSource.of(src)));
    }
    Map<String, String> expected = TestTrees.describe(src);
    List<BlobInfo> files = pristine.list("");
    assertThat(files).extracting(BlobInfo::key).anyMatch(k -> k.startsWith("packs/"))
        .anyMatch(k -> k.startsWith("index/")).anyMatch(k -> k.startsWith("snapshots/"))
        .anyMatch(k -> k.startsWith("keys/")).contains("config");
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
}
