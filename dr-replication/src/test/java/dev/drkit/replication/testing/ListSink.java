package dev.drkit.replication.testing;

import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.spi.ReplicationSink;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Host state as a list of applied records; survives simulated crashes like a durable store. */
public final class ListSink implements ReplicationSink {
  /** An applied record. */
  public record Entry(long epoch, long offset, String payload) {}

  private final List<Entry> entries = new ArrayList<>();
  private int failNext;
  private long fencedAt = -1;

  @Override
  public synchronized void apply(long epoch, long offset, ByteBuffer payload) {
    if (epoch < fencedAt) {
      throw new StaleEpochException("sink", epoch, fencedAt);
    }
    if (failNext > 0) {
      failNext--;
      throw new IllegalStateException("sink refuses offset " + offset + " (injected)");
    }
    if (offset != entries.size()) {
      throw new AssertionError("sink got offset " + offset + " but holds " + entries.size());
    }
    byte[] b = new byte[payload.remaining()];
    payload.get(b);
    entries.add(new Entry(epoch, offset, new String(b, StandardCharsets.UTF_8)));
  }

  /** @param e a record the host wrote itself (as primary) */
  public synchronized void local(Entry e) {
    if (e.offset() != entries.size()) {
      throw new AssertionError("local write at " + e.offset() + " but state holds " + entries.size());
    }
    entries.add(e);
  }

  @Override
  public synchronized long appliedOffset() {
    return entries.size() - 1;
  }

  @Override
  public synchronized boolean rewindTo(long offset) {
    while (entries.size() > offset) {
      entries.remove(entries.size() - 1);
    }
    return true;
  }

  /** @param n how many next applies throw */
  public synchronized void failNext(int n) {
    failNext = n;
  }

  /** @param epoch the epoch the host's site was fenced at: older records are refused as stale */
  public synchronized void fence(long epoch) {
    fencedAt = epoch;
  }

  /** @return a copy of the state */
  public synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }
}
