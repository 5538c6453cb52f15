package dev.drkit.replication;

import dev.drkit.replication.testing.Closeables;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.ConfigException;
import dev.drkit.core.EventBus;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.internal.FrameCodec;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.spi.ReplicationAck;
import dev.drkit.replication.spi.ReplicationSession;
import dev.drkit.replication.testing.ListSink;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Authentication of replication peers over real loopback sockets: every attack of issue 12's
 * finding 2 and its relatives is refused with its own error, and changes nothing on the replica
 * (no record stored or applied, no epoch raised), and the real primary can still ship afterwards.
 */
class TcpTransportAuthTest {
  static final String SVC = "orders";
  static final long HUGE_EPOCH = 1L << 62;
  @TempDir Path dir;
  @RegisterExtension final Closeables closeables = new Closeables();
  ReplicationLog log;
  ListSink sink;
  ReplicaApplier applier;
  TcpTransport backup;

  <T extends AutoCloseable> T track(T c) {
    return closeables.track(c);
  }

  @BeforeEach
  void startBackupHoldingOneRecordAtEpochOne() throws Exception {
    EventBus bus = new EventBus();
    log = track(ReplicationLog.open(dir.resolve("backup"), LogConfig.builder(SVC).eventBus(bus).build()));
    sink = new ListSink();
    applier = new ReplicaApplier(SVC, log, sink, bus, Clock.systemUTC());
    backup = track(RawPeer.backup(0));
    track(backup.serve(SVC, applier));
    try (RawPeer legit = RawPeer.connect(backup.boundPort())) {
      legit.handshake(SVC, 1);
      legit.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 0, "legit-0"));
      assertThat(legit.expect(Wire.ACK).getLong(16)).as("durable offset").isZero();
    }
  }


  /** Nothing of an attack reached the replica, and the real primary (epoch 1) still ships. */
  void assertUnchangedAndRealPrimaryStillShips() throws Exception {
    assertThat(log.currentEpoch()).isEqualTo(1);
    assertThat(log.nextOffset()).isEqualTo(1);
    assertThat(sink.entries()).extracting(ListSink.Entry::payload).containsExactly("legit-0");
    try (RawPeer legit = RawPeer.connect(backup.boundPort())) {
      ByteBuffer welcome = legit.handshake(SVC, 1);
      assertThat(welcome.getLong(2)).as("backup epoch").isEqualTo(1);
      legit.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 1, "legit-1"));
      assertThat(legit.expect(Wire.ACK).getLong(24)).as("applied offset").isEqualTo(1);
    }
    assertThat(sink.entries()).extracting(ListSink.Entry::payload).containsExactly("legit-0", "legit-1");
  }

  static ByteBuffer injectedBatch(long epoch, long offset) {
    return RawPeer.batchBody(epoch, offset, "{\"order\":\"INJECTED\"}");
  }

  @Test
  void anAnonymousVersionOneHelloWithEpochTwoToTheSixtySecondAndABatchChangesNothing() throws Exception {
    try (RawPeer attacker = RawPeer.connect(backup.boundPort())) {
      // exactly the bytes of the finding: a version-1 HELLO, then one BATCH, no credentials
      byte[] svc = SVC.getBytes(StandardCharsets.UTF_8);
      ByteBuffer hello = ByteBuffer.allocate(4 + 2 + 8 + 2 + svc.length);
      hello.putInt(Wire.MAGIC).putShort((short) 1).putLong(HUGE_EPOCH).putShort((short) svc.length).put(svc).flip();
      attacker.writePlain(Wire.HELLO, hello);
      attacker.writePlain(Wire.BATCH, injectedBatch(HUGE_EPOCH, 1));
      RawPeer.Refusal r = attacker.refusal();
      assertThat(r.type()).isEqualTo(Wire.REJECT);
      assertThat(r.code()).isEqualTo(Wire.E_VERSION);
      assertThat(attacker.closedByBackup()).isTrue();
    }
    assertUnchangedAndRealPrimaryStillShips();
  }

  @Test
  void anAnonymousCurrentVersionHelloWithoutCredentialsIsRefusedAndChangesNothing() throws Exception {
    try (RawPeer attacker = RawPeer.connect(backup.boundPort())) {
      attacker.writePlain(Wire.HELLO, RawPeer.helloBody(SVC, HUGE_EPOCH, Wire.AUTH_NONE, "", new byte[0]));
      attacker.codec = FrameCodec.insecure();
      attacker.writeSealed(Wire.BATCH, injectedBatch(HUGE_EPOCH, 1));
      RawPeer.Refusal r = attacker.refusal();
      assertThat(r.type()).isEqualTo(Wire.REJECT);
      assertThat(r.code()).isEqualTo(Wire.E_UNAUTHENTICATED);
      assertThat(r.text()).contains("authentication required");
      assertThat(attacker.closedByBackup()).isTrue();
    }
    assertUnchangedAndRealPrimaryStillShips();
  }

  @Test
  void anUnknownKeyIdIsRefusedBeforeAnyChallenge() throws Exception {
    try (RawPeer attacker = RawPeer.connect(backup.boundPort())) {
      assertThat(attacker.handshake(SVC, HUGE_EPOCH, "guessed", RawPeer.SECRET)).isNull();
      RawPeer.Refusal r = attacker.refusal();
      assertThat(r.code()).isEqualTo(Wire.E_UNAUTHENTICATED);
      assertThat(r.text()).contains("unknown replication key id 'guessed'");
    }
    assertUnchangedAndRealPrimaryStillShips();
  }

  @Test
  void aWrongKeyIsRefusedAndChangesNothing() throws Exception {
    byte[] wrong = RawPeer.SECRET.clone();
    wrong[0] ^= 1;
    try (RawPeer attacker = RawPeer.connect(backup.boundPort())) {
      assertThat(attacker.handshake(SVC, HUGE_EPOCH, RawPeer.KEY_ID, wrong)).isNull();
      RawPeer.Refusal r = attacker.refusal();
      assertThat(r.type()).isEqualTo(Wire.REJECT);
      assertThat(r.code()).isEqualTo(Wire.E_UNAUTHENTICATED);
      assertThat(r.text()).contains("failed to prove replication key 'test'").contains("wrong key");
    }
    TcpTransport t = track(TcpTransport.builder(TcpTransport.Config.connecting(RawPeer.loopback(backup.boundPort())))
        .keys(ReplicationKeys.of(RawPeer.KEY_ID, wrong)).build());
    assertThatThrownBy(() -> t.connect(SVC, HUGE_EPOCH, new NoopListener()))
        .isInstanceOf(PeerAuthenticationException.class).hasMessageContaining("wrong key");
    assertUnchangedAndRealPrimaryStillShips();
  }

  @Test
  void aReplayedCaptureOfAWholeSessionIsRefused() throws Exception {
    byte[] capture;
    try (RawPeer real = RawPeer.connect(backup.boundPort())) {
      real.handshake(SVC, 1);
      real.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 0, "legit-0")); // a duplicate: skipped
      real.expect(Wire.ACK);
      capture = real.sent.toByteArray();
    }
    try (RawPeer attacker = RawPeer.connect(backup.boundPort())) {
      attacker.write(ByteBuffer.wrap(capture));
      assertThat(attacker.in.next().get()).as("a fresh challenge").isEqualTo(Wire.CHALLENGE);
      RawPeer.Refusal r = attacker.refusal();
      assertThat(r.code()).isEqualTo(Wire.E_UNAUTHENTICATED);
      assertThat(r.text()).contains("replayed from another connection");
    }
    assertUnchangedAndRealPrimaryStillShips();
  }

  @Test
  void aFrameReplayedWithinItsSessionIsRefusedWithASequenceError() throws Exception {
    try (RawPeer peer = RawPeer.connect(backup.boundPort())) {
      peer.handshake(SVC, 1);
      ByteBuffer heartbeat = ByteBuffer.allocate(24).putLong(1).putLong(1).putLong(0).flip();
      ByteBuffer sealed = peer.seal(Wire.HEARTBEAT, heartbeat);
      peer.write(sealed.duplicate());
      peer.expect(Wire.ACK);
      peer.write(sealed.duplicate());
      RawPeer.Refusal r = peer.refusal();
      assertThat(r.type()).isEqualTo(Wire.ERROR);
      assertThat(r.code()).isEqualTo(Wire.E_SEQUENCE);
      assertThat(r.text()).contains("sequence number 1 where 2 was due");
    }
    assertUnchangedAndRealPrimaryStillShips();
  }

  @ParameterizedTest(name = "bit flipped at byte {0} of the sealed BATCH")
  @ValueSource(ints = {4, 6, 12, 13, 20, 33, 45, 50, -1, -32})
  void aTamperedFrameIsRefusedWithAMacErrorAndNothingIsStored(int at) throws Exception {
    try (RawPeer attacker = RawPeer.connect(backup.boundPort())) {
      attacker.handshake(SVC, 1);
      ByteBuffer sealed = attacker.seal(Wire.BATCH, injectedBatch(1, 1));
      int i = at >= 0 ? at : sealed.limit() + at;
      sealed.put(i, (byte) (sealed.get(i) ^ 0x04));
      attacker.write(sealed);
      RawPeer.Refusal r = attacker.refusal();
      assertThat(r.type()).isEqualTo(Wire.ERROR);
      assertThat(r.code()).isEqualTo(Wire.E_BAD_MAC);
      assertThat(r.text()).contains("fails its MAC");
    }
    assertUnchangedAndRealPrimaryStillShips();
  }

  @Test
  void aTruncatedMacIsRefusedAndChangesNothing() throws Exception {
    try (RawPeer attacker = RawPeer.connect(backup.boundPort())) {
      attacker.handshake(SVC, 1);
      ByteBuffer heartbeat = ByteBuffer.allocate(24).putLong(HUGE_EPOCH).putLong(1).putLong(0).flip();
      ByteBuffer sealed = attacker.seal(Wire.HEARTBEAT, heartbeat);
      ByteBuffer cut = ByteBuffer.wrap(Wire.toArray(sealed), 0, sealed.remaining() - 16).slice();
      cut.putInt(0, cut.remaining() - 4);
      attacker.write(cut);
      RawPeer.Refusal r = attacker.refusal();
      assertThat(r.code()).isEqualTo(Wire.E_PROTOCOL);
      assertThat(r.text()).contains("HEARTBEAT").contains("32-byte MAC").contains("truncated");
    }
    try (RawPeer attacker = RawPeer.connect(backup.boundPort())) {
      attacker.handshake(SVC, 1);
      ByteBuffer sealed = attacker.seal(Wire.BATCH, injectedBatch(1, 1));
      ByteBuffer cut = ByteBuffer.wrap(Wire.toArray(sealed), 0, sealed.remaining() - 16).slice();
      cut.putInt(0, cut.remaining() - 4);
      attacker.write(cut);
      RawPeer.Refusal r = attacker.refusal();
      assertThat(r.code()).isEqualTo(Wire.E_BAD_MAC);
    }
    assertUnchangedAndRealPrimaryStillShips();
  }

  @Test
  void aFrameSplicedFromAnotherConnectionIsRefused() throws Exception {
    try (RawPeer a = RawPeer.connect(backup.boundPort()); RawPeer b = RawPeer.connect(backup.boundPort())) {
      a.handshake(SVC, 1);
      b.handshake(SVC, 1);
      ByteBuffer fromA = a.seal(Wire.BATCH, injectedBatch(1, 1)); // seq 1, a's key
      b.write(fromA);
      RawPeer.Refusal r = b.refusal();
      assertThat(r.code()).isEqualTo(Wire.E_BAD_MAC);
    }
    assertUnchangedAndRealPrimaryStillShips();
  }

  @Test
  void aBackupThatCannotProveTheKeyIsNotTrustedByThePrimary() throws Exception {
    byte[] other = new byte[32];
    try (ServerSocketChannel fake = ServerSocketChannel.open()) {
      fake.bind(RawPeer.loopback(0));
      int port = ((InetSocketAddress) fake.getLocalAddress()).getPort();
      Thread server = new Thread(() -> {
        try (SocketChannel c = fake.accept()) {
          Wire.Reader r = new Wire.Reader(c, 1 << 20);
          FrameCodec codec = RawPeer.acceptHandshake(c, r, other);
          // claims the primary is stale: must not fence a primary it cannot authenticate to
          Wire.writeFully(c, codec.seal(Wire.ERROR, Wire.errorBody(Wire.E_STALE_EPOCH, HUGE_EPOCH, "stale")));
          r.next();
        } catch (IOException e) {
          // the primary hung up: expected
        }
      });
      server.start();
      TcpTransport t = track(RawPeer.primary(port));
      assertThatThrownBy(() -> t.connect(SVC, 1, new NoopListener()))
          .isInstanceOf(PeerAuthenticationException.class).isNotInstanceOf(StaleEpochException.class)
          .hasMessageContaining("failed to prove replication key 'test'");
      server.join(10_000);
    }
  }

  @Test
  void anUnauthenticatedStaleEpochRejectDoesNotFenceThePrimary() throws Exception {
    try (ServerSocketChannel fake = ServerSocketChannel.open()) {
      fake.bind(RawPeer.loopback(0));
      int port = ((InetSocketAddress) fake.getLocalAddress()).getPort();
      Thread server = new Thread(() -> {
        try (SocketChannel c = fake.accept()) {
          new Wire.Reader(c, 1 << 20).next();
          Wire.writeFully(c, Wire.plain(Wire.REJECT, Wire.errorBody(Wire.E_STALE_EPOCH, HUGE_EPOCH, "stale")));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      server.start();
      TcpTransport t = track(RawPeer.primary(port));
      assertThatThrownBy(() -> t.connect(SVC, 1, new NoopListener()))
          .isInstanceOf(ProtocolException.class).isNotInstanceOf(StaleEpochException.class)
          .hasMessageContaining("unauthenticated stale-epoch refusal ignored");
      server.join(10_000);
    }
  }

  @Test
  void aTransportWithoutCredentialsRefusesToBuild() {
    TcpTransport.Builder b = TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0)));
    assertThatThrownBy(b::build).isInstanceOf(ConfigException.class).hasMessageContaining("tcp.keys")
        .hasMessageContaining("insecure()");
    assertThatThrownBy(() -> TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0)))
        .keys(RawPeer.KEYS).insecure().build()).isInstanceOf(ConfigException.class);
  }

  @Test
  void buildingAnInsecureTransportLogsAWarning() {
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      track(TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0))).insecure().build());
    } finally {
      System.setErr(err);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8)).contains("WARN").contains("insecure()")
        .contains("peers are not authenticated");
  }

  @Test
  void aKeyedBackupRefusesAnInsecurePrimaryAndAnInsecureBackupRefusesAKeyedOne() throws Exception {
    TcpTransport insecurePrimary = track(TcpTransport.builder(
        TcpTransport.Config.connecting(RawPeer.loopback(backup.boundPort()))).insecure().build());
    assertThat(insecurePrimary.authenticated()).isFalse();
    assertThatThrownBy(() -> insecurePrimary.connect(SVC, HUGE_EPOCH, new NoopListener()))
        .isInstanceOf(PeerAuthenticationException.class).hasMessageContaining("authentication required");
    assertUnchangedAndRealPrimaryStillShips();

    ReplicationLog other = track(ReplicationLog.open(dir.resolve("insecure"), LogConfig.builder(SVC).build()));
    TcpTransport insecureBackup = track(TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0)))
        .insecure().build());
    track(insecureBackup.serve(SVC, new ReplicaApplier(SVC, other, new ListSink(), new EventBus(),
        Clock.systemUTC())));
    TcpTransport keyedPrimary = track(RawPeer.primary(insecureBackup.boundPort()));
    assertThatThrownBy(() -> keyedPrimary.connect(SVC, 1, new NoopListener()))
        .isInstanceOf(PeerAuthenticationException.class).hasMessageContaining("insecure()");
    TcpTransport plainPrimary = track(TcpTransport.builder(
        TcpTransport.Config.connecting(RawPeer.loopback(insecureBackup.boundPort()))).insecure().build());
    try (ReplicationSession s = plainPrimary.connect(SVC, 1, new NoopListener())) {
      assertThat(s.handshake().nextOffset()).isZero();
    }
  }

  @Test
  void aBackupAcceptsEveryKeyOfItsSetSoKeysRotate() throws Exception {
    byte[] next = new byte[32];
    next[5] = 9;
    ReplicationKeys both = RawPeer.KEYS.withKey("next", next);
    ReplicationLog other = track(ReplicationLog.open(dir.resolve("rotating"), LogConfig.builder(SVC).build()));
    TcpTransport rotating = track(TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0)))
        .keys(both).build());
    track(rotating.serve(SVC, new ReplicaApplier(SVC, other, new ListSink(), new EventBus(), Clock.systemUTC())));
    for (ReplicationKeys k : List.of(RawPeer.KEYS, ReplicationKeys.of("next", next), both.use("next"))) {
      TcpTransport p = track(TcpTransport.builder(TcpTransport.Config.connecting(
          RawPeer.loopback(rotating.boundPort()))).keys(k).build());
      try (ReplicationSession s = p.connect(SVC, 1, new NoopListener())) {
        assertThat(s.isOpen()).as("session under key " + k.activeId()).isTrue();
      }
    }
    TcpTransport retired = track(TcpTransport.builder(TcpTransport.Config.connecting(
        RawPeer.loopback(rotating.boundPort()))).keys(ReplicationKeys.of("retired", next)).build());
    assertThatThrownBy(() -> retired.connect(SVC, 1, new NoopListener()))
        .isInstanceOf(PeerAuthenticationException.class).hasMessageContaining("unknown replication key id 'retired'");
    assertThat(both.toString()).doesNotContain("9").contains("test").contains("next");
  }

  @Test
  void hkdfMatchesRfc5869TestCaseOne() {
    byte[] ikm = new byte[22];
    java.util.Arrays.fill(ikm, (byte) 0x0b);
    byte[] salt = java.util.HexFormat.of().parseHex("000102030405060708090a0b0c");
    byte[] info = java.util.HexFormat.of().parseHex("f0f1f2f3f4f5f6f7f8f9");
    assertThat(java.util.HexFormat.of().formatHex(FrameCodec.hkdfSha256(ikm, salt, info, 42))).isEqualTo(
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  }

  static final class NoopListener implements ReplicationSession.Listener {
    @Override
    public void onAck(ReplicationAck ack) {}

    @Override
    public void onClosed(@Nullable Throwable cause) {}
  }
}
