package dev.drkit.replication;

import dev.drkit.replication.testing.Closeables;
import static dev.drkit.replication.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.testing.ListSink;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, finding 3: the wire must not let anyone exhaust memory or threads. A length is checked
 * against the limit before anything is allocated, a connection that does not finish the handshake
 * in time is dropped, and a backup holds at most its connection limit.
 */
class TcpTransportLimitsTest {
  static final String SVC = "orders";
  @TempDir Path dir;
  @RegisterExtension final Closeables closeables = new Closeables();

  <T extends AutoCloseable> T track(T c) {
    return closeables.track(c);
  }



  /** A keyed backup with the given config; returns the transport and its log via the arrays. */
  TcpTransport backup(TcpTransport.Config config, ListSink sink, ReplicationLog[] logOut) {
    ReplicationLog log = track(ReplicationLog.open(dir.resolve("backup-" + closeables.size()),
        LogConfig.builder(SVC).build()));
    logOut[0] = log;
    TcpTransport t = track(TcpTransport.builder(config).keys(RawPeer.KEYS).build());
    track(t.serve(SVC, new ReplicaApplier(SVC, log, sink, new EventBus(), Clock.systemUTC())));
    return t;
  }

  static ByteBuffer lengthOnly(int length) {
    return ByteBuffer.allocate(4).putInt(0, length);
  }

  @Test
  void aLengthOverTheLimitIsRefusedBeforeTheBufferGrows() throws Exception {
    Wire.Reader r = new Wire.Reader(Channels.newChannel(new ByteArrayInputStream(
        ByteBuffer.allocate(4).putInt(64 << 20).array())), Wire.MAX_PREAUTH_MESSAGE);
    assertThatThrownBy(r::next).isInstanceOf(ProtocolException.class)
        .hasMessageContaining("message length 67108864 exceeds the limit of 4096 bytes before authentication")
        .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(Wire.E_TOO_LARGE));
    assertThat(r.capacity()).isEqualTo(Wire.INITIAL_BUFFER);

    // after authentication the buffer grows to what a message within the limit needs, and no more
    byte[] stream = new byte[4 + (1 << 20) + 4];
    ByteBuffer.wrap(stream).putInt(1 << 20).put(Wire.BATCH).position(4 + (1 << 20)).putInt(64 << 20);
    Wire.Reader big = new Wire.Reader(Channels.newChannel(new ByteArrayInputStream(stream)), 16 << 20);
    assertThat(big.next().remaining()).isEqualTo(1 << 20);
    assertThat(big.capacity()).isEqualTo(4 + (1 << 20));
    assertThatThrownBy(big::next).isInstanceOf(ProtocolException.class)
        .hasMessageContaining("exceeds the limit of 16777216 bytes");
    assertThat(big.capacity()).isEqualTo(4 + (1 << 20));
  }

  @Test
  void aDozenConnectionsAnnouncing64MiBAreEachRefusedAndTheBackupStillServes() throws Exception {
    ListSink sink = new ListSink();
    ReplicationLog[] log = new ReplicationLog[1];
    TcpTransport b = backup(TcpTransport.Config.listening(RawPeer.loopback(0)), sink, log);
    List<RawPeer> attackers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      RawPeer a = track(RawPeer.connect(b.boundPort()));
      a.write(lengthOnly(64 << 20));
      attackers.add(a);
    }
    for (RawPeer a : attackers) {
      RawPeer.Refusal r = a.refusal();
      assertThat(r.code()).isEqualTo(Wire.E_TOO_LARGE);
      assertThat(a.closedByBackup()).isTrue();
    }
    // and inside an authenticated session, over the configured limit
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      p.handshake(SVC, 1);
      p.write(lengthOnly(64 << 20));
      RawPeer.Refusal r = p.refusal();
      assertThat(r.type()).isEqualTo(Wire.ERROR);
      assertThat(r.code()).isEqualTo(Wire.E_TOO_LARGE);
    }
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      p.handshake(SVC, 1);
      p.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 0, "after"));
      assertThat(p.expect(Wire.ACK).getLong(24)).isZero();
    }
    assertThat(sink.entries()).extracting(ListSink.Entry::payload).containsExactly("after");
  }

  @Test
  void aPeerThatDoesNotFinishTheHandshakeInTimeIsDroppedAndAnEstablishedSessionIsNot() throws Exception {
    ListSink sink = new ListSink();
    ReplicationLog[] log = new ReplicationLog[1];
    TcpTransport b = backup(TcpTransport.Config.listening(RawPeer.loopback(0))
        .withHandshakeTimeout(Duration.ofMillis(200)), sink, log);
    RawPeer legit = track(RawPeer.connect(b.boundPort()));
    legit.handshake(SVC, 1);
    RawPeer silent = track(RawPeer.connect(b.boundPort()));
    RawPeer slow = track(RawPeer.connect(b.boundPort()));
    slow.write(ByteBuffer.wrap(Wire.toArray(Wire.plain(Wire.HELLO, RawPeer.helloBody(SVC, 1, Wire.AUTH_PSK,
        RawPeer.KEY_ID, new byte[Wire.NONCE]))), 0, 9)); // half a HELLO, then nothing
    for (RawPeer p : List.of(silent, slow)) {
      RawPeer.Refusal r = p.refusal(); // blocks until the deadline passes
      assertThat(r.code()).isEqualTo(Wire.E_HANDSHAKE_TIMEOUT);
      assertThat(r.text()).contains("no complete handshake within PT0.2S");
      assertThat(p.closedByBackup()).isTrue();
    }
    // the legit session was accepted first, so its deadline had passed too: it is still served
    legit.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 0, "kept"));
    assertThat(legit.expect(Wire.ACK).getLong(24)).isZero();
    eventually("dropped connections released").until(() -> b.openConnections() == 1);
  }

  @Test
  void hundredsOfIdleConnectionsAreBoundedByTheConnectionLimit() throws Exception {
    ListSink sink = new ListSink();
    ReplicationLog[] log = new ReplicationLog[1];
    TcpTransport b = backup(TcpTransport.Config.listening(RawPeer.loopback(0)).withMaxConnections(8)
        .withHandshakeTimeout(Duration.ofMinutes(5)), sink, log);
    List<RawPeer> held = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      held.add(track(RawPeer.connect(b.boundPort())));
    }
    eventually("8 connections held").until(() -> b.openConnections() == 8);
    for (int i = 0; i < 300; i++) {
      try (RawPeer idle = RawPeer.connect(b.boundPort())) {
        RawPeer.Refusal r = idle.refusal();
        assertThat(r.code()).isEqualTo(Wire.E_BUSY);
        assertThat(r.text()).contains("limit of 8 replication connections");
      }
    }
    assertThat(b.openConnections()).isEqualTo(8);
    long threads = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("drkit-repl-conn-")).count();
    assertThat(threads).isLessThanOrEqualTo(8 + 8); // this test's 8, and at most 8 of an earlier test ending
    for (RawPeer p : held) {
      p.close();
    }
    eventually("slots released").until(() -> b.openConnections() == 0);
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      p.handshake(SVC, 1);
      p.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 0, "served"));
      assertThat(p.expect(Wire.ACK).getLong(24)).isZero();
    }
  }

  @Test
  void aConnectionOverTheLimitIsRefusedWithALogLineNamingItsAddress() throws Exception {
    ListSink sink = new ListSink();
    ReplicationLog[] log = new ReplicationLog[1];
    TcpTransport b = backup(TcpTransport.Config.listening(RawPeer.loopback(0)).withMaxConnections(1)
        .withHandshakeTimeout(Duration.ofMinutes(5)), sink, log);
    RawPeer held = track(RawPeer.connect(b.boundPort()));
    eventually("1 connection held").until(() -> b.openConnections() == 1);
    try (dev.drkit.replication.testing.CapturedLog captured = new dev.drkit.replication.testing.CapturedLog();
        RawPeer extra = RawPeer.connect(b.boundPort())) {
      String refusedFrom = TcpTransport.format((java.net.InetSocketAddress) extra.ch.getLocalAddress());
      RawPeer.Refusal r = extra.refusal();
      assertThat(r.code()).isEqualTo(Wire.E_BUSY);
      assertThat(extra.closedByBackup()).isTrue();
      // the backup logs the refusal after answering it
      eventually("the refusal's log line").until(() -> captured.warnings().stream().anyMatch(l -> l.contains(
          "refused peer " + refusedFrom + " (CONNECTION_LIMIT, error 11): this backup is at its limit of 1"
          + " replication connections")));
    }
    held.close();
    eventually("slot released").until(() -> b.openConnections() == 0);
  }
}
