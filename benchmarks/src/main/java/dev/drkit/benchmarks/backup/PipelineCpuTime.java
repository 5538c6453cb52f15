package dev.drkit.benchmarks.backup;

import dev.drkit.backup.internal.BlobCodec;
import dev.drkit.backup.internal.Chunker;
import dev.drkit.backup.internal.Crypto;
import dev.drkit.backup.internal.KeyMaterial;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The per-core cost of {@link PipelineBenchmark}'s backup work and {@link RestoreBenchmark}'s
 * decode work on the same 64 MiB, measured as the CPU time of the one thread doing it
 * ({@link ThreadMXBean#getCurrentThreadCpuTime()}) instead of wall time: on a shared, loaded
 * machine a thread's wall time includes the time it waited for a core, its CPU time does not.
 * Usage: {@code java -Xmx1g -cp benchmarks.jar dev.drkit.benchmarks.backup.PipelineCpuTime [ROUNDS]};
 * prints, per round, MB per CPU-second of each (the first rounds include JIT compilation).
 */
public final class PipelineCpuTime {
  private PipelineCpuTime() {}

  /**
   * @param args optional number of rounds (default 10)
   */
  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    byte[] data = new byte[64 << 20];
    Random rnd = new Random(1);
    rnd.nextBytes(data);
    byte[] text = "the quick brown fox jumps over the lazy dog; lorem ipsum dolor sit amet 0123456789\n"
        .getBytes(StandardCharsets.US_ASCII);
    for (int i = data.length / 2; i < data.length; i++) {
      data[i] = text[(i + (i >> 12) * 7) % text.length];
    }
    KeyMaterial km = KeyMaterial.generate();
    Chunker chunker = new Chunker(km.gearSeed(), 512 << 10, 1 << 20, 8 << 20);
    BlobCodec codec = new BlobCodec(new Crypto(km, Crypto.Aead.AES_256_GCM), 1);
    byte[] scratch = new byte[BlobCodec.scratchSize(8 << 20)];
    BlobCodec.Scratch decodeScratch = new BlobCodec.Scratch();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    double mb = data.length / 1e6;
    for (int r = 1; r <= rounds; r++) {
      List<BlobCodec.Encoded> blobs = new ArrayList<>();
      long c0 = mx.getCurrentThreadCpuTime();
      int pos = 0;
      while (pos < data.length) {
        int c = chunker.cut(data, pos, data.length - pos);
        blobs.add(codec.encode(BlobCodec.DATA, codec.id(data, pos, c), data, pos, c, scratch));
        pos += c;
      }
      long c1 = mx.getCurrentThreadCpuTime();
      long n = 0;
      for (BlobCodec.Encoded b : blobs) {
        n += codec.decodeInto(b.type(), b.id(), b.rawLength(), b.sealed(), 0, b.sealed().length, "cpu-time", false,
            decodeScratch);
      }
      long c2 = mx.getCurrentThreadCpuTime();
      if (n != data.length) {
        throw new IllegalStateException("decoded " + n + " bytes of " + data.length);
      }
      System.out.printf(Locale.ROOT, "round %d backup %.0f MB/CPU-s restore-decode %.0f MB/CPU-s%n", r,
          mb / ((c1 - c0) / 1e9), mb / ((c2 - c1) / 1e9));
    }
  }
}
