package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.DrEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One damaged snapshot or index file on the operator's worst day: it is named, it never stops the
 * intact snapshots from being restored (an index file is a cache of the pack headers), a
 * {@code latest} that could be the damaged one is refused rather than guessed, and prune refuses
 * without deleting anything.
 */
class DamagedMetadataFileTest {
  @TempDir Path tmp;
  final InMemoryBlobStore store = new InMemoryBlobStore();
  final List<DrEvent> events = new CopyOnWriteArrayList<>();
  Repository repo;
  Path src;
  Snapshot first;
  Snapshot second;

  @BeforeEach
  void twoSnapshots() throws IOException {
    EventBus bus = new EventBus();
    bus.register(events::add);
    repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), "pw".toCharArray(),
        RepositoryOptions.builder().host("h").eventBus(bus).build());
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "alpha");
    first = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
    Files.write(src.resolve("b.bin"), new byte[200_000]);
    Files.writeString(src.resolve("a.txt"), "alpha, changed");
    second = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
  }

  @AfterEach
  void close() {
    repo.close(); // idempotent
  }

  private void flipByte(String key) {
    byte[] b = store.get(key);
    b[b.length / 2] ^= 0x10;
    store.put(key, b);
  }

  /** Every stored file but the locks, by key. */
  private Map<String, String> contents() {
    Map<String, String> all = new TreeMap<>();
    for (BlobInfo i : store.list("")) {
      if (!i.key().startsWith("locks/")) {
        all.put(i.key(), Arrays.toString(store.get(i.key())));
      }
    }
    return all;
  }

  @Test
  void aDamagedSnapshotFileIsNamedAndDoesNotStopRestoringAnotherById() throws IOException {
    String damagedKey = "snapshots/" + first.id();
    flipByte(damagedKey);

    // by id (or prefix) only the snapshot named is read
    Path out = tmp.resolve("out");
    repo.restore(second.id().substring(0, 8), out);
    TestTrees.assertSameTree(src, out);
    assertThat(repo.snapshot(second.id()).id()).isEqualTo(second.id());
    // the damaged one itself is refused, naming its file
    assertThatThrownBy(() -> repo.restore(first.id(), tmp.resolve("out2"))).isInstanceOf(IntegrityException.class)
        .hasMessageContaining(damagedKey);
    assertThat(tmp.resolve("out2")).doesNotExist();
    // "latest" could be the damaged one: refused rather than handing out an older snapshot
    assertThatThrownBy(() -> repo.snapshot("latest")).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("cannot tell which snapshot is the latest").hasMessageContaining(damagedKey);

    // the listing that tolerates damage lists the rest and names the damaged file
    List<IntegrityException> damaged = new ArrayList<>();
    assertThat(repo.snapshots(SnapshotFilter.ALL, damaged::add)).extracting(Snapshot::id).containsExactly(second.id());
    assertThat(damaged).singleElement().extracting(Throwable::getMessage).asString().contains(damagedKey);
    assertThatThrownBy(() -> repo.snapshots()).isInstanceOf(IntegrityException.class).hasMessageContaining(damagedKey);

    // prune would work from an unknown set of snapshots: it refuses and deletes nothing
    Map<String, String> before = contents();
    assertThatThrownBy(() -> repo.prune(ProgressListener.NONE)).isInstanceOf(IntegrityException.class)
        .hasMessageContaining(damagedKey);
    assertThat(contents()).isEqualTo(before);
    assertThat(repo.verify(false, ProgressListener.NONE).damage()).singleElement()
        .satisfies(d -> assertThat(d.object()).isEqualTo(damagedKey));

    // new backups go on (the parent is chosen among the readable snapshots), saying what they met
    Files.writeString(src.resolve("c.txt"), "charlie");
    Snapshot third = repo.backup(BackupRequest.builder(FileTreeSource.of(src))
        .type(dev.drkit.core.config.BackupType.INCREMENTAL).build());
    assertThat(third.parent()).isEqualTo(second.id());
    assertThat(events).filteredOn(e -> e.type().equals("snapshot.damaged")).isNotEmpty()
        .allSatisfy(e -> assertThat(e.message()).contains(damagedKey));
    Path out3 = tmp.resolve("out3");
    repo.restore(third.id(), out3);
    TestTrees.assertSameTree(src, out3);
  }

  @Test
  void aDamagedKeySlotIsReportedByVerifyWhileTheOtherPassphraseStillOpens() {
    String second = repo.addKey("second".toCharArray());
    String damagedKey = "keys/" + second;
    flipByte(damagedKey);

    // found now, not on the day its passphrase is needed
    VerifyReport report = repo.verify(false, ProgressListener.NONE);
    assertThat(report.damage()).singleElement().satisfies(d -> {
      assertThat(d.object()).isEqualTo(damagedKey);
      assertThat(d.reason()).contains("does not match its name");
    });
    List<IntegrityException> damaged = new ArrayList<>();
    assertThat(repo.keys(damaged::add)).singleElement().satisfies(k -> assertThat(k.current()).isTrue());
    assertThat(damaged).singleElement().extracting(Throwable::getMessage).asString().contains(damagedKey)
        .contains("does not match its name");
    assertThatThrownBy(() -> repo.keys()).isInstanceOf(IntegrityException.class).hasMessageContaining(damagedKey);
    repo.close();
    assertThatThrownBy(() -> Repository.open(store, "second".toCharArray(), RepositoryOptions.defaults()))
        .isInstanceOf(IntegrityException.class).hasMessageContaining(damagedKey);
    Repository.open(store, "pw".toCharArray(), RepositoryOptions.defaults()).close();
  }

  @Test
  void strayOrGarbageFilesAreNamedInOneLineAndCrashNothing() throws IOException {
    store.put("snapshots/README", "not a snapshot".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    store.put("locks/0123456789abcdef0123456789abcdef", new byte[] {0, 'g', 'a', 'r', 'b'});
    byte[] garbage = "garbage".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String record = "deletions/" + dev.drkit.backup.internal.Crypto.sha256(garbage).hex();
    store.put(record, garbage);

    // verify names the stray file as damage instead of failing on its short name
    VerifyReport report = repo.verify(false, ProgressListener.NONE);
    assertThat(report.damage()).singleElement().satisfies(d -> {
      assertThat(d.object()).isEqualTo("snapshots/README");
      assertThat(d.affected()).containsExactly("snapshot README");
    });
    // an unreadable lock blocks no reader; a snapshot is still restored by id
    Path out = tmp.resolve("out");
    repo.restore(second.id(), out);
    TestTrees.assertSameTree(src, out);
    // a malformed JSON file is named in one line, without the parser's source location
    Map<String, String> before = contents();
    assertThatThrownBy(() -> repo.prune(ProgressListener.NONE)).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("snapshots/README")
        .hasMessageContaining("A file that is not named as a snapshot is not one: delete snapshots/README by hand")
        .message().doesNotContain("forget");
    store.delete("snapshots/README");
    assertThatThrownBy(() -> repo.prune(ProgressListener.NONE)).isInstanceOf(IntegrityException.class)
        .hasMessageStartingWith("deletion record " + record + " is malformed: ").message().doesNotContain("\n");
    before.remove("snapshots/README");
    assertThat(contents()).isEqualTo(before);
  }

  @Test
  void aRestoreLeavesADamagedIndexFileOutAndItsPacksHeadersServe() throws IOException {
    List<String> indexFiles = new ArrayList<>();
    store.list("index/").forEach(i -> indexFiles.add(i.key()));
    assertThat(indexFiles).hasSizeGreaterThanOrEqualTo(1);
    for (String key : indexFiles) {
      flipByte(key);
    }

    Path out = tmp.resolve("out");
    repo.restore("latest", out);
    TestTrees.assertSameTree(src, out);
    assertThat(events).filteredOn(e -> e.type().equals("index.damaged")).hasSize(indexFiles.size())
        .allSatisfy(e -> assertThat(e.severity()).isEqualTo(DrEvent.Severity.WARN))
        .anySatisfy(e -> assertThat(e.message()).contains(indexFiles.get(0)).contains("headers of its packs serve"));

    // verify still reports each damaged index file; prune and backups refuse and change nothing
    VerifyReport report = repo.verify(true, ProgressListener.NONE);
    assertThat(report.damage()).extracting(Damage::object).containsExactlyInAnyOrderElementsOf(indexFiles);
    Map<String, String> before = contents();
    assertThatThrownBy(() -> repo.prune(ProgressListener.NONE)).isInstanceOf(IntegrityException.class)
        .hasMessageContaining(indexFiles.get(0).substring(0, 6));
    assertThat(contents()).isEqualTo(before);
  }
}
