package dev.drkit.replication;

import dev.drkit.replication.internal.Frames;
import java.nio.ByteBuffer;

/**
 * Frames appended to a {@link ReplicationLog} and not yet written to a segment file: the appenders
 * encode into it under the append lock, the flusher takes it whole. A chunk with a
 * {@link #newSegmentBase} starts a new segment at that offset.
 */
final class PendingChunk {
  /** The base of the segment this chunk starts, or {@code -1} to continue the active one. */
  final long newSegmentBase;
  ByteBuffer buf = ByteBuffer.allocate(4096);
  long firstOffset = -1;
  long lastOffset = -1;
  long lastEpoch;
  long lastTimestamp;

  PendingChunk(long newSegmentBase) {
    this.newSegmentBase = newSegmentBase;
  }

  /** @return the buffer, grown if needed so that {@code len} more bytes fit */
  ByteBuffer reserve(int len) {
    if (buf.remaining() < len) {
      int cap = Math.max(buf.capacity() * 2, buf.position() + len);
      ByteBuffer nb = ByteBuffer.allocate(cap);
      buf.flip();
      nb.put(buf);
      buf = nb;
    }
    return buf;
  }

  /** Notes the frame of {@code len} bytes just put at the end of the buffer for {@code offset}. */
  void added(long offset, int len) {
    if (firstOffset < 0) {
      firstOffset = offset;
    }
    lastOffset = offset;
    int start = buf.position() - len;
    lastEpoch = Frames.epoch(buf, start);
    lastTimestamp = Frames.timestamp(buf, start);
  }
}
