package dev.drkit.replication;

import dev.drkit.replication.testing.Closeables;
import static dev.drkit.replication.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.testing.ListSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile bytes on a keyed backup's port, over real loopback sockets, while a legitimate
 * authenticated session keeps shipping: seeded random garbage on many short connections, and
 * extreme message lengths before and after authentication. The backup never stores, applies or
 * fences anything from them, keeps accepting, and keeps its connection threads bounded.
 */
class TcpTransportFuzzTest {
  static final String SVC = "orders";
  @TempDir Path dir;
  @RegisterExtension final Closeables closeables = new Closeables();
  ReplicationLog log;
  ListSink sink;
  TcpTransport backup;

  <T extends AutoCloseable> T track(T c) {
    return closeables.track(c);
  }

  @BeforeEach
  void startBackup() {
    EventBus bus = new EventBus();
    log = track(ReplicationLog.open(dir.resolve("backup"), LogConfig.builder(SVC).eventBus(bus).build()));
    sink = new ListSink();
    backup = track(TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0))
        .withHandshakeTimeout(Duration.ofSeconds(2))).keys(RawPeer.KEYS).build());
    track(backup.serve(SVC, new ReplicaApplier(SVC, log, sink, bus, Clock.systemUTC())));
  }


  /** Writes {@code bytes}, ends its output and reads whatever the backup answers until it closes. */
  static void sendAndDrain(int port, byte[] bytes) throws IOException {
    try (RawPeer p = RawPeer.connect(port)) {
      try {
        p.write(ByteBuffer.wrap(bytes));
        p.ch.shutdownOutput();
      } catch (IOException e) {
        return; // the backup refused and closed before everything was written: fine
      }
      ByteBuffer sinkBuf = ByteBuffer.allocate(4096);
      try {
        while (p.ch.read(sinkBuf.clear()) >= 0) {
          // discard the REJECT (or CHALLENGE) the backup answered
        }
      } catch (IOException e) {
        // reset by the backup: it dropped us, as it should
      }
    }
  }

  static byte[] garbage(Random r, int variant) {
    byte[] junk = new byte[1 + r.nextInt(600)];
    r.nextBytes(junk);
    switch (variant) {
      case 0 -> {
        return junk; // pure noise, including absurd lengths
      }
      case 1 -> { // a plausible length prefix and HELLO type, then noise
        ByteBuffer b = ByteBuffer.allocate(5 + junk.length);
        b.putInt(1 + junk.length).put(Wire.HELLO).put(junk);
        return b.array();
      }
      default -> { // a well-formed HELLO with the right key id, then noise where AUTH belongs
        byte[] nonce = new byte[Wire.NONCE];
        r.nextBytes(nonce);
        byte[] hello = Wire.toArray(Wire.plain(Wire.HELLO, RawPeer.helloBody(SVC, 1L << 62, Wire.AUTH_PSK,
            RawPeer.KEY_ID, nonce)));
        ByteBuffer b = ByteBuffer.allocate(hello.length + junk.length);
        b.put(hello).put(junk);
        return b.array();
      }
    }
  }

  @Test
  void manyShortConnectionsOfSeededRandomBytesChangeNothingWhileTheRealPrimaryKeepsShipping() throws Exception {
    long seed = 0x5EED_D7C1L;
    Random r = new Random(seed);
    RawPeer legit = track(RawPeer.connect(backup.boundPort()));
    legit.handshake(SVC, 1);
    long next = 0;
    for (int i = 0; i < 300; i++) {
      sendAndDrain(backup.boundPort(), garbage(r, i % 3));
      if (i % 25 == 0) {
        legit.writeSealed(Wire.BATCH, RawPeer.batchBody(1, next, "real-" + next));
        assertThat(legit.expect(Wire.ACK).getLong(24)).as("applied offset (seed %x, round %d)", seed, i)
            .isEqualTo(next);
        next++;
      }
      long threads = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().startsWith("drkit-repl-conn-")).count();
      assertThat(threads).as("connection threads (seed %x, round %d)", seed, i)
          .isLessThanOrEqualTo(TcpTransport.Config.DEFAULT_MAX_CONNECTIONS + 16L);
    }
    assertThat(log.currentEpoch()).as("no garbage raised the fence").isEqualTo(1);
    assertThat(log.nextOffset()).isEqualTo(next);
    List<String> expected = new ArrayList<>();
    for (long o = 0; o < next; o++) {
      expected.add("real-" + o);
    }
    assertThat(sink.entries()).extracting(ListSink.Entry::payload).containsExactlyElementsOf(expected);
    eventually("garbage connections released").until(() -> backup.openConnections() == 1);
    legit.close();
    try (RawPeer again = RawPeer.connect(backup.boundPort())) {
      assertThat(again.handshake(SVC, 1).getLong(10)).as("next offset").isEqualTo(next);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {Integer.MAX_VALUE, Integer.MIN_VALUE, -1, 4097})
  void anExtremeLengthIsRefusedAsTooLargeBeforeAndAfterAuthentication(int length) throws Exception {
    try (RawPeer anon = RawPeer.connect(backup.boundPort())) {
      anon.write(ByteBuffer.allocate(4).putInt(0, length));
      RawPeer.Refusal r = anon.refusal();
      assertThat(r.type()).isEqualTo(Wire.REJECT);
      assertThat(r.code()).isEqualTo(Wire.E_TOO_LARGE);
      assertThat(r.text()).contains("message length " + Integer.toUnsignedString(length))
          .contains("before authentication");
      assertThat(anon.closedByBackup()).isTrue();
    }
    if (length == 4097) {
      return; // within the session limit: not an attack there
    }
    try (RawPeer p = RawPeer.connect(backup.boundPort())) {
      p.handshake(SVC, 1);
      p.write(ByteBuffer.allocate(4).putInt(0, length));
      RawPeer.Refusal r = p.refusal();
      assertThat(r.type()).isEqualTo(Wire.ERROR);
      assertThat(r.code()).isEqualTo(Wire.E_TOO_LARGE);
      assertThat(p.closedByBackup()).isTrue();
    }
    try (RawPeer p = RawPeer.connect(backup.boundPort())) {
      p.handshake(SVC, 1);
      p.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 0, "after"));
      assertThat(p.expect(Wire.ACK).getLong(24)).isZero();
    }
    assertThat(sink.entries()).extracting(ListSink.Entry::payload).containsExactly("after");
  }

  /**
   * Sends {@code prefix}, then one more byte of a message that never completes each time the
   * backup is polled, until the backup has released the connection's slot.
   */
  static void trickleUntilDropped(TcpTransport b, RawPeer p, ByteBuffer prefix) throws IOException {
    p.write(prefix);
    eventually("trickling connection dropped").pollInterval(Duration.ofMillis(20)).until(() -> {
      try {
        p.write(ByteBuffer.wrap(new byte[] {0x5a}));
      } catch (IOException e) {
        // the backup closed it: the slot goes next
      }
      return b.openConnections() == 0;
    });
  }

  @Test
  void aPeerTricklingBytesIsDroppedAtTheHandshakeDeadlineAndInsideASessionAtThePeerTimeout() throws Exception {
    TcpTransport b = track(TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0))
        .withHandshakeTimeout(Duration.ofSeconds(1)).withPeerTimeout(Duration.ofSeconds(1))).keys(RawPeer.KEYS)
        .build());
    ListSink s = new ListSink();
    ReplicationLog l = track(ReplicationLog.open(dir.resolve("trickle"), LogConfig.builder(SVC).build()));
    track(b.serve(SVC, new ReplicaApplier(SVC, l, s, new EventBus(), Clock.systemUTC())));

    // before authentication: a HELLO announced as 4000 bytes, sent a byte at a time
    try (RawPeer slow = RawPeer.connect(b.boundPort())) {
      trickleUntilDropped(b, slow, ByteBuffer.allocate(5).putInt(0, 4000).put(4, Wire.HELLO));
      RawPeer.Refusal r = slow.refusal();
      assertThat(r.code()).isEqualTo(Wire.E_HANDSHAKE_TIMEOUT);
      assertThat(r.text()).contains("no complete handshake within PT1S");
    }
    // after authentication: a BATCH announced as 60000 bytes, sent a byte at a time; a message
    // that never completes is silence, however many bytes of it arrive
    try (RawPeer slow = RawPeer.connect(b.boundPort())) {
      slow.handshake(SVC, 1);
      trickleUntilDropped(b, slow, ByteBuffer.allocate(5).putInt(0, 60_000).put(4, Wire.BATCH));
      assertThat(slow.closedByBackup()).isTrue();
    }
    assertThat(l.nextOffset()).isZero();
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      p.handshake(SVC, 1);
      p.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 0, "served"));
      assertThat(p.expect(Wire.ACK).getLong(24)).isZero();
    }
    assertThat(s.entries()).extracting(ListSink.Entry::payload).containsExactly("served");
  }
}
