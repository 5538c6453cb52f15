package dev.drkit.validation.checks;

import dev.drkit.core.spi.CheckContext;
import dev.drkit.core.spi.HealthCheck;
import dev.drkit.core.spi.HealthResult;
import dev.drkit.validation.CheckFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Plan type {@code tcp}: healthy when a TCP connection to {@code host:port} opens within the
 * timeout (the smaller of {@code connectTimeout} and the step's timeout). The connection is closed
 * at once. Interruptible (it connects through a {@link SocketChannel}).
 *
 * <p>Parameters: {@code host} (required), {@code port} (required, 1-65535), {@code connectTimeout}
 * (optional duration).
 */
public final class TcpCheck implements HealthCheck {
  private final String host;
  private final int port;
  private final @Nullable Duration connectTimeout;

  /**
   * @param host the host name or address
   * @param port the port, 1-65535
   * @param connectTimeout caps the connect time, or {@code null} for the step's timeout only
   */
  public TcpCheck(String host, int port, @Nullable Duration connectTimeout) {
    this.host = Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1-65535 but was " + port);
    }
    this.port = port;
    this.connectTimeout = connectTimeout;
  }

  /** @return the factory of plan type {@code tcp} */
  public static CheckFactory factory() {
    return p -> {
      String host = p.requireString("host");
      long port = p.requireLong("port", 1, 65535);
      Duration ct = p.optDuration("connectTimeout", null);
      p.ensureValid();
      return new TcpCheck(host, (int) port, ct);
    };
  }

  @Override
  public HealthResult check(CheckContext context) throws IOException {
    Duration timeout = connectTimeout == null || connectTimeout.compareTo(context.timeout()) > 0
        ? context.timeout() : connectTimeout;
    long t0 = System.nanoTime();
    try (SocketChannel ch = SocketChannel.open()) {
      ch.socket().connect(new InetSocketAddress(host, port), (int) Math.max(1, Math.min(Integer.MAX_VALUE,
          timeout.toMillis())));
      double ms = (System.nanoTime() - t0) / 1e6;
      return HealthResult.healthy(String.format(java.util.Locale.ROOT, "connected to %s:%d in %.1f ms", host, port, ms))
          .with("connectMillis", ms);
    } catch (SocketTimeoutException e) {
      return HealthResult.unhealthy("connect to " + host + ":" + port + " timed out after " + timeout.toMillis()
          + " ms");
    } catch (UnknownHostException e) {
      return HealthResult.unhealthy("unknown host " + host);
    } catch (java.net.ConnectException e) {
      return HealthResult.unhealthy("connect to " + host + ":" + port + " failed: " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "tcp " + host + ":" + port;
  }
}
