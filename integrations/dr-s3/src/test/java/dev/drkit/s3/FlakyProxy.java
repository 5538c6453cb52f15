package dev.drkit.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of an HTTP server that kills the connection carrying every
 * {@code n}-th request instead of forwarding it (the client sees a reset or an empty response,
 * as when a load balancer or the network drops it); everything else is forwarded.
 */
final class FlakyProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int targetPort;
  private final int dropEvery;
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();
  private volatile boolean closed;

  FlakyProxy(int targetPort, int dropEvery) throws IOException {
    this.targetPort = targetPort;
    this.dropEvery = dropEvery;
    server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    Thread t = new Thread(this::acceptLoop, "flaky-proxy");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  int dropped() {
    return dropped.get();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        pump(client, upstream, true);
        pump(upstream, client, false);
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private static boolean startsRequest(byte[] buf, int n) {
    String head = new String(buf, 0, Math.min(n, 8), java.nio.charset.StandardCharsets.ISO_8859_1);
    return head.startsWith("GET ") || head.startsWith("PUT ") || head.startsWith("HEAD ")
        || head.startsWith("POST ") || head.startsWith("DELETE ");
  }

  private void pump(Socket from, Socket to, boolean requests) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (requests && startsRequest(buf, n) && accepted.incrementAndGet() % dropEvery == 0) {
            dropped.incrementAndGet();
            from.setSoLinger(true, 0);
            return;
          }
          out.write(buf, 0, n);
        }
      } catch (IOException e) {
        // the connection ended
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    }, "flaky-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
  }
}
