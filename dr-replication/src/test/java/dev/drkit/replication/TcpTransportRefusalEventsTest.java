package dev.drkit.replication;

import static dev.drkit.replication.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.core.spi.DrEvent;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.testing.Closeables;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.replication.testing.RecordingListener;
import dev.drkit.testkit.FakeClock;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup's {@link TcpTransport} publishes every peer it refuses as a {@value PeerRefusal#TYPE}
 * event carrying the peer's address and the reason, over real loopback sockets; an accepted peer
 * publishes none; a flood is bounded per peer and window and the rest counted in one summary; a
 * listener that throws breaks nothing. Before, a refused peer was only logged.
 */
class TcpTransportRefusalEventsTest {
  static final String SVC = "orders";
  @TempDir Path dir;
  @RegisterExtension final Closeables closeables = new Closeables();
  final FakeClock clock = new FakeClock();
  final RecordingListener events = new RecordingListener();
  final EventBus bus = EventBus.of(events);
  ReplicationLog log;
  ListSink sink;

  <T extends AutoCloseable> T track(T c) {
    return closeables.track(c);
  }

  /** A keyed backup serving {@link #SVC} at epoch {@code fence}, publishing to {@link #bus} with the fake clock. */
  TcpTransport backup(TcpTransport.Config config, long fence, UnaryOperator<TcpTransport.Builder> more) {
    log = track(ReplicationLog.open(dir.resolve("backup-" + closeables.size()), LogConfig.builder(SVC).build()));
    log.fence(fence);
    sink = new ListSink();
    TcpTransport t = track(more.apply(TcpTransport.builder(config).keys(RawPeer.KEYS).eventBus(bus).clock(clock))
        .build());
    track(t.serve(SVC, new ReplicaApplier(SVC, log, sink, new EventBus(), clock)));
    return t;
  }

  TcpTransport backup() {
    return backup(TcpTransport.Config.listening(RawPeer.loopback(0)), 1, b -> b);
  }

  List<DrEvent> refusedEvents() {
    return events.ofType(PeerRefusal.TYPE);
  }

  /** Waits for the first refusal event and returns it (the backup reports after answering the peer). */
  DrEvent awaitRefusal() {
    eventually("a " + PeerRefusal.TYPE + " event").until(() -> !refusedEvents().isEmpty());
    return refusedEvents().get(0);
  }

  static InetSocketAddress localOf(RawPeer p) throws IOException {
    return (InetSocketAddress) p.ch.getLocalAddress();
  }

  /** Asserts the refusal names {@code p}'s address (host and the port it connected from). */
  static void assertFrom(PeerRefusal r, InetSocketAddress from) {
    assertThat(r.remoteHost()).isEqualTo(from.getAddress().getHostAddress());
    assertThat(r.remotePort()).isEqualTo(from.getPort());
  }

  @Test
  void aPeerWithAWrongKeyIsPublishedAsAnAuthenticationFailureNamingItsAddress() throws Exception {
    TcpTransport b = backup();
    InetSocketAddress from;
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      from = localOf(p);
      byte[] wrong = RawPeer.SECRET.clone();
      wrong[0] ^= 1;
      assertThat(p.handshake(SVC, 1, RawPeer.KEY_ID, wrong)).isNull();
      assertThat(p.refusal().code()).isEqualTo(Wire.E_UNAUTHENTICATED);
    }
    DrEvent e = awaitRefusal();
    PeerRefusal r = PeerRefusal.from(e).orElseThrow();
    assertThat(r.reason()).isEqualTo(PeerRefusal.Reason.AUTHENTICATION_FAILED);
    assertFrom(r, from);
    assertThat(r.service()).isEqualTo(SVC);
    assertThat(r.authenticated()).isFalse();
    assertThat(r.detail()).contains("failed to prove replication key 'test'");
    assertThat(e.severity()).isEqualTo(DrEvent.Severity.WARN);
    assertThat(e.time()).as("stamped by the injected clock").isEqualTo(FakeClock.DEFAULT_START);
    assertThat(e.attributes()).containsEntry("code", "7").containsEntry("local", "127.0.0.1:" + b.boundPort());
    assertThat(e.message()).contains("refused replication peer " + r.remote() + " for orders (AUTHENTICATION_FAILED)");
    assertThat(sink.entries()).isEmpty();
  }

  @Test
  void anUnknownKeyIdIsAnAuthenticationFailureToo() throws Exception {
    TcpTransport b = backup();
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      assertThat(p.handshake(SVC, 1, "stolen", RawPeer.SECRET)).isNull();
      assertThat(p.refusal().code()).isEqualTo(Wire.E_UNAUTHENTICATED);
    }
    PeerRefusal r = PeerRefusal.from(awaitRefusal()).orElseThrow();
    assertThat(r.reason()).isEqualTo(PeerRefusal.Reason.AUTHENTICATION_FAILED);
    assertThat(r.detail()).contains("unknown replication key id 'stolen'");
  }

  @Test
  void aConnectionOverTheLimitIsPublishedAsConnectionLimit() throws Exception {
    TcpTransport b = backup(TcpTransport.Config.listening(RawPeer.loopback(0)).withMaxConnections(1)
        .withHandshakeTimeout(Duration.ofMinutes(5)), 1, x -> x);
    RawPeer held = track(RawPeer.connect(b.boundPort()));
    eventually("1 connection held").until(() -> b.openConnections() == 1);
    InetSocketAddress from;
    try (RawPeer extra = RawPeer.connect(b.boundPort())) {
      from = localOf(extra);
      assertThat(extra.refusal().code()).isEqualTo(Wire.E_BUSY);
    }
    DrEvent e = awaitRefusal();
    PeerRefusal r = PeerRefusal.from(e).orElseThrow();
    assertThat(r.reason()).isEqualTo(PeerRefusal.Reason.CONNECTION_LIMIT);
    assertFrom(r, from);
    assertThat(r.service()).as("refused before it said anything").isNull();
    assertThat(r.detail()).contains("limit of 1 replication connections");
    assertThat(e.attributes()).containsEntry("code", "11");
    held.close();
  }

  @Test
  void garbageBytesArePublishedAsAProtocolViolation() throws Exception {
    TcpTransport b = backup();
    InetSocketAddress from;
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      from = localOf(p);
      p.write(ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: backup\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
      assertThat(p.refusal().code()).isEqualTo(Wire.E_TOO_LARGE);
    }
    PeerRefusal r = PeerRefusal.from(awaitRefusal()).orElseThrow();
    assertThat(r.reason()).isEqualTo(PeerRefusal.Reason.PROTOCOL_VIOLATION);
    assertFrom(r, from);
    assertThat(r.detail()).contains("exceeds the limit of 4096 bytes before authentication");
    assertThat(r.service()).isNull();
  }

  @Test
  void aFirstMessageThatIsNotAHelloIsAProtocolViolation() throws Exception {
    TcpTransport b = backup();
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      p.writePlain(Wire.BATCH, RawPeer.batchBody(1, 0, "injected"));
      assertThat(p.refusal().code()).isEqualTo(Wire.E_PROTOCOL);
    }
    PeerRefusal r = PeerRefusal.from(awaitRefusal()).orElseThrow();
    assertThat(r.reason()).isEqualTo(PeerRefusal.Reason.PROTOCOL_VIOLATION);
    assertThat(r.detail()).contains("expected HELLO as the first message, got BATCH");
  }

  @Test
  void aStaleHandshakeIsPublishedAsStaleEpochWithTheReplicasEpoch() throws Exception {
    TcpTransport b = backup(TcpTransport.Config.listening(RawPeer.loopback(0)), 5, x -> x);
    InetSocketAddress from;
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      from = localOf(p);
      assertThat(p.handshake(SVC, 3, RawPeer.KEY_ID, RawPeer.SECRET)).isNull();
      RawPeer.Refusal answer = p.refusal();
      assertThat(answer.code()).isEqualTo(Wire.E_STALE_EPOCH);
    }
    DrEvent e = awaitRefusal();
    PeerRefusal r = PeerRefusal.from(e).orElseThrow();
    assertThat(r.reason()).isEqualTo(PeerRefusal.Reason.STALE_EPOCH);
    assertFrom(r, from);
    assertThat(r.service()).isEqualTo(SVC);
    assertThat(r.authenticated()).as("it proved the key; its epoch is what is old").isTrue();
    assertThat(r.epoch()).isEqualTo(5);
    assertThat(e.epoch()).isEqualTo(5);
    assertThat(r.detail()).contains("epoch 3");
    assertThat(e.attributes()).containsEntry("code", "2");
  }

  @Test
  void aStaleHeartbeatAndAStaleWriteArePublishedAsStaleEpoch() throws Exception {
    TcpTransport b = backup();
    RawPeer heartbeating = track(RawPeer.connect(b.boundPort()));
    heartbeating.handshake(SVC, 1);
    RawPeer writing = track(RawPeer.connect(b.boundPort()));
    writing.handshake(SVC, 1);
    try (RawPeer newer = RawPeer.connect(b.boundPort())) {
      newer.handshake(SVC, 2); // a new primary takes over: epoch 1 is stale from here on
    }
    heartbeating.writeSealed(Wire.HEARTBEAT, ByteBuffer.allocate(24).putLong(1).putLong(0).putLong(0).flip());
    assertThat(heartbeating.refusal().code()).isEqualTo(Wire.E_STALE_EPOCH);
    writing.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 0, "stale"));
    assertThat(writing.refusal().code()).isEqualTo(Wire.E_STALE_EPOCH);
    eventually("two refusals").until(() -> refusedEvents().size() == 2);
    assertThat(refusedEvents()).extracting(e -> PeerRefusal.from(e).orElseThrow())
        .allSatisfy(r -> {
          assertThat(r.reason()).isEqualTo(PeerRefusal.Reason.STALE_EPOCH);
          assertThat(r.epoch()).isEqualTo(2);
          assertThat(r.service()).isEqualTo(SVC);
        })
        .extracting(PeerRefusal::remotePort)
        .containsExactlyInAnyOrder(localOf(heartbeating).getPort(), localOf(writing).getPort());
    assertThat(sink.entries()).isEmpty();
  }

  @Test
  void anAuthenticatedPeerAskingForAnUnknownServiceOrLeavingAGapIsPublishedWithThatReason() throws Exception {
    TcpTransport b = backup();
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      assertThat(p.handshake("payments", 1, RawPeer.KEY_ID, RawPeer.SECRET)).isNull();
      assertThat(p.refusal().code()).isEqualTo(Wire.E_UNKNOWN_SERVICE);
    }
    try (RawPeer p = RawPeer.connect(b.boundPort())) {
      p.handshake(SVC, 1);
      p.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 7, "after a gap"));
      assertThat(p.refusal().code()).isEqualTo(Wire.E_REFUSED);
    }
    eventually("two refusals").until(() -> refusedEvents().size() == 2);
    assertThat(refusedEvents()).extracting(e -> PeerRefusal.from(e).orElseThrow())
        .satisfiesExactlyInAnyOrder(r -> {
          assertThat(r.reason()).isEqualTo(PeerRefusal.Reason.UNKNOWN_SERVICE);
          assertThat(r.service()).isEqualTo("payments");
          assertThat(r.detail()).contains("no replica serves service payments");
        }, r -> {
          assertThat(r.reason()).isEqualTo(PeerRefusal.Reason.REPLICA_REFUSED);
          assertThat(r.detail()).contains("(gap)");
          assertThat(r.authenticated()).isTrue();
        });
  }

  @Test
  void aPeerThatDoesNotFinishTheHandshakeInTimeIsPublishedAsATimeout() throws Exception {
    TcpTransport b = backup(TcpTransport.Config.listening(RawPeer.loopback(0))
        .withHandshakeTimeout(Duration.ofMillis(200)), 1, x -> x);
    RawPeer slow = track(RawPeer.connect(b.boundPort()));
    InetSocketAddress from = localOf(slow);
    slow.write(ByteBuffer.wrap(Wire.toArray(Wire.plain(Wire.HELLO, RawPeer.helloBody(SVC, 1, Wire.AUTH_PSK,
        RawPeer.KEY_ID, new byte[Wire.NONCE]))), 0, 9)); // half a HELLO, then nothing
    assertThat(slow.refusal().code()).isEqualTo(Wire.E_HANDSHAKE_TIMEOUT); // blocks until the deadline
    DrEvent e = awaitRefusal();
    PeerRefusal r = PeerRefusal.from(e).orElseThrow();
    assertThat(r.reason()).isEqualTo(PeerRefusal.Reason.TIMEOUT);
    assertFrom(r, from);
    assertThat(r.detail()).isEqualTo("no complete handshake within PT0.2S");
    assertThat(e.attributes()).containsEntry("code", "12");
    eventually("slot released").until(() -> b.openConnections() == 0);
    assertThat(refusedEvents()).as("reported once, though the reader fails too when the deadline closes it")
        .hasSize(1);
  }

  @Test
  void anAcceptedPrimaryPublishesNoRefusal() throws Exception {
    TcpTransport b = backup();
    ReplicationLog primaryLog = track(ReplicationLog.open(dir.resolve("primary"), LogConfig.builder(SVC).build()));
    TcpTransport out = track(RawPeer.primary(b.boundPort()));
    ReplicationPrimary p = track(ReplicationPrimary.builder(SVC, primaryLog, out).mode(ReplicationMode.sync())
        .epoch(1).eventBus(new EventBus()).heartbeatInterval(Duration.ofMillis(20))
        .reconnectDelay(Duration.ofMillis(10)).build());
    p.start();
    for (int i = 0; i < 10; i++) {
      p.append(("ok-" + i).getBytes(StandardCharsets.UTF_8)); // sync: returns once the backup has it
    }
    assertThat(log.durableOffset()).isEqualTo(9);
    p.close();
    out.close();
    eventually("the primary's connection ended").until(() -> b.openConnections() == 0);
    // the connection thread reports a refusal before it releases its slot: none came
    assertThat(events.all()).extracting(DrEvent::type)
        .noneMatch(t -> t.startsWith(PeerRefusal.TYPE));
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS) // a dead accept loop would leave the handshake below hanging
  void aListenerThatThrowsBreaksNeitherTheRefusalNorTheAcceptLoop() throws Exception {
    RecordingListener after = new RecordingListener();
    bus.subscribe(e -> {
      throw new IllegalStateException("listener bug"); // the bus logs it and goes on to the next listener
    });
    bus.subscribe(after);
    bus.subscribe(e -> {
      throw new StackOverflowError("runaway listener"); // a VirtualMachineError: the bus throws it on
    });
    TcpTransport b = backup(TcpTransport.Config.listening(RawPeer.loopback(0)).withMaxConnections(1)
        .withHandshakeTimeout(Duration.ofMinutes(5)), 1, x -> x);
    RawPeer held = track(RawPeer.connect(b.boundPort()));
    eventually("1 connection held").until(() -> b.openConnections() == 1);
    for (int i = 0; i < 2; i++) { // refused on the accept loop's thread, which publishes
      try (RawPeer extra = RawPeer.connect(b.boundPort())) {
        assertThat(extra.refusal().code()).isEqualTo(Wire.E_BUSY);
      }
    }
    held.close();
    eventually("slot released").until(() -> b.openConnections() == 0);
    try (RawPeer wrong = RawPeer.connect(b.boundPort())) { // refused on a connection thread
      assertThat(wrong.handshake(SVC, 1, "nobody", RawPeer.SECRET)).isNull();
      assertThat(wrong.refusal().code()).isEqualTo(Wire.E_UNAUTHENTICATED);
    }
    eventually("slot released").until(() -> b.openConnections() == 0);
    try (RawPeer good = RawPeer.connect(b.boundPort())) {
      good.handshake(SVC, 1);
      good.writeSealed(Wire.BATCH, RawPeer.batchBody(1, 0, "still served"));
      assertThat(good.expect(Wire.ACK).getLong(24)).isZero();
    }
    assertThat(sink.entries()).extracting(ListSink.Entry::payload).containsExactly("still served");
    eventually("every refusal reached the listener after the failing ones").until(() -> after.ofType(PeerRefusal.TYPE)
        .stream().map(e -> PeerRefusal.from(e).orElseThrow().reason()).toList()
        .containsAll(List.of(PeerRefusal.Reason.CONNECTION_LIMIT, PeerRefusal.Reason.AUTHENTICATION_FAILED)));
  }

  @Test
  void aFloodIsBoundedPerPeerAndTheRestIsCountedInOneSummaryWhenTheWindowEnds() throws Exception {
    TcpTransport b = backup(TcpTransport.Config.listening(RawPeer.loopback(0)), 1,
        x -> x.refusalEventLimits(3, 50, Duration.ofMinutes(1)));
    int flood = 40;
    for (int i = 0; i < flood; i++) {
      try (RawPeer p = RawPeer.connect(b.boundPort())) {
        p.write(ByteBuffer.allocate(4).putInt(0, 64 << 20));
        assertThat(p.refusal().code()).isEqualTo(Wire.E_TOO_LARGE);
      }
    }
    // every connection reports before it releases its slot
    eventually("every refused connection ended").until(() -> b.openConnections() == 0);
    assertThat(refusedEvents()).hasSize(3);
    assertThat(events.ofType(PeerRefusal.SUPPRESSED_TYPE)).as("the window is not over").isEmpty();

    clock.advance(Duration.ofMinutes(1));
    InetSocketAddress from;
    try (RawPeer next = RawPeer.connect(b.boundPort())) {
      from = localOf(next);
      next.write(ByteBuffer.allocate(4).putInt(0, 64 << 20));
      assertThat(next.refusal().code()).isEqualTo(Wire.E_TOO_LARGE);
    }
    eventually("the next window's first refusal").until(() -> refusedEvents().size() == 4);
    List<DrEvent> ordered = events.all().stream().filter(e -> e.type().startsWith(PeerRefusal.TYPE)).toList();
    assertThat(ordered).extracting(DrEvent::type).containsExactly(PeerRefusal.TYPE, PeerRefusal.TYPE,
        PeerRefusal.TYPE, PeerRefusal.SUPPRESSED_TYPE, PeerRefusal.TYPE);
    DrEvent summary = ordered.get(3);
    assertThat(summary.attributes()).containsEntry("suppressed", Integer.toString(flood - 3))
        .containsEntry("byPeer", "127.0.0.1=" + (flood - 3))
        .containsEntry("byReason", "PROTOCOL_VIOLATION=" + (flood - 3))
        .containsEntry("local", "127.0.0.1:" + b.boundPort());
    assertFrom(PeerRefusal.from(ordered.get(4)).orElseThrow(), from);
  }

  @Test
  void theCountOfAFloodThatStoppedIsPublishedByTheSweepAndOnClose() throws Exception {
    TcpTransport b = backup(TcpTransport.Config.listening(RawPeer.loopback(0)), 1,
        x -> x.refusalEventLimits(1, 50, Duration.ofMillis(50)));
    for (int i = 0; i < 5; i++) {
      try (RawPeer p = RawPeer.connect(b.boundPort())) {
        p.writePlain(Wire.BATCH, RawPeer.batchBody(1, 0, "x"));
        assertThat(p.refusal().code()).isEqualTo(Wire.E_PROTOCOL);
      }
    }
    eventually("every refused connection ended").until(() -> b.openConnections() == 0);
    assertThat(refusedEvents()).hasSize(1);
    // the fake clock ends the window; the transport's periodic sweep (every window of real time) notices
    clock.advance(Duration.ofMillis(50));
    eventually("the summary").until(() -> events.ofType(PeerRefusal.SUPPRESSED_TYPE).size() == 1);
    assertThat(events.ofType(PeerRefusal.SUPPRESSED_TYPE).get(0).attributes()).containsEntry("suppressed", "4");

    // the next window: one published, two counted, and the count published when the transport closes
    for (int i = 0; i < 3; i++) {
      try (RawPeer p = RawPeer.connect(b.boundPort())) {
        p.writePlain(Wire.BATCH, RawPeer.batchBody(1, 0, "x"));
        assertThat(p.refusal().code()).isEqualTo(Wire.E_PROTOCOL);
      }
    }
    eventually("every refused connection ended").until(() -> b.openConnections() == 0);
    assertThat(refusedEvents()).hasSize(2);
    b.close();
    assertThat(events.ofType(PeerRefusal.SUPPRESSED_TYPE)).hasSize(2);
    assertThat(events.ofType(PeerRefusal.SUPPRESSED_TYPE).get(1).attributes()).containsEntry("suppressed", "2");
  }

  @Test
  void refusalEventLimitsAreValidated() {
    TcpTransport.Builder b = TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0)));
    assertThatThrownBy(() -> b.refusalEventLimits(-1, 5, Duration.ofMinutes(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tcp.refusalEvents.perPeer");
    assertThatThrownBy(() -> b.refusalEventLimits(1, -5, Duration.ofMinutes(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tcp.refusalEvents.total");
    assertThatThrownBy(() -> b.refusalEventLimits(1, 5, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tcp.refusalEvents.window");
  }
}
