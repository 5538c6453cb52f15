package dev.drkit.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.backup.internal.BlobCodec;
import dev.drkit.backup.internal.Crypto;
import dev.drkit.backup.internal.Ctx;
import dev.drkit.backup.internal.Id;
import dev.drkit.backup.internal.Index;
import dev.drkit.backup.internal.MemoryBudget;
import dev.drkit.backup.internal.PackEntry;
import dev.drkit.backup.internal.PackWriter;
import dev.drkit.backup.internal.Packs;
import dev.drkit.core.config.EncryptionConfig;
import dev.drkit.core.spi.BlobInfo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packs sealed straight into a pooled buffer are byte for byte the packs the earlier writer
 * assembled from separately sealed blobs (docs/repository-format.md, "Packs"): in an unencrypted
 * repository, where sealing is the identity and the bytes are deterministic, the stored pack equals
 * the reference assembly below, and the readers parse it as before.
 */
class PackFormatCompatibilityTest {
  private static final byte[] MAGIC = {'D', 'R', 'K', 'P'};
  @TempDir Path tmp;

  /**
   * The pack as {@code Packs.assemble} built it up to this change: the sealed blobs in order, the
   * sealed header {@code "DRKP" u8(1) u32(count) (u8 type, 32 id, u32 rawLength, u32 length)*}, its
   * length as a big-endian u32.
   */
  private static byte[] referencePack(Crypto crypto, List<BlobCodec.Encoded> blobs) {
    ByteBuffer header = ByteBuffer.allocate(9 + blobs.size() * 41);
    header.put(MAGIC).put((byte) 1).putInt(blobs.size());
    long total = 0;
    for (BlobCodec.Encoded b : blobs) {
      header.put(b.type()).put(b.id().bytes()).putInt(b.rawLength()).putInt(b.sealed().length);
      total += b.sealed().length;
    }
    byte[] sealedHeader = crypto.seal(header.array(), 0, header.position(),
        "drkit-pack-header".getBytes(StandardCharsets.UTF_8));
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(total + sealedHeader.length + 4));
    for (BlobCodec.Encoded b : blobs) {
      out.put(b.sealed());
    }
    out.put(sealedHeader).putInt(sealedHeader.length);
    return out.array();
  }

  private static List<byte[]> contents() {
    Random rnd = new Random(5);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      byte[] b = new byte[i == 3 ? 40 : 30_000 + 9_000 * i]; // one below zstd's 64-byte floor
      if (i % 2 == 0) {
        rnd.nextBytes(b); // stored raw
      } else {
        for (int j = 0; j < b.length; j++) {
          b[j] = (byte) ("compressible " + (j / 100)).charAt(j % 13); // stored as a zstd frame
        }
      }
      out.add(b);
    }
    return out;
  }

  @Test
  void aPackSealedInPlaceIsByteIdenticalToTheEarlierAssembly() {
    Path dir = tmp.resolve("repo");
    RepositoryOptions opts = RepositoryOptions.builder().host("h").parallelism(1).build();
    try (Repository repo = Repository.init(new FileSystemBlobStore(dir), EncryptionConfig.none(), null, opts)) {
      Ctx ctx = repo.ctx();
      Index index = Index.load(ctx.store(), ctx.crypto());
      PackWriter w = new PackWriter(ctx, index);
      List<BlobCodec.Encoded> reference = new ArrayList<>();
      byte[] scratch = new byte[0];
      byte type = BlobCodec.DATA;
      for (byte[] c : contents()) {
        Id id = ctx.codec().id(c, 0, c.length);
        if (scratch.length < BlobCodec.scratchSize(c.length)) {
          scratch = new byte[BlobCodec.scratchSize(c.length)];
        }
        w.add(type, id, c.length, scratch, ctx.codec().compress(c, 0, c.length, scratch));
        reference.add(ctx.codec().encode(type, id, c, 0, c.length));
        type = type == BlobCodec.DATA ? BlobCodec.TREE : BlobCodec.DATA;
      }
      w.finish();

      List<BlobInfo> packs = ctx.store().list("packs/");
      assertThat(packs).hasSize(1);
      byte[] stored = ctx.store().get(packs.get(0).key());
      byte[] expected = referencePack(ctx.crypto(), reference);
      assertThat(stored).isEqualTo(expected);
      Id packId = Crypto.sha256(expected);
      assertThat(packs.get(0).key()).isEqualTo(Packs.key(packId));

      // the readers see the blobs where the reference puts them
      List<PackEntry> entries = Index.readPackHeader(ctx.store(), ctx.crypto(), packId, stored.length);
      assertThat(entries).hasSize(reference.size());
      assertThat(Index.expectedPackSize(ctx.crypto(), entries)).isEqualTo(stored.length);
      List<byte[]> cs = contents();
      int offset = 0;
      for (int i = 0; i < entries.size(); i++) {
        PackEntry e = entries.get(i);
        assertThat(e.id()).isEqualTo(reference.get(i).id());
        assertThat(e.offset()).isEqualTo(offset);
        assertThat(e.length()).isEqualTo(reference.get(i).sealed().length);
        assertThat(ctx.codec().decode(e.type(), e.id(), e.rawLength(), stored, e.offset(), e.length(), "pack"))
            .isEqualTo(cs.get(i));
        offset += e.length();
      }
      assertThat(index.get(reference.get(0).id())).isNotNull();
    }
  }

  @Test
  void anEncryptedPackHasTheDocumentedLayoutAndDecodes() {
    Path dir = tmp.resolve("enc");
    RepositoryOptions opts = RepositoryOptions.builder().host("h").parallelism(1).build();
    char[] pass = "format".toCharArray();
    try (Repository repo = Repository.init(new FileSystemBlobStore(dir), EncryptionConfig.aes256Gcm("prompt"), pass,
        opts)) {
      Ctx ctx = repo.ctx();
      PackWriter w = new PackWriter(ctx, Index.load(ctx.store(), ctx.crypto()));
      List<byte[]> cs = contents();
      long sealedTotal = 0;
      for (byte[] c : cs) {
        byte[] scratch = new byte[BlobCodec.scratchSize(c.length)];
        int n = ctx.codec().compress(c, 0, c.length, scratch);
        sealedTotal += ctx.codec().sealedLength(n);
        w.add(BlobCodec.DATA, ctx.codec().id(c, 0, c.length), c.length, scratch, n);
      }
      w.finish();
      assertThat(Packs.trailerLength(ctx.crypto(), 1)).isLessThanOrEqualTo(MemoryBudget.PACK_TRAILER_ROOM);
      BlobInfo pack = ctx.store().list("packs/").get(0);
      byte[] stored = ctx.store().get(pack.key());
      // blobs, then seal(header of 9 + 41 * 7 bytes), then its length
      int headerLength = ByteBuffer.wrap(stored, stored.length - 4, 4).getInt();
      assertThat(headerLength).isEqualTo(9 + 41 * cs.size() + Crypto.OVERHEAD);
      assertThat(stored.length).isEqualTo(sealedTotal + headerLength + 4);
      assertThat(pack.key()).isEqualTo(Packs.key(Crypto.sha256(stored)));
      List<PackEntry> entries = Packs.parseHeader(ctx.crypto(), Crypto.sha256(stored), stored, stored.length);
      for (int i = 0; i < entries.size(); i++) {
        PackEntry e = entries.get(i);
        assertThat(ctx.codec().decode(e.type(), e.id(), e.rawLength(), stored, e.offset(), e.length(), "pack"))
            .isEqualTo(cs.get(i));
      }
    }
  }

  @Test
  void packsStayWithinTheTargetHeaderIncludedAndABlobLargerThanItGetsAPackOfItsOwn() {
    Path dir = tmp.resolve("big");
    int target = 1 << 20;
    RepositoryOptions opts = RepositoryOptions.builder().host("h").parallelism(1).packSize(target).build();
    try (Repository repo = Repository.init(new FileSystemBlobStore(dir), EncryptionConfig.aes256Gcm("prompt"),
        "big".toCharArray(), opts)) {
      Ctx ctx = repo.ctx();
      Index index = Index.load(ctx.store(), ctx.crypto());
      PackWriter w = new PackWriter(ctx, index);
      Random rnd = new Random(1);
      List<byte[]> cs = new ArrayList<>();
      for (int size : new int[] {300_000, 300_000, 3 << 20, 300_000, 300_000, 300_000, 600_000}) {
        byte[] c = new byte[size];
        rnd.nextBytes(c);
        cs.add(c);
        byte[] scratch = new byte[BlobCodec.scratchSize(c.length)];
        w.add(BlobCodec.DATA, ctx.codec().id(c, 0, c.length), c.length, scratch,
            ctx.codec().compress(c, 0, c.length, scratch));
      }
      w.finish();
      assertThat(w.buffersInUse()).isZero();
      List<BlobInfo> packs = ctx.store().list("packs/");
      int blobs = 0;
      for (BlobInfo p : packs) {
        List<PackEntry> entries = index.packs().get(Packs.idOfKey(p.key()));
        assertThat(entries).isNotNull();
        blobs += entries.size();
        if (entries.stream().anyMatch(e -> e.rawLength() == 3 << 20)) {
          assertThat(entries).hasSize(1);
          assertThat(p.size()).isGreaterThan(target);
        } else {
          assertThat(p.size()).isLessThanOrEqualTo(target);
        }
        assertThat(Index.expectedPackSize(ctx.crypto(), entries)).isEqualTo(p.size());
      }
      assertThat(blobs).isEqualTo(cs.size());
      // 300k, 300k | 3M | 300k, 300k, 300k | 600k
      assertThat(packs).hasSize(4);
      for (byte[] c : cs) {
        PackEntry e = index.get(ctx.codec().id(c, 0, c.length));
        assertThat(e).isNotNull();
        byte[] sealed = ctx.store().getRange(Packs.key(e.pack()), e.offset(), e.length());
        assertThat(ctx.codec().decode(e.type(), e.id(), e.rawLength(), sealed, 0, sealed.length, "pack")).isEqualTo(c);
      }
    }
  }
}
