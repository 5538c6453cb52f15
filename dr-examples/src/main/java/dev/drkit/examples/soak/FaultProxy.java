package dev.drkit.examples.soak;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on loopback that injects network faults between two parties: the soak puts one
 * between the router and each site and one on the replication link between the sites. Each
 * accepted connection is forwarded to the target's current port (asked anew for every
 * connection, so a restarted site on a new port is reached again). The fault applies to every
 * connection, open or new:
 *
 * <ul>
 *   <li>{@link Mode#PASS}: bytes flow both ways;</li>
 *   <li>{@link Mode#DELAY}: each chunk is held for the delay before it is forwarded;</li>
 *   <li>{@link Mode#BLACKHOLE}: nothing gets through either way, as when every packet is dropped:
 *       connections stay open and the peers see silence until their own timeouts; what was in
 *       flight is held (as TCP retransmits it) and delivered in order once the fault heals, so a
 *       stream is never corrupted;</li>
 *   <li>{@link Mode#DROP}: open connections are closed (FIN) and new ones are closed at once;</li>
 *   <li>{@link Mode#RESET}: open connections are reset (RST, {@code SO_LINGER} 0) and new ones are
 *       reset at once.</li>
 * </ul>
 *
 * Thread-safe. Two daemon threads per connection (one per direction).
 */
public final class FaultProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FaultProxy.class);

  /** What the proxy does to the traffic. */
  public enum Mode {
    /** Forward. */
    PASS,
    /** Forward after a delay. */
    DELAY,
    /** Let nothing through, keep connections open; deliver what was held when healed. */
    BLACKHOLE,
    /** Close connections (FIN). */
    DROP,
    /** Reset connections (RST). */
    RESET
  }

  /**
   * A fault.
   *
   * @param mode what to do
   * @param delay the delay of {@link Mode#DELAY} (zero otherwise)
   */
  public record Fault(Mode mode, Duration delay) {
    /** Forward everything. */
    public static final Fault PASS = new Fault(Mode.PASS, Duration.ZERO);

    /** Validates. */
    public Fault {
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("fault delay must be >= 0 but was " + delay);
      }
    }

    @Override
    public String toString() {
      return mode == Mode.DELAY ? "delay " + delay.toMillis() + " ms" : mode.name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final String name;
  private final IntSupplier target;
  private final ServerSocket server;
  private final Thread acceptor;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicLong connections = new AtomicLong();
  private volatile Fault fault = Fault.PASS;
  private volatile boolean closed;
  private final Object changes = new Object();

  /**
   * Opens the proxy on an ephemeral loopback port.
   *
   * @param name a name for logs ({@code router->primary}, {@code replication})
   * @param target the target's current loopback port, asked for each new connection
   * @throws IOException when the listening socket cannot be opened
   */
  public FaultProxy(String name, IntSupplier target) throws IOException {
    this.name = Objects.requireNonNull(name, "name");
    this.target = Objects.requireNonNull(target, "target");
    this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "fault-proxy-" + name);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** @return the proxy's loopback port */
  public int port() {
    return server.getLocalPort();
  }

  /** @return the current fault */
  public Fault fault() {
    return fault;
  }

  /** @return how many connections the proxy accepted so far */
  public long connections() {
    return connections.get();
  }

  /**
   * Applies a fault from now on, to open and new connections.
   *
   * @param f the fault ({@link Fault#PASS} heals)
   */
  public void fault(Fault f) {
    synchronized (changes) {
      this.fault = Objects.requireNonNull(f, "fault");
      changes.notifyAll();
    }
    LOG.info("fault proxy {}: {}", name, f);
    if (f.mode() == Mode.DROP || f.mode() == Mode.RESET) {
      for (Socket s : sockets) {
        kill(s, f.mode() == Mode.RESET);
      }
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.debug("fault proxy {}: accept failed: {}", name, e.toString());
        }
        continue;
      }
      connections.incrementAndGet();
      Fault f = fault;
      if (f.mode() == Mode.DROP || f.mode() == Mode.RESET) {
        kill(client, f.mode() == Mode.RESET);
        continue;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target.getAsInt()), 1000);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
      } catch (IOException | RuntimeException e) {
        kill(client, true);
        kill(upstream, false);
        continue;
      }
      sockets.add(client);
      sockets.add(upstream);
      start(client, upstream, "up");
      start(upstream, client, "down");
    }
  }

  private void start(Socket from, Socket to, String dir) {
    Thread t = new Thread(() -> pump(from, to), "fault-proxy-" + name + "-" + dir);
    t.setDaemon(true);
    t.start();
  }

  private void pump(Socket from, Socket to) {
    byte[] buf = new byte[16 * 1024];
    try (from; to) {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      while (true) {
        int n = in.read(buf);
        if (n < 0) {
          to.shutdownOutput();
          return;
        }
        Fault f = fault;
        switch (f.mode()) {
          case PASS -> out.write(buf, 0, n);
          case DELAY -> {
            Thread.sleep(f.delay().toMillis());
            out.write(buf, 0, n);
          }
          case BLACKHOLE -> {
            // Hold the chunk (and stop reading: the sender's buffers fill) until the fault changes.
            Fault now = awaitChange(Mode.BLACKHOLE);
            if (now.mode() == Mode.DROP || now.mode() == Mode.RESET) {
              kill(from, now.mode() == Mode.RESET);
              kill(to, now.mode() == Mode.RESET);
              return;
            }
            out.write(buf, 0, n);
          }
          case DROP, RESET -> {
            kill(from, f.mode() == Mode.RESET);
            kill(to, f.mode() == Mode.RESET);
            return;
          }
          default -> throw new IllegalStateException("unknown mode " + f.mode());
        }
      }
    } catch (SocketException e) {
      // closed by the peer, by a fault or by close()
    } catch (IOException e) {
      LOG.debug("fault proxy {}: {}", name, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      sockets.remove(from);
      sockets.remove(to);
    }
  }

  private Fault awaitChange(Mode from) throws InterruptedException {
    synchronized (changes) {
      while (fault.mode() == from && !closed) {
        changes.wait();
      }
      return fault;
    }
  }

  private static void kill(Socket s, boolean reset) {
    try {
      if (reset && !s.isClosed()) {
        s.setSoLinger(true, 0);
      }
    } catch (IOException e) {
      // already gone
    }
    try {
      s.close();
    } catch (IOException e) {
      // already gone
    }
  }

  /** Closes the proxy and every connection through it. */
  @Override
  public void close() {
    synchronized (changes) {
      closed = true;
      changes.notifyAll();
    }
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("fault proxy {}: close: {}", name, e.toString());
    }
    for (Socket s : sockets) {
      kill(s, false);
    }
    acceptor.interrupt();
  }

  @Override
  public String toString() {
    return "FaultProxy[" + name + " :" + port() + " " + fault + "]";
  }
}
