package dev.drkit.benchmarks.replication;

import dev.drkit.replication.internal.FrameCodec;
import dev.drkit.replication.internal.Wire;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: what authenticating the replication wire costs per BATCH: sealing a batch body on the
 * primary and opening it on the backup (HMAC-SHA256 over type, sequence number and body, both
 * directions' keys derived per connection), against an {@code insecure()} session that only numbers
 * messages. Throughput in batches per second; multiply by the batch size for bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class WireSealBenchmark {
  /** Batch body size in bytes (the primary batches up to 256 KiB by default). */
  @Param({"4096", "262144"})
  public int bytes;

  /** {@code psk} or {@code insecure}. */
  @Param({"psk", "insecure"})
  public String mode;

  private FrameCodec primary;
  private FrameCodec backup;
  private ByteBuffer body;

  /** Keys a fresh pair of codecs, as one connection's handshake would. */
  @Setup(Level.Trial)
  public void keys() {
    byte[] key = new byte[32];
    byte[] np = new byte[Wire.NONCE];
    byte[] nb = new byte[Wire.NONCE];
    np[0] = 1;
    nb[0] = 2;
    if (mode.equals("psk")) {
      primary = FrameCodec.keyed(key, "bench", np, nb, true);
      backup = FrameCodec.keyed(key, "bench", np, nb, false);
    } else {
      primary = FrameCodec.insecure();
      backup = FrameCodec.insecure();
    }
    body = ByteBuffer.allocate(bytes);
  }

  /** @return the opened body's size */
  @Benchmark
  public int sealAndOpen() {
    ByteBuffer[] parts = primary.seal(Wire.BATCH, body);
    int n = 0;
    for (int i = 1; i < parts.length; i++) {
      n += parts[i].remaining();
    }
    ByteBuffer message = ByteBuffer.allocate(1 + 8 + n);
    ByteBuffer head = parts[0];
    head.position(4);
    message.put(head);
    for (int i = 1; i < parts.length; i++) {
      message.put(parts[i]);
    }
    message.flip();
    return backup.open(message).remaining();
  }
}
