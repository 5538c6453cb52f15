package dev.drkit.benchmarks.backup;

import dev.drkit.backup.BackupRequest;
import dev.drkit.backup.FileTreeSource;
import dev.drkit.backup.InMemoryBlobStore;
import dev.drkit.backup.Repository;
import dev.drkit.backup.RepositoryOptions;
import dev.drkit.backup.internal.BlobCodec;
import dev.drkit.backup.internal.Chunker;
import dev.drkit.backup.internal.Crypto;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.KeyMaterial;
import dev.drkit.core.config.EncryptionConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Restore throughput, next to {@link PipelineBenchmark}'s backup figure, over the same 64 MiB (half
 * random, half text-like):
 * <ul>
 *   <li>{@link #decodeVerify64MiB}: the per-blob work of a restore on one thread: AEAD open,
 *       zstd decompression into reused buffers, length check (and, unencrypted, the keyed id).
 *       MB/s per core = 64 MiB / (time per operation).</li>
 *   <li>{@link #restore64MiB}: a whole restore through {@link Repository#restore} of a snapshot of
 *       64 files of 1 MiB, from an in-memory store into a directory under {@code java.io.tmpdir}
 *       (over the previous operation's files, which are replaced), with {@code parallelism}
 *       workers besides the reading thread.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class RestoreBenchmark {
  private static final char[] PASS = "restore-benchmark".toCharArray();

  /** The repository's AEAD. */
  @Param({"aes-256-gcm", "chacha20-poly1305"})
  public String cipher;

  /** Restore workers of {@link #restore64MiB}. */
  @Param({"1", "2"})
  public int parallelism;

  private BlobCodec codec;
  private final List<BlobCodec.Encoded> blobs = new ArrayList<>();
  private final BlobCodec.Scratch scratch = new BlobCodec.Scratch();
  private Path dir;
  private Path target;
  private Repository repo;
  private String snapshot;

  /** Builds the data, its sealed blobs, and a repository holding it as 64 files. */
  @Setup
  public void setUp() throws IOException {
    byte[] data = data();
    KeyMaterial km = KeyMaterial.generate();
    Chunker chunker = new Chunker(km.gearSeed(), 512 << 10, 1 << 20, 8 << 20);
    codec = new BlobCodec(new Crypto(km, Crypto.Aead.ofConfigName(cipher)), 1);
    int pos = 0;
    while (pos < data.length) {
      int c = chunker.cut(data, pos, data.length - pos);
      blobs.add(codec.encode(BlobCodec.DATA, codec.id(data, pos, c), data, pos, c));
      pos += c;
    }
    dir = Files.createTempDirectory("drkit-restore-bench");
    Path src = Files.createDirectories(dir.resolve("src"));
    for (int i = 0; i < 64; i++) {
      int from = (i % 2 == 0 ? 0 : data.length / 2) + (i / 2) * (1 << 20);
      Files.write(src.resolve("f" + i), java.util.Arrays.copyOfRange(data, from, from + (1 << 20)));
    }
    RepositoryOptions opts = RepositoryOptions.builder().parallelism(parallelism).build();
    EncryptionConfig enc = new EncryptionConfig(EncryptionConfig.Algorithm.parse(cipher), "prompt");
    repo = Repository.init(new InMemoryBlobStore(), enc, PASS, opts);
    snapshot = repo.backup(BackupRequest.of(FileTreeSource.of(src))).id();
    target = dir.resolve("target");
  }

  /** Closes the repository and deletes the files. */
  @TearDown
  public void tearDown() throws IOException {
    repo.close();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }

  /** @return plaintext bytes of 64 MiB, opened, decompressed and checked blob by blob */
  @Benchmark
  public long decodeVerify64MiB() {
    long n = 0;
    for (BlobCodec.Encoded b : blobs) {
      Id id = b.id();
      n += codec.decodeInto(b.type(), id, b.rawLength(), b.sealed(), 0, b.sealed().length, "benchmark", false,
          scratch);
    }
    return n;
  }

  /** @return bytes restored: 64 files of 1 MiB */
  @Benchmark
  public long restore64MiB() {
    return repo.restore(snapshot, target).bytes();
  }

  private static byte[] data() {
    byte[] data = new byte[64 << 20];
    Random rnd = new Random(1);
    rnd.nextBytes(data);
    byte[] text = "the quick brown fox jumps over the lazy dog; lorem ipsum dolor sit amet 0123456789\n"
        .getBytes(StandardCharsets.US_ASCII);
    for (int i = data.length / 2; i < data.length; i++) {
      data[i] = text[(i + (i >> 12) * 7) % text.length];
    }
    return data;
  }
}
