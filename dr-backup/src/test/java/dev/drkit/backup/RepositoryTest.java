package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.BackupType;
import dev.drkit.core.ConfigException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.EventBus;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.WrongKeyException;
import dev.drkit.core.spi.DrEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryTest {
  static final char[] PASS = "correct horse".toCharArray();
  @TempDir Path tmp;
  final List<DrEvent> events = new CopyOnWriteArrayList<>();

  RepositoryOptions options() {
    EventBus bus = new EventBus();
    bus.register(events::add);
    return RepositoryOptions.builder().eventBus(bus).host("test-host").build();
  }

  @Test
  void restoreEqualsSourceOverRandomizedTrees() throws IOException {
    int rounds = Integer.getInteger("drkit.test.rounds", 3);
    for (int round = 0; round < rounds; round++) {
      Path src = tmp.resolve("src" + round);
      TestTrees.randomTree(src, new Random(round), 40);
      FileSystemBlobStore store = new FileSystemBlobStore(tmp.resolve("repo" + round));
      EncryptionConfig enc = switch (round % 3) {
        case 0 -> EncryptionConfig.aes256Gcm("prompt");
        case 1 -> EncryptionConfig.chacha20Poly1305("prompt");
        default -> EncryptionConfig.none();
      };
      try (Repository repo = Repository.init(store, enc, PASS, options())) {
        Snapshot s = repo.backup(BackupRequest.builder(FileTreeSource.of(src)).tag("t" + round).build());
        assertThat(s.stats().files()).isGreaterThan(40);
        Path out = tmp.resolve("out" + round);
        RestoreResult r = repo.restore(s.id(), out);
        assertThat(r.files()).isEqualTo(s.stats().files());
        TestTrees.assertSameTree(src, out);
        assertThat(repo.verify(true, ProgressListener.NONE).damage()).isEmpty();
      }
    }
    assertThat(events).extracting(DrEvent::type).contains("backup.started", "backup.succeeded", "restore.succeeded",
        "verify.succeeded");
  }

  @Test
  void incrementalTrustsUnchangedFilesAndStaysComplete() throws IOException {
    Path src = tmp.resolve("src");
    TestTrees.randomTree(src, new Random(11), 30);
    try (Repository repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null, options())) {
      Snapshot full = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      Path changed = src.resolve("changed.txt");
      Files.writeString(changed, "new content");
      Snapshot inc = repo.backup(BackupRequest.builder(FileTreeSource.of(src)).type(BackupType.INCREMENTAL).build());
      assertThat(inc.parent()).isEqualTo(full.id());
      assertThat(inc.stats().filesRead()).isEqualTo(1);
      assertThat(inc.stats().filesUnchanged()).isEqualTo(full.stats().files());
      Files.writeString(changed, "newer content, longer");
      Snapshot diff = repo.backup(BackupRequest.builder(FileTreeSource.of(src)).type(BackupType.DIFFERENTIAL).build());
      assertThat(diff.parent()).isEqualTo(full.id());
      assertThat(diff.stats().filesRead()).isEqualTo(1);
      Snapshot again = repo.backup(BackupRequest.builder(FileTreeSource.of(src)).type(BackupType.FULL).build());
      assertThat(again.stats().filesRead()).isEqualTo(again.stats().files());
      assertThat(again.stats().blobsAdded()).isZero();
      Path out = tmp.resolve("out");
      repo.restore(diff.id(), out);
      TestTrees.assertSameTree(src, out);
      assertThat(repo.snapshots()).extracting(Snapshot::id).containsExactly(full.id(), inc.id(), diff.id(), again.id());
    }
  }

  @Test
  void incrementalRereadsFileWhoseMtimeChangedButSizeDidNot() throws IOException {
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    Path f = src.resolve("a");
    Files.writeString(f, "aaaa");
    try (Repository repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null, options())) {
      repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      Files.writeString(f, "bbbb");
      Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000));
      Snapshot inc = repo.backup(BackupRequest.builder(FileTreeSource.of(src)).type(BackupType.INCREMENTAL).build());
      assertThat(inc.stats().filesRead()).isEqualTo(1);
      Path out = tmp.resolve("out");
      repo.restore("latest", out);
      assertThat(Files.readString(out.resolve("a"))).isEqualTo("bbbb");
    }
  }

  @Test
  void symlinkedRootIsFollowedOnceButLinksBelowItAreStoredAsLinks() throws IOException {
    Path real = tmp.resolve("real");
    Files.createDirectories(real);
    Files.writeString(real.resolve("a"), "a");
    Files.createSymbolicLink(real.resolve("up"), tmp);
    Path root = tmp.resolve("root-link");
    Files.createSymbolicLink(root, real);
    try (Repository repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null, options())) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(root)));
      assertThat(s.source()).isEqualTo(root.toString());
      assertThat(s.stats().files()).isEqualTo(1);
      assertThat(s.stats().symlinks()).isEqualTo(1);
      Path out = tmp.resolve("out");
      repo.restore(s.id(), out);
      assertThat(Files.readSymbolicLink(out.resolve("up"))).isEqualTo(tmp);
      assertThat(Files.readString(out.resolve("a"))).isEqualTo("a");
    }
  }

  @Test
  void structureVerifyNamesTheFilesAMissingPackBreaksAndReportsProgress() throws IOException {
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("d"));
    byte[] big = new byte[3_000_000];
    new Random(9).nextBytes(big);
    Files.write(src.resolve("d/big"), big);
    Files.writeString(src.resolve("small"), "small");
    InMemoryBlobStore store = new InMemoryBlobStore();
    RepositoryOptions opts = RepositoryOptions.builder().packSize(1 << 20).build();
    try (Repository repo = Repository.init(store, EncryptionConfig.none(), null, opts)) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      List<Progress> progress = new ArrayList<>();
      assertThat(repo.verify(true, progress::add).ok()).isTrue();
      assertThat(progress).last().satisfies(p -> {
        assertThat(p.done()).isTrue();
        assertThat(p.filesDone()).isEqualTo(p.filesTotal());
        assertThat(p.bytesDone()).isEqualTo(p.bytesTotal()).isPositive();
      });
      // delete the biggest pack: it holds (part of) d/big
      String victim = store.list("packs/").stream().max(java.util.Comparator.comparingLong(i -> i.size()))
          .orElseThrow().key();
      store.delete(victim);
      VerifyReport report = repo.verify(false, ProgressListener.NONE);
      assertThat(report.ok()).isFalse();
      assertThat(report.damage()).allSatisfy(d -> {
        assertThat(d.object()).isEqualTo(victim);
        assertThat(d.reason()).contains("missing");
      });
      assertThat(report.damage()).anySatisfy(d -> assertThat(d.affected()).contains(s.shortId() + ":d/big"));
      assertThatThrownBy(() -> repo.restore(s.id(), tmp.resolve("out"))).isInstanceOf(IntegrityException.class)
          .hasMessageContaining(victim);
    }
  }

  @Test
  void restoresOnlyIncludedPaths() throws IOException {
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("keep/sub"));
    Files.createDirectories(src.resolve("skip"));
    Files.writeString(src.resolve("keep/sub/x"), "x");
    Files.writeString(src.resolve("keep-not"), "y");
    Files.writeString(src.resolve("skip/z"), "z");
    try (Repository repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null, options())) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      Path out = tmp.resolve("out");
      RestoreResult r = repo.restore(s.shortId(), out, List.of("keep"), ProgressListener.NONE);
      assertThat(r.files()).isEqualTo(1);
      assertThat(Files.readString(out.resolve("keep/sub/x"))).isEqualTo("x");
      assertThat(out.resolve("keep-not")).doesNotExist();
      assertThat(out.resolve("skip")).doesNotExist();
    }
  }

  @Test
  void wrongPassphraseIsRejectedAndKeySlotsWork() {
    InMemoryBlobStore store = new InMemoryBlobStore();
    try (Repository repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), PASS, options())) {
      assertThat(repo.encrypted()).isTrue();
      String second = repo.addKey("second".toCharArray());
      assertThat(repo.keys()).hasSize(2).filteredOn(KeySlot::current).hasSize(1);
      assertThat(second).hasSize(64);
    }
    assertThatThrownBy(() -> Repository.open(store, "wrong".toCharArray(), options()))
        .isInstanceOf(WrongKeyException.class).hasMessageContaining("wrong passphrase");
    assertThatThrownBy(() -> Repository.open(store, null, options())).isInstanceOf(WrongKeyException.class);
    try (Repository viaSecond = Repository.open(store, "second".toCharArray(), options())) {
      viaSecond.changePassphrase("third".toCharArray());
    }
    assertThatThrownBy(() -> Repository.open(store, "second".toCharArray(), options()))
        .isInstanceOf(WrongKeyException.class);
    Repository.open(store, "third".toCharArray(), options()).close();
    Repository.open(store, PASS, options()).close();
  }

  @Test
  void aChaCha20Poly1305RepositoryReopensWithItsCipherAndRefusesTheWrongPassphrase() throws IOException {
    Path src = tmp.resolve("src");
    TestTrees.randomTree(src, new Random(11), 20);
    FileSystemBlobStore store = new FileSystemBlobStore(tmp.resolve("repo"));
    String id;
    try (Repository repo = Repository.init(store, EncryptionConfig.chacha20Poly1305("prompt"), PASS, options())) {
      assertThat(repo.encrypted()).isTrue();
      id = repo.backup(BackupRequest.of(FileTreeSource.of(src))).id();
    }
    assertThat(new String(store.get("config"), java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"encryption\":\"chacha20-poly1305\"");
    assertThatThrownBy(() -> Repository.open(store, "wrong".toCharArray(), options()))
        .isInstanceOf(WrongKeyException.class);
    try (Repository repo = Repository.open(store, PASS, options())) {
      repo.restore(id, tmp.resolve("out"));
      TestTrees.assertSameTree(src, tmp.resolve("out"));
      assertThat(repo.verify(true, ProgressListener.NONE).ok()).isTrue();
      // a second backup through the reopened repository deduplicates against the first
      assertThat(repo.backup(BackupRequest.of(FileTreeSource.of(src))).stats().blobsAdded()).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void refusesUnsafeOptionsAndDoubleInit() {
    assertThatThrownBy(() -> RepositoryOptions.builder().kdfIterations(1000).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("kdf-iterations");
    InMemoryBlobStore store = new InMemoryBlobStore();
    assertThatThrownBy(() -> Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), new char[0], options()))
        .isInstanceOf(ConfigException.class);
    Repository.init(store, EncryptionConfig.none(), null, options()).close();
    assertThatThrownBy(() -> Repository.init(store, EncryptionConfig.none(), null, options()))
        .isInstanceOf(RepositoryExistsException.class);
    assertThatThrownBy(() -> Repository.open(new InMemoryBlobStore(), PASS, options()))
        .isInstanceOf(RepositoryNotFoundException.class);
  }

  @Test
  void tamperedCiphertextIsRejectedNamingTheBlob() throws IOException {
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    byte[] content = new byte[100_000];
    new Random(3).nextBytes(content);
    Files.write(src.resolve("data"), content);
    InMemoryBlobStore store = new InMemoryBlobStore();
    try (Repository repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), PASS, options())) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
      List<String> packs = new ArrayList<>();
      store.list("packs/").forEach(i -> packs.add(i.key()));
      // the data blob is the largest: flip a byte in its middle
      String pack = packs.get(0);
      byte[] b = store.get(pack);
      int at = -1;
      for (String p : packs) {
        byte[] candidate = store.get(p);
        if (candidate.length > 90_000) {
          pack = p;
          b = candidate;
          at = 50_000;
        }
      }
      assertThat(at).isPositive();
      b[at] ^= 0x01;
      store.put(pack, b);
      String damaged = pack;
      assertThatThrownBy(() -> repo.restore(s.id(), tmp.resolve("out"))).isInstanceOf(IntegrityException.class)
          .hasMessageContaining(damaged);
      VerifyReport report = repo.verify(true, ProgressListener.NONE);
      assertThat(report.ok()).isFalse();
      assertThat(report.damage()).anySatisfy(d -> {
        assertThat(d.object()).isEqualTo(damaged);
        assertThat(d.blob()).isNotNull();
        assertThat(d.affected()).containsExactly(s.shortId() + ":data");
      });
    }
  }

  @Test
  void anEncryptedRepositoryWithoutKeySlotsIsReportedAsSuchNotAsAWrongPassphrase() {
    InMemoryBlobStore store = new InMemoryBlobStore();
    Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), PASS, options()).close();
    for (var slot : store.list("keys/")) {
      store.delete(slot.key());
    }
    assertThatThrownBy(() -> Repository.open(store, PASS, options())).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("holds no key slot").hasMessageContaining("key layout");
    assertThat(store.stat("config")).isPresent();
  }
}
