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
 * The BlobStore compatibility kit against a real S3 API server: S3Proxy on loopback with the
 * jclouds in-memory ({@code transient}) backend and the {@link KeyLayout#PLAIN} layout, as on a
 * flat object store. {@link S3BlobStoreFilesystemContractTest} runs the same kit on S3Proxy's
 * filesystem backend.
 */
@Tag("integration")
class S3BlobStoreContractTest extends BlobStoreContract {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  @TempDir
  static Path directory;
  private static S3ProxyServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = new S3ProxyServer("transient", directory);
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @Override
  protected BlobStore createStore() {
    // a fresh prefix per test: an empty store; small parts so that large blobs go multipart
    return server.store("contract/repo-" + PREFIXES.incrementAndGet()).multipartThreshold(S3BlobStore.MIN_PART_SIZE)
        .partSize(S3BlobStore.MIN_PART_SIZE).build();
  }

  @Override
  protected int largeBlobSize() {
    return 12 << 20;
  }
}
