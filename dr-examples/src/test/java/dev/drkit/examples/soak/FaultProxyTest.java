package dev.drkit.examples.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy on real loopback sockets, in front of an echo server. */
class FaultProxyTest {
  private ServerSocket echo;
  private Thread echoThread;
  private FaultProxy proxy;

  @BeforeEach
  void startEcho() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    echoThread = new Thread(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          Thread t = new Thread(() -> {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
              in.transferTo(out);
            } catch (IOException e) {
              // the test closed it
            }
          });
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    });
    echoThread.setDaemon(true);
    echoThread.start();
    proxy = new FaultProxy("test", echo::getLocalPort);
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    s.setSoTimeout(10_000);
    return s;
  }

  private static int roundTrip(Socket s, int b) throws IOException {
    s.getOutputStream().write(b);
    s.getOutputStream().flush();
    return s.getInputStream().read();
  }

  @Test
  void passesBytesBothWaysAndDelaysThemWhenAsked() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, 7)).isEqualTo(7);
      proxy.fault(new FaultProxy.Fault(FaultProxy.Mode.DELAY, Duration.ofMillis(30)));
      assertThat(roundTrip(s, 8)).isEqualTo(8);
    }
    assertThat(proxy.connections()).isEqualTo(1);
  }

  @Test
  void blackholeHoldsBytesAndDeliversThemInOrderWhenHealed() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, 1)).isEqualTo(1);
      proxy.fault(new FaultProxy.Fault(FaultProxy.Mode.BLACKHOLE, Duration.ZERO));
      s.setSoTimeout(300);
      s.getOutputStream().write(2);
      assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
      proxy.fault(FaultProxy.Fault.PASS);
      s.setSoTimeout(10_000);
      // Nothing was lost: the held byte comes first, as TCP would retransmit it.
      assertThat(s.getInputStream().read()).isEqualTo(2);
      assertThat(roundTrip(s, 3)).isEqualTo(3);
    }
  }

  @Test
  void resetKillsOpenConnectionsAndRefusesNewOnes() throws IOException {
    Socket open = connect();
    assertThat(roundTrip(open, 1)).isEqualTo(1);
    proxy.fault(new FaultProxy.Fault(FaultProxy.Mode.RESET, Duration.ZERO));
    // The reset reaches the client once the proxy's pump threads let go of the socket (a socket a
    // thread is reading is closed when that read returns): keep writing until the RST refuses a
    // write or a read; an end of stream before it is not enough, a reset must come.
    org.awaitility.Awaitility.await("the open connection is reset").atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(5)).until(() -> {
          try {
            roundTrip(open, 1);
            return false;
          } catch (SocketException reset) {
            return true;
          }
        });
    try (Socket fresh = connect()) {
      assertThatThrownBy(() -> {
        for (int i = 0; i < 100; i++) {
          if (roundTrip(fresh, 1) < 0) {
            throw new SocketException("closed");
          }
        }
      }).isInstanceOf(SocketException.class);
    }
    open.close();
  }

  @Test
  void dropClosesConnections() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, 1)).isEqualTo(1);
      proxy.fault(new FaultProxy.Fault(FaultProxy.Mode.DROP, Duration.ZERO));
      int r;
      try {
        r = roundTrip(s, 2);
      } catch (SocketException e) {
        r = -1;
      }
      assertThat(r).isEqualTo(-1);
    }
    proxy.fault(FaultProxy.Fault.PASS);
    try (Socket s = connect()) {
      assertThat(roundTrip(s, 4)).isEqualTo(4);
    }
  }

  @Test
  void rejectsANegativeDelay() {
    assertThatThrownBy(() -> new FaultProxy.Fault(FaultProxy.Mode.DELAY, Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fault delay must be >= 0");
  }
}
