package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.backup.internal.Crypto;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.Index;
import dev.drkit.core.EventBus;
import dev.drkit.core.IntegrityException;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.config.RetentionPolicy;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.DrEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A damaged snapshot file is removed by {@code forget <id>} (the operator named it): that file and
 * nothing else goes, the removal says it was damaged, and a prune can then run again, treating
 * the data only that snapshot referenced as unused while keeping everything an intact snapshot
 * needs. A retention policy still refuses to guess about a damaged snapshot, pointing at
 * {@code forget <id>}.
 */
class ForgetDamagedSnapshotTest {
  @TempDir Path tmp;
  final InMemoryBlobStore store = new InMemoryBlobStore();
  final List<DrEvent> events = new CopyOnWriteArrayList<>();
  Repository repo;
  Path src;
  Snapshot first;
  Snapshot second;
  /** Content only {@link #first} holds. */
  byte[] onlyInFirst;

  /** How the first snapshot's file is damaged. */
  enum Damage {
    /** One byte flipped: the file no longer matches its name. */
    FLIPPED,
    /** Cut in half: no longer matches its name. */
    TRUNCATED,
    /** Bytes that match their name but do not decrypt (a file written by another key, or garbage). */
    UNDECRYPTABLE,
    /** Authentic (sealed with the repository's key, named by its hash) but not a snapshot's JSON. */
    UNPARSEABLE
  }

  @BeforeEach
  void twoSnapshots() throws IOException {
    EventBus bus = new EventBus();
    bus.register(events::add);
    repo = Repository.init(store, EncryptionConfig.aes256Gcm("prompt"), "pw".toCharArray(),
        RepositoryOptions.builder().host("h").eventBus(bus).build());
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("shared.txt"), "in both snapshots");
    onlyInFirst = new byte[50_000];
    new Random(3).nextBytes(onlyInFirst);
    Files.write(src.resolve("gone.bin"), onlyInFirst);
    first = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
    Files.delete(src.resolve("gone.bin"));
    Files.writeString(src.resolve("new.txt"), "only in the second");
    second = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
  }

  @AfterEach
  void close() {
    repo.close();
  }

  /** Damages the first snapshot; returns the id (the file's name) it is now known by. */
  private String damage(Damage how) {
    String key = "snapshots/" + first.id();
    byte[] b = store.get(key);
    switch (how) {
      case FLIPPED -> {
        b[b.length / 2] ^= 0x10;
        store.put(key, b);
        return first.id();
      }
      case TRUNCATED -> {
        store.put(key, Arrays.copyOf(b, b.length / 2));
        return first.id();
      }
      case UNDECRYPTABLE -> {
        store.delete(key);
        byte[] junk = new byte[b.length];
        new Random(5).nextBytes(junk);
        String id = Crypto.sha256(junk).hex();
        store.put("snapshots/" + id, junk);
        return id;
      }
      case UNPARSEABLE -> {
        store.delete(key);
        byte[] plain = "{\"version\": 1, \"time\": ".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = repo.ctx().crypto().seal(plain, 0, plain.length, Crypto.aad("drkit-snapshot"));
        String id = Crypto.sha256(sealed).hex();
        store.put("snapshots/" + id, sealed);
        return id;
      }
      default -> throw new AssertionError(how);
    }
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

  private boolean indexed(byte[] content) {
    Id id = repo.ctx().codec().id(content, 0, content.length);
    return Index.load(store, repo.ctx().crypto()).contains(id);
  }

  @ParameterizedTest
  @EnumSource(Damage.class)
  void forgetByIdRemovesTheDamagedFileOnlyAndThenPruneReclaimsWhatOnlyItReferenced(Damage how) throws IOException {
    String damagedId = damage(how);
    String damagedKey = "snapshots/" + damagedId;
    assertThat(indexed(onlyInFirst)).isTrue();
    // before: the damaged snapshot itself cannot be read, and prune refuses, pointing at forget <id>
    assertThatThrownBy(() -> repo.snapshot(damagedId)).isInstanceOf(IntegrityException.class);
    Map<String, String> before = contents();
    assertThatThrownBy(() -> repo.prune(ProgressListener.NONE)).isInstanceOf(IntegrityException.class)
        .hasMessageContaining(damagedKey).hasMessageContaining("forget " + damagedId)
        .hasMessageContaining("nothing was deleted");
    assertThat(contents()).isEqualTo(before);

    // forget by an upper-case unique prefix: removed, and said to be damaged
    Map<String, IntegrityException> told = new LinkedHashMap<>();
    List<String> removed = repo.forget(List.of(damagedId.substring(0, 10).toUpperCase(Locale.ROOT)), told::put);
    assertThat(removed).containsExactly(damagedId);
    assertThat(told).containsOnlyKeys(damagedId);
    assertThat(told.get(damagedId)).hasMessageContaining(damagedKey);
    Map<String, String> expected = new TreeMap<>(before);
    expected.remove(damagedKey);
    assertThat(contents()).as("only the damaged snapshot file is deleted").isEqualTo(expected);
    assertThat(events).filteredOn(e -> e.type().equals("snapshot.forgotten")).singleElement().satisfies(e -> {
      assertThat(e.severity()).isEqualTo(DrEvent.Severity.WARN);
      assertThat(e.attributes()).containsEntry("snapshot", damagedId).containsEntry("damaged", "true");
      assertThat(e.message()).contains("damaged snapshot " + damagedId.substring(0, 8) + " forgotten");
    });
    assertThat(repo.snapshots()).containsExactly(second);

    // prune runs again: the blob only the damaged snapshot referenced is unused and goes; what the
    // intact snapshot needs stays, and verify reads every byte of it
    PruneResult pruned = repo.prune(ProgressListener.NONE);
    assertThat(pruned.blobsRemoved()).isGreaterThanOrEqualTo(1);
    assertThat(indexed(onlyInFirst)).isFalse();
    VerifyReport report = repo.verify(true, ProgressListener.NONE);
    assertThat(report.damage()).isEmpty();
    Path out = tmp.resolve("out");
    repo.restore(second.id(), out);
    TestTrees.assertSameTree(src, out);
  }

  @Test
  void forgetOfADamagedAndAnIntactSnapshotTogetherRemovesBothAndTellsOnlyOfTheDamagedOne() {
    String damagedId = damage(Damage.FLIPPED);
    Snapshot third = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
    Map<String, IntegrityException> told = new LinkedHashMap<>();
    assertThat(repo.forget(List.of(second.id(), damagedId), told::put)).containsExactly(second.id(), damagedId);
    assertThat(told).containsOnlyKeys(damagedId);
    assertThat(repo.snapshots()).containsExactly(third);
    assertThat(events).filteredOn(e -> e.type().equals("snapshot.forgotten"))
        .extracting(e -> e.attributes().get("snapshot"), DrEvent::severity)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(second.id(), DrEvent.Severity.INFO),
            org.assertj.core.groups.Tuple.tuple(damagedId, DrEvent.Severity.WARN));
  }

  @Test
  void aRetentionPolicyRefusesToGuessAboutADamagedSnapshotAndPointsAtForgetById() {
    String damagedId = damage(Damage.FLIPPED);
    Map<String, String> before = contents();
    RetentionPolicy keepLast = RetentionPolicy.builder().keepLast(1).build();
    for (Runnable r : List.<Runnable>of(() -> repo.applyRetention(keepLast), () -> repo.planRetention(keepLast))) {
      assertThatThrownBy(r::run).isInstanceOf(IntegrityException.class)
          .hasMessageContaining("snapshots/" + damagedId)
          .hasMessageContaining("a retention policy cannot tell whether it keeps or removes that snapshot")
          .hasMessageContaining("forget " + damagedId);
    }
    assertThat(contents()).as("nothing removed").isEqualTo(before);
    // once the operator removed it by id, the policy applies
    repo.forget(List.of(damagedId));
    assertThat(repo.applyRetention(keepLast).toKeep()).hasSize(1);
  }

  @Test
  void aDamagedSnapshotIsNotRemovedWhenAnotherIdOfTheSameForgetMatchesNothing() {
    String damagedId = damage(Damage.TRUNCATED);
    Map<String, String> before = contents();
    assertThatThrownBy(() -> repo.forget(List.of(damagedId, "0000000000000000ffff")))
        .isInstanceOf(NoSuchSnapshotException.class);
    assertThat(contents()).isEqualTo(before);
    assertThatThrownBy(() -> repo.forget(List.of("latest"))).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("cannot tell which snapshot is the latest");
    assertThat(contents()).isEqualTo(before);
  }
}
