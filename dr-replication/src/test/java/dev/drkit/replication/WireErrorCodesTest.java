package dev.drkit.replication;

import static dev.drkit.replication.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.drkit.core.EventBus;
import dev.drkit.replication.internal.Frames;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.replication.testing.RecordingListener;
import java.net.InetSocketAddress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every malformed or unexpected message, over a real loopback socket, answered with its exact
 * error code and a message naming the field; the replica stores nothing. Issue 12, finding 4: a
 * HELLO of 3 bytes and a BATCH of 12 bytes got code 5 with the text "null", a BATCH with count -1
 * got code 3.
 */
class WireErrorCodesTest {
  static final String SVC = "orders";
  @TempDir Path dir;
  ReplicationLog log;
  ListSink sink;
  TcpTransport backup;
  AutoCloseable serving;
  final RecordingListener events = new RecordingListener();

  /** The reason a refusal event gives for each error code (independent of the transport's own table). */
  static final Map<Short, PeerRefusal.Reason> REASONS = Map.of(Wire.E_VERSION, PeerRefusal.Reason.UNSUPPORTED_VERSION,
      Wire.E_STALE_EPOCH, PeerRefusal.Reason.STALE_EPOCH, Wire.E_INTEGRITY, PeerRefusal.Reason.INTEGRITY,
      Wire.E_PROTOCOL, PeerRefusal.Reason.PROTOCOL_VIOLATION, Wire.E_TOO_LARGE, PeerRefusal.Reason.PROTOCOL_VIOLATION,
      Wire.E_UNAUTHENTICATED, PeerRefusal.Reason.AUTHENTICATION_FAILED, Wire.E_BAD_MAC,
      PeerRefusal.Reason.AUTHENTICATION_FAILED, Wire.E_SEQUENCE, PeerRefusal.Reason.AUTHENTICATION_FAILED);

  /** Where in the conversation the bad message is sent. */
  enum Phase {
    /** As the first message. */
    FIRST,
    /** After a PSK HELLO and the backup's CHALLENGE, instead of a correct AUTH. */
    CHALLENGED,
    /** In an authenticated session (after WELCOME); the test's bytes are sealed unless raw. */
    SESSION
  }

  /** A message to send: plain bytes (whole message with length), or a sealed type and body. */
  record Msg(Phase phase, byte type, ByteBuffer body, boolean raw) {
    static Msg first(byte type, ByteBuffer body) {
      return new Msg(Phase.FIRST, type, body, false);
    }

    static Msg firstRaw(ByteBuffer whole) {
      return new Msg(Phase.FIRST, (byte) 0, whole, true);
    }

    static Msg challenged(byte type, ByteBuffer body) {
      return new Msg(Phase.CHALLENGED, type, body, false);
    }

    static Msg sealed(byte type, ByteBuffer body) {
      return new Msg(Phase.SESSION, type, body, false);
    }

    static Msg sessionRaw(ByteBuffer whole) {
      return new Msg(Phase.SESSION, (byte) 0, whole, true);
    }
  }

  static ByteBuffer bytes(int... b) {
    ByteBuffer out = ByteBuffer.allocate(b.length);
    for (int x : b) {
      out.put((byte) x);
    }
    return out.flip();
  }

  static ByteBuffer hello(int magic, short version, byte auth, long epoch, String service, String keyId, int nonce,
      int trailing) {
    byte[] s = service.getBytes(StandardCharsets.UTF_8);
    byte[] k = keyId.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(4 + 2 + 1 + 8 + 2 + s.length + 2 + k.length + nonce + trailing);
    b.putInt(magic).putShort(version).put(auth).putLong(epoch).putShort((short) s.length).put(s)
        .putShort((short) k.length).put(k).put(new byte[nonce + trailing]);
    return b.flip();
  }

  static ByteBuffer goodHello() {
    return hello(Wire.MAGIC, Wire.VERSION, Wire.AUTH_PSK, 1, SVC, RawPeer.KEY_ID, Wire.NONCE, 0);
  }

  static ByteBuffer cut(ByteBuffer b, int n) {
    ByteBuffer d = b.duplicate();
    d.limit(n);
    return d.slice();
  }

  static ByteBuffer batch(long epoch, long first, int count, int frames) {
    ByteBuffer b = ByteBuffer.allocate(20 + frames * Frames.frameSize(1));
    b.putLong(epoch).putLong(first).putInt(count);
    for (int i = 0; i < frames; i++) {
      Frames.encode(b, epoch, first + i, 0, new byte[] {'x'}, 0, 1);
    }
    return b.flip();
  }

  static ByteBuffer longs(long... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length);
    for (long x : v) {
      b.putLong(x);
    }
    return b.flip();
  }

  static Stream<Arguments> cases() {
    int big = 64 << 20;
    return Stream.of(
        // the first message
        Arguments.of("HELLO of 3 bytes", Msg.first(Wire.HELLO, bytes(0x44, 0x52, 0x4b)), Wire.E_PROTOCOL,
            "HELLO of 3 bytes ends before field magic"),
        Arguments.of("HELLO with a bad magic", Msg.first(Wire.HELLO, hello(0x12345678, Wire.VERSION, Wire.AUTH_PSK, 1,
            SVC, "test", 32, 0)), Wire.E_PROTOCOL, "bad magic 0x12345678"),
        Arguments.of("HELLO of version 1", Msg.first(Wire.HELLO, hello(Wire.MAGIC, (short) 1, Wire.AUTH_PSK, 1, SVC,
            "test", 32, 0)), Wire.E_VERSION, "unsupported replication protocol version 1"),
        Arguments.of("HELLO cut after its version", Msg.first(Wire.HELLO, cut(goodHello(), 6)), Wire.E_PROTOCOL,
            "ends before field auth"),
        Arguments.of("HELLO with auth mode 7", Msg.first(Wire.HELLO, hello(Wire.MAGIC, Wire.VERSION, (byte) 7, 1, SVC,
            "test", 32, 0)), Wire.E_PROTOCOL, "field auth is 7"),
        Arguments.of("HELLO cut in its epoch", Msg.first(Wire.HELLO, cut(goodHello(), 10)), Wire.E_PROTOCOL,
            "ends before field epoch"),
        Arguments.of("HELLO with epoch -1", Msg.first(Wire.HELLO, hello(Wire.MAGIC, Wire.VERSION, Wire.AUTH_PSK, -1,
            SVC, "test", 32, 0)), Wire.E_PROTOCOL, "field epoch is -1"),
        Arguments.of("HELLO whose service runs past its end", Msg.first(Wire.HELLO, cut(goodHello(), 19)),
            Wire.E_PROTOCOL, "field service announces 6 bytes but 2 remain"),
        Arguments.of("HELLO without its key id", Msg.first(Wire.HELLO, cut(goodHello(), 23)), Wire.E_PROTOCOL,
            "ends before field keyId.length"),
        Arguments.of("HELLO with a short nonce", Msg.first(Wire.HELLO, cut(goodHello(), goodHello().limit() - 1)),
            Wire.E_PROTOCOL, "ends before field nonce"),
        Arguments.of("HELLO with trailing bytes", Msg.first(Wire.HELLO, hello(Wire.MAGIC, Wire.VERSION, Wire.AUTH_PSK,
            1, SVC, "test", 32, 3)), Wire.E_PROTOCOL, "3 unexpected bytes after its last field"),
        Arguments.of("HELLO without credentials", Msg.first(Wire.HELLO, hello(Wire.MAGIC, Wire.VERSION,
            Wire.AUTH_NONE, 1, SVC, "", 0, 0)), Wire.E_UNAUTHENTICATED, "authentication required"),
        Arguments.of("BATCH as the first message", Msg.first(Wire.BATCH, batch(1, 0, 1, 1)), Wire.E_PROTOCOL,
            "expected HELLO as the first message, got BATCH"),
        Arguments.of("a length of 0", Msg.firstRaw(bytes(0, 0, 0, 0)), Wire.E_PROTOCOL, "length field is 0"),
        Arguments.of("a length of 64 MiB before the handshake", Msg.firstRaw(ByteBuffer.allocate(4).putInt(0, big)),
            Wire.E_TOO_LARGE, "message length 67108864 exceeds the limit of 4096 bytes before authentication"),
        Arguments.of("a length of 2^32-1", Msg.firstRaw(bytes(0xff, 0xff, 0xff, 0xff)), Wire.E_TOO_LARGE,
            "message length 4294967295 exceeds the limit of 4096 bytes"),
        // after CHALLENGE
        Arguments.of("HEARTBEAT instead of AUTH", Msg.challenged(Wire.HEARTBEAT, longs(1, 0, 0)),
            Wire.E_UNAUTHENTICATED, "expected AUTH after CHALLENGE, got HEARTBEAT"),
        Arguments.of("AUTH in clear, without seq and MAC", Msg.challenged(Wire.AUTH, ByteBuffer.allocate(31)),
            Wire.E_PROTOCOL, "malformed AUTH: message of 32 bytes is too short for its u64 seq and 32-byte MAC"),
        // in the session
        Arguments.of("BATCH of 12 bytes", Msg.sealed(Wire.BATCH, cut(batch(1, 0, 1, 0), 12)), Wire.E_PROTOCOL,
            "BATCH of 12 bytes ends before field firstOffset (u64 at byte 8)"),
        Arguments.of("BATCH with count -1", Msg.sealed(Wire.BATCH, batch(1, 0, -1, 1)), Wire.E_PROTOCOL,
            "field count is -1; must be > 0"),
        Arguments.of("BATCH with count 0", Msg.sealed(Wire.BATCH, batch(1, 0, 0, 1)), Wire.E_PROTOCOL,
            "field count is 0; must be > 0"),
        Arguments.of("BATCH with epoch -1", Msg.sealed(Wire.BATCH, batch(-1, 0, 1, 1)), Wire.E_PROTOCOL,
            "field epoch is -1"),
        Arguments.of("BATCH with firstOffset -1", Msg.sealed(Wire.BATCH, batch(1, -1, 1, 1)), Wire.E_PROTOCOL,
            "field firstOffset is -1"),
        Arguments.of("BATCH announcing 5 frames in 33 bytes", Msg.sealed(Wire.BATCH, batch(1, 0, 5, 1)),
            Wire.E_PROTOCOL, "field count announces 5 frames but only 33 bytes follow"),
        Arguments.of("BATCH announcing 2 frames carrying 3", Msg.sealed(Wire.BATCH, batch(1, 0, 2, 3)),
            Wire.E_INTEGRITY, "announces 2 frames but holds 3"),
        Arguments.of("BATCH with a bad CRC", Msg.sealed(Wire.BATCH, flip(batch(1, 0, 1, 1), 20 + 32)),
            Wire.E_INTEGRITY, "fails its check"),
        Arguments.of("BATCH from an older epoch", Msg.sealed(Wire.BATCH, batch(0, 0, 1, 1)), Wire.E_STALE_EPOCH,
            "epoch 0"),
        Arguments.of("HEARTBEAT of 23 bytes", Msg.sealed(Wire.HEARTBEAT, cut(longs(1, 0, 0), 23)), Wire.E_PROTOCOL,
            "malformed HEARTBEAT: message is 64 bytes; HEARTBEAT must be 65"),
        Arguments.of("HEARTBEAT with epoch -1", Msg.sealed(Wire.HEARTBEAT, longs(-1, 0, 0)), Wire.E_PROTOCOL,
            "HEARTBEAT field epoch is -1"),
        Arguments.of("HEARTBEAT from an older epoch", Msg.sealed(Wire.HEARTBEAT, longs(0, 9, 0)),
            Wire.E_STALE_EPOCH, "epoch 0"),
        Arguments.of("HEARTBEAT with primaryNextOffset -5", Msg.sealed(Wire.HEARTBEAT, longs(1, -5, 0)),
            Wire.E_PROTOCOL, "field primaryNextOffset is -5"),
        Arguments.of("REWIND of 10 bytes", Msg.sealed(Wire.REWIND, ByteBuffer.allocate(10)), Wire.E_PROTOCOL,
            "REWIND of 10 bytes ends before field primaryNextOffset"),
        Arguments.of("REWIND announcing 2 epochs carrying 1", Msg.sealed(Wire.REWIND, ByteBuffer.allocate(36)
            .putLong(1).putLong(0).putInt(2).putLong(1).putLong(0).flip()), Wire.E_PROTOCOL,
            "field n announces 2 epochs but 16 bytes follow"),
        Arguments.of("REWIND with n -1", Msg.sealed(Wire.REWIND, ByteBuffer.allocate(20).putLong(1).putLong(0)
            .putInt(-1).flip()), Wire.E_PROTOCOL, "field n announces -1 epochs"),
        Arguments.of("REWIND with a negative start offset", Msg.sealed(Wire.REWIND, ByteBuffer.allocate(36)
            .putLong(1).putLong(0).putInt(1).putLong(1).putLong(-3).flip()), Wire.E_PROTOCOL,
            "field epochs[0].startOffset is -3"),
        Arguments.of("an unknown type 42", Msg.sealed((byte) 42, ByteBuffer.allocate(4)), Wire.E_PROTOCOL,
            "unexpected message type type 42"),
        Arguments.of("a second HELLO", Msg.sealed(Wire.HELLO, goodHello()), Wire.E_PROTOCOL,
            "unexpected message type HELLO"),
        Arguments.of("a sealed message shorter than its seq and MAC", Msg.sessionRaw(ByteBuffer.allocate(4 + 20)
            .putInt(20).put(Wire.BATCH).flip().limit(24)), Wire.E_PROTOCOL,
            "message of 20 bytes is too short for its u64 seq and 32-byte MAC"),
        Arguments.of("a length of 64 MiB in the session (limit 16 MiB)", Msg.sessionRaw(ByteBuffer.allocate(4)
            .putInt(0, big)), Wire.E_TOO_LARGE, "message length 67108864 exceeds the limit of "
            + TcpTransport.Config.DEFAULT_MAX_MESSAGE_BYTES));
  }

  static ByteBuffer flip(ByteBuffer b, int at) {
    b.put(at, (byte) (b.get(at) ^ 1));
    return b;
  }

  @BeforeEach
  void start() {
    EventBus bus = new EventBus();
    log = ReplicationLog.open(dir.resolve("backup"), LogConfig.builder(SVC).eventBus(bus).build());
    log.fence(1);
    sink = new ListSink();
    backup = TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0))).keys(RawPeer.KEYS)
        .eventBus(EventBus.of(events)).build();
    serving = backup.serve(SVC, new ReplicaApplier(SVC, log, sink, bus, Clock.systemUTC()));
  }

  @AfterEach
  void stop() throws Exception {
    serving.close();
    backup.close();
    log.close();
  }

  @ParameterizedTest(name = "{0} -> error {2}")
  @MethodSource("cases")
  void answersEachMalformedMessageWithItsExactCodeAndChangesNothing(String name, Msg msg, short code, String text)
      throws IOException {
    InetSocketAddress from;
    try (RawPeer peer = RawPeer.connect(backup.boundPort())) {
      from = (InetSocketAddress) peer.ch.getLocalAddress();
      switch (msg.phase()) {
        case FIRST:
          break;
        case CHALLENGED:
          peer.writePlain(Wire.HELLO, goodHello());
          assertThat(peer.in.next().get()).isEqualTo(Wire.CHALLENGE);
          break;
        case SESSION:
          peer.handshake(SVC, 1);
          break;
        default:
          throw new AssertionError(msg.phase());
      }
      if (msg.raw()) {
        peer.write(msg.body().duplicate());
      } else if (msg.phase() == Phase.SESSION) {
        peer.writeSealed(msg.type(), msg.body().duplicate());
      } else {
        peer.writePlain(msg.type(), msg.body().duplicate());
      }
      RawPeer.Refusal r = peer.refusal();
      assertThat(r.type()).as("sealed once the session is established")
          .isEqualTo(msg.phase() == Phase.SESSION ? Wire.ERROR : Wire.REJECT);
      assertThat(r.code()).as(r.text()).isEqualTo(code);
      assertThat(r.text()).contains(text);
      assertThat(peer.closedByBackup()).isTrue();
    }
    assertThat(log.nextOffset()).isZero();
    assertThat(log.currentEpoch()).isEqualTo(1);
    assertThat(sink.entries()).isEmpty();
    // and the refusal is published, once, naming the peer and the reason of the code
    eventually("the refusal event").until(() -> !events.ofType(PeerRefusal.TYPE).isEmpty());
    eventually("the refused connection ended").until(() -> backup.openConnections() == 0);
    assertThat(events.ofType(PeerRefusal.TYPE)).singleElement().satisfies(e -> {
      PeerRefusal r = PeerRefusal.from(e).orElseThrow();
      assertThat(r.reason()).isEqualTo(REASONS.get(code));
      assertThat(r.remotePort()).isEqualTo(from.getPort());
      assertThat(r.detail()).contains(text);
      assertThat(r.authenticated()).isEqualTo(msg.phase() == Phase.SESSION);
      assertThat(e.attributes()).containsEntry("code", Short.toString(code));
    });
  }
}
