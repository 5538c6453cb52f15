package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.ZstdCompressCtx;
import dev.drkit.backup.internal.BlobCodec;
import dev.drkit.backup.internal.Crypto;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.KeyMaterial;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A backup worker compresses all its chunks through one reused zstd context: the payloads must be
 * byte for byte what a fresh context per chunk makes, whatever came through the context before
 * (compressible, incompressible, tiny and large chunks in any order), and decode to the plaintext.
 */
class ReusedCompressorTest {
  @Test
  void reusedContextMakesTheSamePayloadsAsAFreshOneAndTheyDecode() {
    BlobCodec codec = new BlobCodec(new Crypto(KeyMaterial.generate(), true), 1);
    Random rnd = new Random(42);
    byte[][] inputs = new byte[8][];
    for (int i = 0; i < inputs.length; i++) {
      int len = switch (i % 4) {
        case 0 -> 3 << 20;
        case 1 -> 40;
        case 2 -> 700_000;
        default -> 1 << 20;
      };
      byte[] b = new byte[len];
      if (i % 2 == 0) {
        rnd.nextBytes(b); // incompressible: stored raw
      } else {
        byte[] text = ("line " + i + " of a compressible text\n").getBytes(StandardCharsets.UTF_8);
        for (int p = 0; p < len; p++) {
          b[p] = text[p % text.length];
        }
      }
      inputs[i] = b;
    }
    try (ZstdCompressCtx reused = codec.newCompressor()) {
      for (int round = 0; round < 2; round++) {
        for (byte[] in : inputs) {
          byte[] fresh = new byte[BlobCodec.scratchSize(in.length)];
          byte[] viaCtx = new byte[BlobCodec.scratchSize(in.length)];
          int n1 = codec.compress(in, 0, in.length, fresh);
          int n2 = codec.compress(in, 0, in.length, viaCtx, reused);
          assertThat(n2).as("payload length of a %d-byte chunk", in.length).isEqualTo(n1);
          assertThat(Arrays.copyOf(viaCtx, n2)).isEqualTo(Arrays.copyOf(fresh, n1));

          Id id = codec.id(in, 0, in.length);
          byte[] sealed = new byte[codec.sealedLength(n2)];
          int s = codec.sealInto(BlobCodec.DATA, id, viaCtx, n2, sealed, 0);
          assertThat(codec.decode(BlobCodec.DATA, id, in.length, sealed, 0, s, "test")).isEqualTo(in);
        }
      }
    }
  }
}
