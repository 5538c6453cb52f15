package dev.drkit.replication;

import dev.drkit.replication.spi.PrimaryHistory;
import dev.drkit.replication.spi.ReplicationBatch;
import dev.drkit.replication.spi.ReplicationEndpoint;
import dev.drkit.replication.spi.ReplicationHandshake;
import dev.drkit.replication.spi.ReplicationSession;
import dev.drkit.replication.spi.ReplicationTransport;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Replication between two parts of one process (tests, examples, a backup in the same JVM). A send
 * is delivered synchronously on the caller's thread: the backup stores and forces the batch and the
 * acknowledgement reaches the listener before {@code send} returns, so at most one batch is ever
 * in flight. An error on the backup closes the session and is passed to the listener.
 */
public final class InProcessTransport implements ReplicationTransport {
  private final Map<String, ReplicationEndpoint> endpoints = new ConcurrentHashMap<>();

  /** Creates a transport with no backups serving. */
  public InProcessTransport() {}

  @Override
  public ReplicationSession connect(String service, long epoch, ReplicationSession.Listener listener) {
    Objects.requireNonNull(listener, "listener");
    ReplicationEndpoint ep = endpoints.get(service);
    if (ep == null) {
      throw new ReplicationException("no backup serves service " + service + " in this process");
    }
    ReplicationHandshake h = ep.handshake(service, epoch);
    return new Session(service, epoch, ep, listener, h);
  }

  @Override
  public AutoCloseable serve(String service, ReplicationEndpoint endpoint) {
    Objects.requireNonNull(endpoint, "endpoint");
    if (endpoints.putIfAbsent(service, endpoint) != null) {
      throw new IllegalStateException("a backup already serves service " + service);
    }
    return () -> endpoints.remove(service, endpoint);
  }

  private static final class Session implements ReplicationSession {
    private final String service;
    private final long epoch;
    private final ReplicationEndpoint endpoint;
    private final Listener listener;
    private final ReplicationHandshake handshake;
    private volatile boolean open = true;

    Session(String service, long epoch, ReplicationEndpoint endpoint, Listener listener, ReplicationHandshake h) {
      this.service = service;
      this.epoch = epoch;
      this.endpoint = endpoint;
      this.listener = listener;
      this.handshake = h;
    }

    @Override
    public ReplicationHandshake handshake() {
      return handshake;
    }

    @Override
    public synchronized void send(ReplicationBatch batch) {
      if (!open) {
        throw new ReplicationException("in-process session of " + service + " is closed");
      }
      try {
        endpoint.receive(batch);
        listener.onAck(endpoint.acknowledge());
      } catch (RuntimeException e) {
        fail(e);
        throw e;
      }
    }

    @Override
    public synchronized ReplicationHandshake rewind(PrimaryHistory primary) {
      if (!open) {
        throw new ReplicationException("in-process session of " + service + " is closed");
      }
      try {
        return endpoint.rewind(service, primary);
      } catch (RuntimeException e) {
        fail(e);
        throw e;
      }
    }

    @Override
    public synchronized void heartbeat(long primaryNextOffset, long primaryTimeMillis) {
      if (open) {
        try {
          endpoint.heartbeat(epoch, primaryNextOffset, primaryTimeMillis);
        } catch (RuntimeException e) {
          fail(e);
          throw e;
        }
      }
    }

    private void fail(@Nullable Throwable cause) {
      if (open) {
        open = false;
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
