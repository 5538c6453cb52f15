package dev.drkit.backup.internal;

import dev.drkit.core.IntegrityException;
import dev.drkit.backup.spi.EntryType;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The binary entry stream of a snapshot: {@code "DRKT" u8(1) u32(count) entry*} where an entry is
 * {@code u8 type(1 file, 2 dir, 3 symlink) u16 len path u32 mode i64 mtimeNanos i64 size
 * u16 len target u16 len fileKey(UTF-8) u32 n (32 chunkId)*n}. The stream is cut into tree blobs
 * by the chunker and stored like file content.
 */
public final class Manifest {
  private static final byte[] MAGIC = {'D', 'R', 'K', 'T'};

  private Manifest() {}

  /** @param nodes the entries, parents before children @return the stream */
  public static byte[] encode(List<Node> nodes) {
    ByteArrayOutputStream bos = new ByteArrayOutputStream(64 + nodes.size() * 96);
    try (DataOutputStream out = new DataOutputStream(bos)) {
      out.write(MAGIC);
      out.writeByte(1);
      out.writeInt(nodes.size());
      for (Node n : nodes) {
        out.writeByte(code(n.type()));
        out.writeShort(n.path().length);
        out.write(n.path());
        out.writeInt(n.mode());
        out.writeLong(n.mtimeNanos());
        out.writeLong(n.size());
        out.writeShort(n.target().length);
        out.write(n.target());
        byte[] fk = n.fileKey().getBytes(StandardCharsets.UTF_8);
        out.writeShort(fk.length);
        out.write(fk);
        out.writeInt(n.chunks().length);
        for (Id c : n.chunks()) {
          out.write(c.bytes());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  private static int code(EntryType t) {
    switch (t) {
      case FILE:
        return 1;
      case DIRECTORY:
        return 2;
      case SYMLINK:
        return 3;
      default:
        throw new IllegalArgumentException(String.valueOf(t));
    }
  }

  /**
   * @param data the stream
   * @param what the snapshot, for errors
   * @return the entries
   * @throws IntegrityException when malformed
   */
  public static List<Node> decode(byte[] data, String what) {
    ByteBuffer b = ByteBuffer.wrap(data);
    try {
      byte[] magic = new byte[4];
      b.get(magic);
      if (!Arrays.equals(magic, MAGIC) || b.get() != 1) {
        throw new IntegrityException("entry stream of " + what + " has a bad magic or version");
      }
      int count = b.getInt();
      if (count < 0 || count > data.length) {
        throw new IntegrityException("entry stream of " + what + " has an impossible count");
      }
      List<Node> out = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        int t = b.get();
        EntryType type = t == 1 ? EntryType.FILE : t == 2 ? EntryType.DIRECTORY : t == 3 ? EntryType.SYMLINK : null;
        if (type == null) {
          throw new IntegrityException("entry stream of " + what + " has unknown entry type " + t);
        }
        byte[] path = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(path);
        int mode = b.getInt();
        long mtime = b.getLong();
        long size = b.getLong();
        byte[] target = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(target);
        byte[] fk = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(fk);
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / Id.LENGTH) {
          throw new IntegrityException("entry stream of " + what + " has an impossible chunk count");
        }
        Id[] chunks = new Id[n];
        for (int j = 0; j < n; j++) {
          byte[] id = new byte[Id.LENGTH];
          b.get(id);
          chunks[j] = Id.of(id);
        }
        out.add(new Node(type, path, mode, mtime, size, target, new String(fk, StandardCharsets.UTF_8), chunks));
      }
      return out;
    } catch (BufferUnderflowException e) {
      throw new IntegrityException("entry stream of " + what + " is truncated", e);
    } catch (IntegrityException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IntegrityException("entry stream of " + what + " is malformed: " + e, e);
    }
  }
}
