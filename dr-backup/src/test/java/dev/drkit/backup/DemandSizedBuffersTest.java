package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.internal.BlobCodec;
import dev.drkit.backup.internal.Ctx;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.Index;
import dev.drkit.backup.internal.MemoryBudget;
import dev.drkit.backup.internal.Node;
import dev.drkit.backup.internal.PackWriter;
import dev.drkit.backup.internal.SnapshotFiles;
import dev.drkit.backup.spi.BackupSource;
import dev.drkit.backup.spi.SourceEntry;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobInfo;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup whose buffers are sized by demand cuts the same chunks and writes the same packs as
 * before: a chunk is cut as soon as its end is read (so the read buffer needs only {@code M + 1 MiB}),
 * a chunk of the maximum size still fits, a file larger than its scanned size makes the read buffer
 * grow, and pack buffers sized for what is still expected grow when more comes without changing a
 * pack.
 */
class DemandSizedBuffersTest {
  private static final int MIN = 16 << 10;
  private static final int AVG = 64 << 10;
  private static final int MAX = 256 << 10;
  @TempDir Path tmp;

  private static RepositoryOptions opts() {
    return RepositoryOptions.builder().host("h").chunkSizes(MIN, AVG, MAX).packSize(1 << 20).parallelism(2).build();
  }

  /** The chunk ids of {@code content} cut in one piece, as the chunker defines them. */
  private static List<Id> cutWhole(Ctx ctx, byte[] content) {
    List<Id> ids = new ArrayList<>();
    int pos = 0;
    while (pos < content.length) {
      int c = ctx.chunker().cut(content, pos, content.length - pos);
      ids.add(ctx.codec().id(content, pos, c));
      pos += c;
    }
    return ids;
  }

  /** A constant byte whose run has no cut point: every chunk of it has the maximum size. */
  private static byte[] maxChunks(Ctx ctx, int length) {
    for (int fill = 0; fill < 256; fill++) {
      byte[] b = new byte[length];
      Arrays.fill(b, (byte) fill);
      if (ctx.chunker().cut(b, 0, b.length) == MAX) {
        return b;
      }
    }
    throw new IllegalStateException("every constant byte has a cut point under this seed");
  }

  @Test
  void chunksAreCutWhereTheWholeContentCutsThemWhateverTheBuffering() throws Exception {
    Path dir = tmp.resolve("repo");
    try (Repository repo = Repository.init(new FileSystemBlobStore(dir), EncryptionConfig.none(), null, opts())) {
      Ctx ctx = repo.ctx();
      Random rnd = new Random(11);
      byte[] random = new byte[3 * MAX * 7 + 12_345]; // many refills of the M + 1 MiB buffer
      rnd.nextBytes(random);
      byte[] max = maxChunks(ctx, 5 * MAX + 777); // chunks of exactly the maximum and a tail
      byte[] mixed = new byte[4 << 20];
      rnd.nextBytes(mixed);
      System.arraycopy(max, 0, mixed, 1 << 20, 3 * MAX);
      byte[] small = "a small file".getBytes(StandardCharsets.UTF_8);
      // declared with 10 bytes at the scan: the read buffer starts small and has to grow
      byte[] grown = new byte[3 << 20];
      rnd.nextBytes(grown);
      byte[][] contents = {random, max, mixed, small, grown};
      long[] declared = {random.length, max.length, mixed.length, small.length, 10};
      BackupSource source = new BackupSource() {
        @Override
        public String description() {
          return "demand";
        }

        @Override
        public void scan(Consumer<SourceEntry> sink) {
          for (int i = 0; i < contents.length; i++) {
            byte[] c = contents[i];
            sink.accept(SourceEntry.file(("f" + i).getBytes(StandardCharsets.UTF_8), declared[i], 0644,
                Instant.parse("2026-01-01T00:00:00Z"), null, () -> new ByteArrayInputStream(c)));
          }
        }
      };
      Snapshot s = repo.backup(BackupRequest.of(source));
      Index index = Index.load(ctx.store(), ctx.crypto());
      List<Node> nodes = SnapshotFiles.entries(ctx, index, s);
      assertThat(nodes).hasSize(contents.length);
      for (Node n : nodes) {
        int i = Integer.parseInt(n.pathString().substring(1));
        assertThat(Arrays.asList(n.chunks())).as(n.pathString()).isEqualTo(cutWhole(ctx, contents[i]));
        assertThat(n.size()).isEqualTo(contents[i].length);
      }
      assertThat(cutWhole(ctx, max)).hasSize(6);
      repo.restore(s.id(), tmp.resolve("out"));
      for (int i = 0; i < contents.length; i++) {
        assertThat(Files.readAllBytes(tmp.resolve("out").resolve("f" + i))).isEqualTo(contents[i]);
      }
    }
  }

  /** Adds the blobs to a writer told to expect {@code expected} bytes (or nothing), returns the pack keys. */
  private static TreeSet<String> writePacks(Repository repo, List<byte[]> blobs, long expected, long[] allocated) {
    Ctx ctx = repo.ctx();
    PackWriter w = new PackWriter(ctx, Index.load(ctx.store(), ctx.crypto()));
    if (expected >= 0) {
      w.expect(expected);
    }
    for (byte[] b : blobs) {
      byte[] scratch = new byte[BlobCodec.scratchSize(b.length)];
      w.add(BlobCodec.DATA, ctx.codec().id(b, 0, b.length), b.length, scratch,
          ctx.codec().compress(b, 0, b.length, scratch));
    }
    w.finish();
    assertThat(w.buffersInUse()).isZero();
    allocated[0] = w.buffersAllocated();
    TreeSet<String> keys = new TreeSet<>();
    for (BlobInfo i : ctx.store().list("packs/")) {
      keys.add(i.key());
    }
    return keys;
  }

  @Test
  void packBuffersSizedForWhatIsExpectedGrowAndWriteTheSamePacks() {
    Random rnd = new Random(4);
    List<byte[]> blobs = new ArrayList<>();
    for (int i = 0; i < 14; i++) {
      byte[] b = new byte[50_000 + 20_000 * i];
      rnd.nextBytes(b);
      blobs.add(b);
    }
    long[] full = new long[1];
    long[] small = new long[1];
    long[] exact = new long[1];
    TreeSet<String> reference;
    TreeSet<String> grown;
    try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("a")), EncryptionConfig.none(), null,
        opts())) {
      reference = writePacks(repo, blobs, -1, full);
      // the same blobs again, into the same repository (ids are keyed per repository), by a writer
      // told far too little: every pack grows. Packs are named by their bytes, so no new name
      // means the same packs
      grown = writePacks(repo, blobs, 1000, small);
    }
    TreeSet<String> sized;
    try (Repository repo = Repository.init(new FileSystemBlobStore(tmp.resolve("c")), EncryptionConfig.none(), null,
        opts())) {
      sized = writePacks(repo, blobs.subList(0, 2), PackWriter.sealedBound(repo.ctx(), 120_000, 2), exact);
      assertThat(exact[0]).as("a small writer's buffer").isLessThan(200_000);
    }
    assertThat(reference).hasSizeGreaterThan(2);
    assertThat(grown).isEqualTo(reference);
    // without a figure, every buffer has the full size (how many depends on the uploads' pace)
    long capacity = MemoryBudget.packBuffer(MAX, 1 << 20);
    assertThat(full[0] % capacity).isZero();
    assertThat(full[0]).isGreaterThanOrEqualTo(capacity);
    assertThat(sized).hasSize(1);
  }

  @Test
  void packsInBuffersGrownFromSmallOnesWhoseUploadFailsReturnEveryBufferAndFailWithTheStoresError() {
    Path dir = tmp.resolve("failing");
    Repository.init(new FileSystemBlobStore(dir), EncryptionConfig.none(), null, opts()).close();
    Random rnd = new Random(8);
    PackBufferPoolTest.GatedStore store = new PackBufferPoolTest.GatedStore(dir, 2, true);
    try (Repository repo = Repository.open(store, null, opts())) {
      Ctx ctx = repo.ctx();
      PackWriter w = new PackWriter(ctx, Index.load(ctx.store(), ctx.crypto()));
      w.expect(1000); // the first pack starts small and grows, the next ones reuse its buffer or grow too
      Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> {
        for (int i = 0; i < 30; i++) {
          byte[] b = new byte[90_000 + 1000 * i];
          rnd.nextBytes(b);
          byte[] scratch = new byte[BlobCodec.scratchSize(b.length)];
          w.add(BlobCodec.DATA, ctx.codec().id(b, 0, b.length), b.length, scratch,
              ctx.codec().compress(b, 0, b.length, scratch));
        }
        w.finish();
      });
      w.abandon();
      assertThat(failure).isInstanceOf(dev.drkit.core.StorageException.class)
          .hasMessageContaining("device unplugged (injected)");
      assertThat(w.buffersInUse()).as("pack buffers not returned to the pool").isZero();
      assertThat(w.buffersCreated()).isBetween(1, MemoryBudget.packBuffers(store.writeConcurrency()));
    }
    try (Repository repo = Repository.open(new FileSystemBlobStore(dir), null, opts())) {
      assertThat(repo.verify(true, null).ok()).isTrue();
    }
  }
}
