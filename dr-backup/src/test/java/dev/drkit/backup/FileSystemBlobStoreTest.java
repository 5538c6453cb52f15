package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.StorageException;
import dev.drkit.core.spi.BlobInfo;
import dev.drkit.core.spi.BlobStore;
import dev.drkit.testkit.BlobStoreContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSystemBlobStoreTest extends BlobStoreContract {
  @TempDir Path dir;

  @Override
  protected BlobStore createStore() {
    return new FileSystemBlobStore(dir.resolve("store"));
  }

  @Test
  void failedWriteIsStorageExceptionAndLeavesNothingBehind() throws IOException {
    // an I/O error: the directory the blob needs is occupied by a regular file
    Files.writeString(dir.resolve("store").resolve("packs~"), "in the way");
    assertThatThrownBy(() -> store.put("packs/aa", new byte[10])).isInstanceOf(StorageException.class)
        .hasMessageContaining("packs/aa");
    assertThatThrownBy(() -> store.putIfAbsent("packs/aa", new byte[10])).isInstanceOf(StorageException.class);
    assertThat(store.list("")).isEmpty();
    try (Stream<Path> s = Files.walk(dir.resolve("store"))) {
      assertThat(s.filter(p -> p.getFileName().toString().startsWith("#tmp"))).isEmpty();
    }
  }

  @Test
  void leftoverTemporaryFilesAndForeignNamesAreInvisible() throws IOException {
    store.put("snapshots/a", new byte[3]);
    Path snapDir = dir.resolve("store").resolve("snapshots~");
    Files.write(snapDir.resolve("#tmp-crashed-writer"), new byte[5]);
    Files.write(snapDir.resolve("not a key"), new byte[5]);
    assertThat(store.list("snapshots/")).containsExactly(new BlobInfo("snapshots/a", 3));
  }

  @Test
  void writesLeaveNoTemporaryFiles() throws IOException {
    for (int i = 0; i < 20; i++) {
      store.put("k/" + i, new byte[i]);
      store.putIfAbsent("k/" + i, new byte[i]);
    }
    try (Stream<Path> s = Files.walk(dir.resolve("store"))) {
      assertThat(s.filter(p -> p.getFileName().toString().startsWith("#"))).isEmpty();
    }
  }

  @Test
  void survivesReopening() {
    store.put("a/b/c", new byte[] {1, 2, 3});
    BlobStore again = new FileSystemBlobStore(dir.resolve("store"));
    assertThat(again.get("a/b/c")).containsExactly(1, 2, 3);
  }
}
