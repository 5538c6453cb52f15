package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.config.BackupType;
import dev.drkit.core.config.EncryptionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One snapshot holding several source roots, each under its absolute path (like restic). */
class MultiPathBackupTest {
  @TempDir Path tmp;

  private static RepositoryOptions options() {
    return RepositoryOptions.builder().host("test-host").build();
  }

  private static Path under(Path target, Path root) {
    return target.resolve(root.toAbsolutePath().toString().substring(1));
  }

  @Test
  void oneSnapshotHoldsEveryRootUnderItsAbsolutePathAndRestoresAllOfThem() throws IOException {
    Path a = tmp.resolve("data/alpha");
    Path b = tmp.resolve("etc");
    TestTrees.randomTree(a, new Random(1), 12);
    TestTrees.randomTree(b, new Random(2), 8);
    try (Repository repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null, options())) {
      Snapshot s = repo.backup(BackupRequest.of(FileTreeSource.of(List.of(b, a))));
      assertThat(s.paths()).containsExactly(a.toString(), b.toString());
      assertThat(s.source()).isEqualTo(a + ", " + b);
      assertThat(repo.snapshots()).singleElement().satisfies(x -> assertThat(x.paths()).isEqualTo(s.paths()));

      Path target = tmp.resolve("restored");
      repo.restore(s.id(), target);
      TestTrees.assertSameTree(a, under(target, a));
      TestTrees.assertSameTree(b, under(target, b));
      // ancestors are plain directories, nothing else was restored beside the roots
      try (var top = Files.list(under(target, tmp))) {
        assertThat(top.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("data", "etc");
      }

      // --include with the absolute path of one root restores only that root
      Path only = tmp.resolve("only");
      repo.restore(s.id(), only, List.of(b.toString()), ProgressListener.NONE);
      TestTrees.assertSameTree(b, under(only, b));
      assertThat(under(only, a)).doesNotExist();
    }
  }

  @Test
  void incrementalParentIsTheLatestSnapshotOfTheSameSetOfPaths() throws IOException {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    TestTrees.randomTree(a, new Random(3), 6);
    TestTrees.randomTree(b, new Random(4), 6);
    try (Repository repo = Repository.init(new InMemoryBlobStore(), EncryptionConfig.none(), null, options())) {
      Snapshot both = repo.backup(BackupRequest.of(FileTreeSource.of(List.of(a, b))));
      Snapshot onlyA = repo.backup(BackupRequest.of(FileTreeSource.of(a)));
      assertThat(onlyA.paths()).containsExactly(a.toString());

      // same set in another order (and a duplicate): the two-root snapshot is the parent, not onlyA
      Snapshot inc = repo.backup(BackupRequest.builder(FileTreeSource.of(List.of(b, a, b)))
          .type(BackupType.INCREMENTAL).build());
      assertThat(inc.parent()).isEqualTo(both.id());
      assertThat(inc.stats().filesRead()).isZero();
      assertThat(inc.stats().filesUnchanged()).isEqualTo(both.stats().files());

      // a single root keys on its own path: its parent is onlyA
      Snapshot incA = repo.backup(BackupRequest.builder(FileTreeSource.of(a)).type(BackupType.INCREMENTAL).build());
      assertThat(incA.parent()).isEqualTo(onlyA.id());

      // a different set has no parent: everything is read
      Path c = tmp.resolve("c");
      TestTrees.randomTree(c, new Random(5), 2);
      Snapshot other = repo.backup(BackupRequest.builder(FileTreeSource.of(List.of(a, c)))
          .type(BackupType.DIFFERENTIAL).build());
      assertThat(other.parent()).isNull();
      assertThat(other.stats().filesUnchanged()).isZero();
      assertThat(repo.verify(true, ProgressListener.NONE).ok()).isTrue();
    }
  }

  @Test
  void refusesOverlappingRootsAndAnEmptyList() {
    Path a = tmp.resolve("a");
    assertThatThrownBy(() -> FileTreeSource.of(List.of(a, a.resolve("inner"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlap").hasMessageContaining(a.toString());
    assertThatThrownBy(() -> FileTreeSource.of(List.of(Path.of("/"), a)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("contains every other path");
    assertThatThrownBy(() -> FileTreeSource.of(List.<Path>of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one path");
    // siblings sharing a name prefix do not overlap
    assertThat(FileTreeSource.of(List.of(a, tmp.resolve("a-b"))).paths()).hasSize(2);
  }
}
