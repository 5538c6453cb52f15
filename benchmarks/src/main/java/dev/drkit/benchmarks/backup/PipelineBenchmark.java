package dev.drkit.benchmarks.backup;

import dev.drkit.backup.internal.BlobCodec;
import dev.drkit.backup.internal.Chunker;
import dev.drkit.backup.internal.Crypto;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.KeyMaterial;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The whole per-chunk pipeline on one thread: chunk, keyed id (HMAC-SHA-256), zstd (with raw
 * fallback), AES-256-GCM or ChaCha20-Poly1305, over 64 MiB that is half random (incompressible)
 * and half text-like.
 * MB/s per core = 64 MiB / (time per operation).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class PipelineBenchmark {
  /** zstd level. */
  @Param({"1", "3"})
  public int level;

  /** The repository's AEAD. */
  @Param({"aes-256-gcm", "chacha20-poly1305"})
  public String cipher;

  private byte[] data;
  private Chunker chunker;
  private BlobCodec codec;

  /** Builds data, keys and codec. */
  @Setup
  public void setUp() {
    data = new byte[64 << 20];
    Random rnd = new Random(1);
    rnd.nextBytes(data);
    byte[] text = "the quick brown fox jumps over the lazy dog; lorem ipsum dolor sit amet 0123456789\n"
        .getBytes(StandardCharsets.US_ASCII);
    for (int i = data.length / 2; i < data.length; i++) {
      data[i] = text[(i + (i >> 12) * 7) % text.length];
    }
    KeyMaterial km = KeyMaterial.generate();
    chunker = new Chunker(km.gearSeed(), 512 << 10, 1 << 20, 8 << 20);
    codec = new BlobCodec(new Crypto(km, Crypto.Aead.ofConfigName(cipher)), level);
  }

  /** @return total sealed bytes of 64 MiB */
  @Benchmark
  public long chunkHashCompressEncrypt64MiB() {
    int pos = 0;
    long out = 0;
    while (pos < data.length) {
      int c = chunker.cut(data, pos, data.length - pos);
      Id id = codec.id(data, pos, c);
      out += codec.encode(BlobCodec.DATA, id, data, pos, c).sealed().length;
      pos += c;
    }
    return out;
  }
}
