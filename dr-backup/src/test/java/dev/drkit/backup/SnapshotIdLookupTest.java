package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.EncryptionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshot ids are hex, and an operator pastes them from tickets in upper case: every place that
 * takes an id (lookup, restore, forget, the id resolution) matches ids and prefixes without regard
 * to case, keeps the ambiguity error for a prefix of several snapshots, says "no snapshot matches"
 * naming what was typed, and refuses what is not hex with its own message, escaped.
 */
class SnapshotIdLookupTest {
  @TempDir Path tmp;
  final InMemoryBlobStore store = new InMemoryBlobStore();
  Repository repo;
  Path src;
  Snapshot first;
  Snapshot second;

  @BeforeEach
  void twoSnapshots() throws IOException {
    repo = Repository.init(store, EncryptionConfig.none(), null, RepositoryOptions.builder().host("h").build());
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "alpha");
    first = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
    Files.writeString(src.resolve("b.txt"), "bravo");
    second = repo.backup(BackupRequest.of(FileTreeSource.of(src)));
  }

  @AfterEach
  void close() {
    repo.close();
  }

  private static String upper(String s) {
    return s.toUpperCase(Locale.ROOT);
  }

  /** Upper case where the id has a letter, so that the case really differs. */
  private static String mixed(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      sb.append(i % 2 == 0 ? Character.toUpperCase(c) : c);
    }
    return sb.toString();
  }

  /** A prefix of {@code id} of {@code n} digits that holds a letter (a-f), so its case matters. */
  private static String prefixWithALetter(String id, int n) {
    for (int end = n; end <= id.length(); end++) {
      String p = id.substring(0, end);
      if (!p.equals(upper(p))) {
        return p;
      }
    }
    throw new AssertionError("an id of digits only: " + id);
  }

  @Test
  void anUpperCaseIdOrPrefixFindsTheSnapshot() {
    assertThat(repo.snapshot(upper(first.id()))).isEqualTo(first);
    assertThat(repo.snapshot(mixed(second.id()))).isEqualTo(second);
    String p = prefixWithALetter(second.id(), 8);
    assertThat(repo.snapshot(upper(p))).isEqualTo(second);
    assertThat(repo.snapshot(upper(p), SnapshotFilter.of(List.of("h"), List.of()))).isEqualTo(second);
    assertThat(repo.snapshotId(upper(p))).isEqualTo(second.id());
    assertThat(repo.snapshotId(upper(first.id()))).isEqualTo(first.id());
    assertThat(repo.snapshot("LATEST")).isEqualTo(second);
    assertThat(repo.snapshotId("Latest")).isEqualTo(second.id());
  }

  @Test
  void restoreTakesAnUpperCasePrefix() throws IOException {
    Path out = tmp.resolve("out");
    RestoreResult r = repo.restore(upper(prefixWithALetter(second.id(), 6)), out);
    assertThat(r.files()).isEqualTo(2);
    TestTrees.assertSameTree(src, out);
  }

  @Test
  void forgetTakesAnUpperCasePrefixAndReturnsTheFullLowerCaseId() {
    assertThat(repo.forget(List.of(upper(prefixWithALetter(first.id(), 4))))).containsExactly(first.id());
    assertThat(repo.snapshots()).containsExactly(second);
    // the same snapshot named twice, in two cases, is removed once
    assertThat(repo.forget(List.of(upper(second.id()), second.id().substring(0, 10)))).containsExactly(second.id());
    assertThat(repo.snapshots()).isEmpty();
  }

  @Test
  void aPrefixOfSeveralSnapshotsIsAmbiguousInAnyCaseAndNothingIsForgotten() {
    // a second file whose name shares the first 6 digits (ids are hashes: two real ones rarely do)
    String twin = first.id().substring(0, 6) + "0".repeat(58);
    store.put("snapshots/" + twin, store.get("snapshots/" + first.id()));
    String typed = upper(first.id().substring(0, 6));
    for (Runnable r : List.<Runnable>of(() -> repo.snapshot(typed), () -> repo.snapshotId(typed),
        () -> repo.restore(typed, tmp.resolve("out")), () -> repo.forget(List.of(typed)))) {
      assertThatThrownBy(r::run).isInstanceOf(AmbiguousSnapshotIdException.class)
          .hasMessageContaining("id prefix '" + typed + "' matches 2 snapshots").hasMessageContaining(first.id())
          .hasMessageContaining(twin).hasMessageContaining("give more of its digits")
          .satisfies(e -> assertThat(((AmbiguousSnapshotIdException) e).matches())
              .containsExactlyInAnyOrder(first.id(), twin));
    }
    assertThat(tmp.resolve("out")).doesNotExist();
    assertThat(store.stat("snapshots/" + first.id())).isPresent();
    assertThat(store.stat("snapshots/" + twin)).isPresent();
    // more digits tell them apart
    assertThat(repo.snapshot(upper(first.id().substring(0, 12)))).isEqualTo(first);
  }

  @Test
  void anIdNoSnapshotHasIsNotFoundNamingWhatWasTyped() {
    String typed = nonMatching();
    for (Runnable r : List.<Runnable>of(() -> repo.snapshot(typed), () -> repo.snapshotId(typed),
        () -> repo.restore(typed, tmp.resolve("out")), () -> repo.forget(List.of(second.id(), typed)))) {
      assertThatThrownBy(r::run).isInstanceOf(NoSuchSnapshotException.class)
          .hasMessage("no snapshot matches id '" + typed + "'")
          .satisfies(e -> assertThat(((NoSuchSnapshotException) e).typed()).isEqualTo(typed));
    }
    // forget resolves every id before removing any
    assertThat(repo.snapshots()).containsExactly(first, second);
    assertThatThrownBy(() -> repo.snapshot(upper(first.id()), SnapshotFilter.of(List.of("other"), List.of())))
        .isInstanceOf(NoSuchSnapshotException.class).hasMessageContaining("no snapshot of host other matches id '"
            + upper(first.id()) + "'");
  }

  /** Four upper-case hex digits no snapshot id starts with. */
  private String nonMatching() {
    for (int i = 0xabcd; ; i++) {
      String p = upper(Integer.toHexString(i));
      if (!first.id().startsWith(p.toLowerCase(Locale.ROOT)) && !second.id().startsWith(p.toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
  }

  @Test
  void whatIsNotHexIsRefusedWithItsOwnMessageEscapedNotReportedAsMissing() {
    String escape = "4f2a\u001b[2J";
    String newline = first.id().substring(0, 8) + "\nforged log line";
    String[][] cases = {
        {"xyz12", "'xyz12' is not a snapshot id: character 1 ('x') is not a hex digit"},
        {"4f2g", "'4f2g' is not a snapshot id: character 4 ('g') is not a hex digit"},
        {escape, "'4f2a\\u001b[2J' is not a snapshot id: character 5 ('\\u001b') is not a hex digit"},
        {newline, "'" + first.id().substring(0, 8) + "\\u000aforged log line' is not a snapshot id"},
        {" " + first.id(), "character 1 (' ') is not a hex digit"},
        {"4F2", "snapshot id prefix '4F2' is shorter than 4 hex digits"},
        {"", "snapshot id prefix '' is shorter than 4 hex digits"},
        {upper(first.id()) + "0", "it has 65 hex digits, an id has 64"},
        {"\u0430bcd", "'\\u0430bcd' is not a snapshot id"}, // a Cyrillic look-alike of 'a'
    };
    for (String[] c : cases) {
      for (Runnable r : List.<Runnable>of(() -> repo.snapshot(c[0]), () -> repo.snapshotId(c[0]),
          () -> repo.restore(c[0], tmp.resolve("out")), () -> repo.forget(List.of(c[0])))) {
        assertThatThrownBy(r::run).as(c[0]).isInstanceOf(InvalidSnapshotIdException.class)
            .hasMessageContaining(c[1]).satisfies(e -> {
              assertThat(e.getMessage()).doesNotContain("\u001b", "\n", "\u0430");
              assertThat(((InvalidSnapshotIdException) e).typed()).isEqualTo(c[0]);
            });
      }
    }
    String longJunk = "z".repeat(10_000);
    assertThatThrownBy(() -> repo.snapshot(longJunk)).isInstanceOf(InvalidSnapshotIdException.class)
        .hasMessageContaining("(10000 characters)").message().hasSizeLessThan(400);
    assertThat(repo.snapshots()).containsExactly(first, second);
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void theNewExceptionsAreStillIllegalArgumentExceptionsForExistingCallers() {
    assertThatThrownBy(() -> repo.snapshot("zzzz")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> repo.snapshot(nonMatching())).isInstanceOf(IllegalArgumentException.class);
  }
}
