package dev.drkit.s3;

import dev.drkit.core.spi.BlobStore;
import dev.drkit.testkit.BlobStoreContract;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * The BlobStore compatibility kit against S3Proxy 2.6.0 with its {@code filesystem} backend (every
 * object a file under a test directory), on loopback, with the {@link KeyLayout#FILESYSTEM_SAFE}
 * layout: {@code a} and {@code a/b} coexist, 255-character segments fit, and the read checksum
 * turns the backend's non-atomic replacement into whole versions only.
 */
@Tag("integration")
class S3BlobStoreFilesystemContractTest extends BlobStoreContract {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  @TempDir
  static Path directory;
  private static S3ProxyServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = new S3ProxyServer("filesystem", directory);
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @Override
  protected BlobStore createStore() {
    // a fresh prefix per test: an empty store; small parts so that large blobs go multipart
    return server.store("contract/repo-" + PREFIXES.incrementAndGet()).multipartThreshold(S3BlobStore.MIN_PART_SIZE)
        .partSize(S3BlobStore.MIN_PART_SIZE).keyLayout(KeyLayout.FILESYSTEM_SAFE).build();
  }

  @Override
  protected int largeBlobSize() {
    return 12 << 20;
  }
}
