package dev.drkit.replication.testing;

import dev.drkit.replication.ReplicationException;
import dev.drkit.spi.ReplicationAck;
import dev.drkit.spi.ReplicationBatch;
import dev.drkit.spi.ReplicationEndpoint;
import dev.drkit.spi.ReplicationHandshake;
import dev.drkit.spi.ReplicationSession;
import dev.drkit.spi.ReplicationTransport;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/**
 * A deterministic, fault-injecting transport for simulations: sends and acknowledgements are queued
 * and delivered only when the test calls {@link #deliverOne}, which may drop (and so reset the
 * session, as a real connection would), duplicate, reorder, delay or corrupt them.
 */
public final class FaultyTransport implements ReplicationTransport {
  private final Random random;
  private final List<Msg> queue = new ArrayList<>();
  private @Nullable ReplicationEndpoint endpoint;
  private final List<Session> sessions = new ArrayList<>();
  /** Counters of injected faults. */
  public int drops, duplicates, reorders, corruptions, refusals;

  /** @param random the schedule's randomness */
  public FaultyTransport(Random random) {
    this.random = random;
  }

  private record Msg(Session session, @Nullable ReplicationBatch batch, @Nullable ReplicationAck ack) {}

  @Override
  public ReplicationSession connect(String service, long epoch, ReplicationSession.Listener listener) {
    ReplicationEndpoint ep = endpoint;
    if (ep == null) {
      throw new ReplicationException("backup of " + service + " is down");
    }
    ReplicationHandshake h = ep.handshake(service, epoch);
    Session s = new Session(ep, listener, h, epoch);
    sessions.add(s);
    return s;
  }

  @Override
  public AutoCloseable serve(String service, ReplicationEndpoint ep) {
    this.endpoint = ep;
    return () -> {
      if (endpoint == ep) {
        endpoint = null;
      }
    };
  }

  /** Takes the backup down: its sessions close. */
  public void backupDown() {
    endpoint = null;
    disconnectAll();
  }

  /** Closes every session (a network partition heals into fresh connections). */
  public void disconnectAll() {
    for (Session s : new ArrayList<>(sessions)) {
      s.fail(new ReplicationException("connection reset (injected)"));
    }
  }

  /** @return whether anything is queued */
  public boolean idle() {
    return queue.isEmpty();
  }

  /**
   * Delivers (or mangles) the oldest queued message.
   *
   * @param faults whether faults may be injected
   */
  public void deliverOne(boolean faults) {
    if (queue.isEmpty()) {
      return;
    }
    int i = 0;
    if (faults && queue.size() > 1 && random.nextInt(10) == 0) {
      i = 1; // reorder
      reorders++;
    }
    Msg m = queue.remove(i);
    if (!m.session.open && m.batch != null) {
      return; // the connection is gone: its bytes are lost
    }
    if (faults && random.nextInt(12) == 0) {
      drops++;
      m.session.fail(new ReplicationException("frame dropped: connection reset (injected)"));
      return;
    }
    int times = faults && random.nextInt(10) == 0 ? 2 : 1;
    if (times == 2) {
      duplicates++;
    }
    for (int t = 0; t < times; t++) {
      if (m.ack != null) {
        m.session.listener.onAck(m.ack);
        continue;
      }
      ReplicationBatch b = m.batch;
      if (faults && random.nextInt(25) == 0) {
        corruptions++;
        ByteBuffer copy = ByteBuffer.allocate(b.frames().remaining());
        copy.put(b.frames().duplicate()).flip();
        int at = random.nextInt(copy.limit());
        copy.put(at, (byte) (copy.get(at) ^ (1 << random.nextInt(8))));
        b = new ReplicationBatch(b.service(), b.epoch(), b.firstOffset(), b.count(), copy);
      }
      try {
        m.session.endpoint.receive(b);
        queue.add(new Msg(m.session, null, m.session.endpoint.acknowledge()));
      } catch (RuntimeException e) {
        refusals++;
        m.session.fail(e);
        return;
      }
    }
  }

  private final class Session implements ReplicationSession {
    final ReplicationEndpoint endpoint;
    final Listener listener;
    final ReplicationHandshake handshake;
    final long epoch;
    boolean open = true;

    Session(ReplicationEndpoint endpoint, Listener listener, ReplicationHandshake handshake, long epoch) {
      this.endpoint = endpoint;
      this.listener = listener;
      this.handshake = handshake;
      this.epoch = epoch;
    }

    @Override
    public ReplicationHandshake handshake() {
      return handshake;
    }

    @Override
    public void send(ReplicationBatch batch) {
      if (!open) {
        throw new ReplicationException("session closed");
      }
      ByteBuffer copy = ByteBuffer.allocate(batch.frames().remaining());
      copy.put(batch.frames().duplicate()).flip();
      queue.add(new Msg(this, new ReplicationBatch(batch.service(), batch.epoch(), batch.firstOffset(), batch.count(),
          copy), null));
    }

    @Override
    public void heartbeat(long primaryNextOffset, long primaryTimeMillis) {
      if (open) {
        endpoint.heartbeat(epoch, primaryNextOffset, primaryTimeMillis);
      }
    }

    void fail(@Nullable Throwable cause) {
      if (open) {
        open = false;
        sessions.remove(this);
        listener.onClosed(cause);
      }
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      fail(null);
    }
  }
}
