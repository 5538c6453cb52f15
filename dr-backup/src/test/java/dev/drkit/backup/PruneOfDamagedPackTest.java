package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.backup.internal.BlobCodec;
import dev.drkit.backup.internal.Ctx;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.Index;
import dev.drkit.backup.internal.PackEntry;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prune repacks the blobs still used out of a partly used pack. A damaged one must not be copied
 * into a new pack as if it were good while the pack that held it (the evidence) is deleted: like
 * restic's repack, prune authenticates what it copies and refuses, naming blob and pack, with
 * nothing deleted.
 */
class PruneOfDamagedPackTest {
  @TempDir Path tmp;

  private static Map<String, String> contents(InMemoryBlobStore store) {
    Map<String, String> all = new TreeMap<>();
    for (BlobInfo i : store.list("")) {
      if (!i.key().startsWith("locks/")) {
        all.put(i.key(), Arrays.toString(store.get(i.key())));
      }
    }
    return all;
  }

  @ParameterizedTest(name = "encrypted={0}")
  @ValueSource(booleans = {true, false})
  void aDamagedBlobInAPackToRepackFailsThePruneNamingItAndNothingIsDeleted(boolean encrypted) throws IOException {
    InMemoryBlobStore store = new InMemoryBlobStore();
    Random random = new Random(7);
    byte[] keep = new byte[300_000];
    byte[] drop = new byte[300_000];
    random.nextBytes(keep);
    random.nextBytes(drop);
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.write(src.resolve("keep"), keep);
    Files.write(src.resolve("drop"), drop);
    try (Repository repo = Repository.init(store,
        encrypted ? EncryptionConfig.aes256Gcm("prompt") : EncryptionConfig.none(),
        encrypted ? "pw".toCharArray() : null, RepositoryOptions.builder().host("h").build())) {
      Snapshot both = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      Files.delete(src.resolve("drop"));
      Snapshot kept = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      repo.forget(List.of(both.id()));

      // damage every data blob of the pack that holds both files: "keep" is still used, so the
      // pack is partly used and prune would repack it
      Ctx ctx = repo.ctx();
      Index index = Index.load(ctx.store(), ctx.crypto());
      String damagedPack = null;
      for (Map.Entry<Id, List<PackEntry>> e : index.packs().entrySet()) {
        List<PackEntry> data = e.getValue().stream().filter(pe -> pe.type() == BlobCodec.DATA).toList();
        if (data.size() == 2) {
          damagedPack = dev.drkit.backup.internal.Packs.key(e.getKey());
          byte[] b = store.get(damagedPack);
          for (PackEntry pe : data) {
            b[pe.offset() + pe.length() / 2] ^= 0x01;
          }
          store.put(damagedPack, b);
        }
      }
      assertThat(damagedPack).as("the pack holding both files").isNotNull();
      String pack = damagedPack;

      Map<String, String> before = contents(store);
      assertThatThrownBy(() -> repo.prune(ProgressListener.NONE)).isInstanceOf(IntegrityException.class)
          .hasMessageContaining(pack).hasMessageMatching("(?s).*blob [0-9a-f]{64} .*")
          .hasMessageContaining("deleted nothing");
      assertThat(contents(store)).isEqualTo(before);
      // the damage is still there to be found, not laundered into a fresh pack
      assertThat(repo.verify(true, ProgressListener.NONE).damage()).isNotEmpty()
          .allSatisfy(d -> assertThat(d.object()).isEqualTo(pack));
      assertThatThrownBy(() -> repo.restore(kept.id(), tmp.resolve("out"))).isInstanceOf(IntegrityException.class)
          .hasMessageContaining(pack);
    }
  }
}
