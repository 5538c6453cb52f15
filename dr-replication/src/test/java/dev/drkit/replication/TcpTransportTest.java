package dev.drkit.replication;

import dev.drkit.replication.testing.Closeables;
import static dev.drkit.replication.testing.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.EventBus;
import dev.drkit.core.StaleEpochException;
import dev.drkit.replication.internal.FrameCodec;
import dev.drkit.replication.internal.Frames;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.replication.testing.RecordingListener;
import dev.drkit.replication.spi.ReplicationAck;
import dev.drkit.replication.spi.ReplicationBatch;
import dev.drkit.replication.spi.ReplicationSession;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Replication over real TCP on 127.0.0.1. */
class TcpTransportTest {
  static final String SVC = "orders";
  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  @TempDir Path dir;
  final RecordingListener events = new RecordingListener();
  final EventBus bus = EventBus.of(events);
  @RegisterExtension final Closeables closeables = new Closeables();


  <T extends AutoCloseable> T track(T c) {
    return closeables.track(c);
  }

  static InetSocketAddress loopback(int port) {
    return new InetSocketAddress(LOOPBACK, port);
  }

  ReplicationLog log(String name) {
    return track(ReplicationLog.open(dir.resolve(name), LogConfig.builder(SVC).eventBus(bus).build()));
  }

  final class Backup {
    final ReplicationLog log = log("backup");
    final ListSink sink = new ListSink();
    final ReplicaApplier applier = new ReplicaApplier(SVC, log, sink, bus, Clock.systemUTC());
    final TcpTransport transport = track(RawPeer.backup(0));

    Backup() {
      track(transport.serve(SVC, applier));
    }

    int port() {
      return transport.boundPort();
    }
  }

  ReplicationPrimary primary(int port, ReplicationMode mode, long epoch) {
    TcpTransport t = track(RawPeer.primary(port));
    ReplicationPrimary p = ReplicationPrimary.builder(SVC, log("primary-" + epoch), t).mode(mode).epoch(epoch)
        .eventBus(bus).heartbeatInterval(Duration.ofMillis(20)).reconnectDelay(Duration.ofMillis(10)).build();
    track(p);
    p.start();
    return p;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }


  static List<String> payloads(ListSink sink) {
    return sink.entries().stream().map(ListSink.Entry::payload).toList();
  }

  @Test
  void replicatesInOrderExactlyOnceAndResumesAfterConnectionsAreKilledMidBatch() throws Exception {
    Backup b = new Backup();
    ReplicationPrimary p = primary(b.port(), ReplicationMode.async(), 1);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      String s = "r" + i;
      p.append(bytes(s));
      expected.add(s);
      if (i % 500 == 250) {
        b.transport.resetConnections();
      }
    }
    eventually("backup applied everything").until(() -> b.applier.appliedOffset() == 2999);
    assertThat(payloads(b.sink)).isEqualTo(expected);
    assertThat(events.ofType("replication.connected").size()).isGreaterThan(1);
    eventually("primary saw the final ack").until(() -> p.ackedOffset() == 2999);
    assertThat(p.lag()).isEqualTo(Lag.none());
  }

  @Test
  void synchronousAppendReturnsOnlyOnceTheBackupHasTheRecordDurably() throws Exception {
    Backup b = new Backup();
    ReplicationPrimary p = primary(b.port(), ReplicationMode.sync(), 1);
    for (int i = 0; i < 50; i++) {
      long off = p.append(bytes("s" + i));
      assertThat(b.log.durableOffset()).isGreaterThanOrEqualTo(off);
      assertThat(p.ackedOffset()).isGreaterThanOrEqualTo(off);
    }
  }

  @Test
  void synchronousAppendShippedBeforeItsForceReturnsOnlyOnceDurableAndAppliedOnBothSides() throws Exception {
    Backup b = new Backup();
    TcpTransport t = track(RawPeer.primary(b.port()));
    ReplicationLog plog = log("primary-early");
    ReplicationPrimary p = track(ReplicationPrimary.builder(SVC, plog, t).mode(ReplicationMode.sync()).epoch(1)
        .eventBus(bus).shipBeforeDurable(true).heartbeatInterval(Duration.ofMillis(20))
        .reconnectDelay(Duration.ofMillis(10)).build());
    p.start();
    java.util.concurrent.ExecutorService writers = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
      for (int w = 0; w < 8; w++) {
        int id = w;
        fs.add(writers.submit(() -> {
          for (int i = 0; i < 100; i++) {
            long off = p.append(bytes("w" + id + "-" + i));
            assertThat(plog.durableOffset()).as("durable on the primary").isGreaterThanOrEqualTo(off);
            assertThat(b.log.durableOffset()).as("durable on the backup").isGreaterThanOrEqualTo(off);
            assertThat(b.applier.appliedOffset()).as("applied on the backup").isGreaterThanOrEqualTo(off);
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : fs) {
        f.get();
      }
    } finally {
      writers.shutdownNow();
    }
    assertThat(b.sink.entries()).hasSize(800);
    assertThat(b.log.read(0, 1000)).extracting(LogRecord::payload)
        .containsExactlyElementsOf(plog.read(0, 1000).stream().map(LogRecord::payload).toList());
  }

  @Test
  void semiSynchronousFallsBackToAsyncOnTimeoutAndRestoresWhenCaughtUp() throws Exception {
    int port;
    try (ServerSocketChannel probe = ServerSocketChannel.open()) {
      probe.bind(loopback(0));
      port = ((InetSocketAddress) probe.getLocalAddress()).getPort();
    }
    ReplicationPrimary p = primary(port, ReplicationMode.semiSync(Duration.ofMillis(50)), 1);
    p.append(bytes("a")); // no backup: waits 50 ms, then falls back
    assertThat(p.degraded()).isTrue();
    assertThat(events.ofType("replication.mode.degraded")).hasSize(1);
    p.append(bytes("b")); // degraded: does not wait
    ReplicationLog blog = log("late-backup");
    ListSink sink = new ListSink();
    ReplicaApplier applier = new ReplicaApplier(SVC, blog, sink, bus, Clock.systemUTC());
    TcpTransport t = track(RawPeer.backup(port));
    track(t.serve(SVC, applier));
    eventually("restored").until(() -> !p.degraded() && events.ofType("replication.mode.restored").size() == 1);
    eventually("applied").until(() -> sink.entries().size() == 2);
    assertThat(payloads(sink)).containsExactly("a", "b");
  }

  @Test
  void corruptedFrameIsNeverAppliedAndTheBatchIsResent() throws Exception {
    Backup b = new Backup();
    try (CorruptingProxy proxy = new CorruptingProxy(b.port())) {
      ReplicationPrimary p = primary(proxy.port(), ReplicationMode.async(), 1);
      for (int i = 0; i < 20; i++) {
        p.append(bytes("payload-" + i));
      }
      eventually("all applied").until(() -> b.applier.appliedOffset() == 19);
      assertThat(proxy.corrupted.get()).isTrue();
      assertThat(payloads(b.sink)).hasSize(20).allMatch(s -> s.startsWith("payload-"));
      assertThat(events.ofType("replication.connected").size()).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void refusesABatchWithABadCrcWithAnIntegrityError() throws Exception {
    Backup b = new Backup();
    try (RawPeer peer = RawPeer.connect(b.port())) {
      peer.handshake(SVC, 1);
      ByteBuffer batch = RawPeer.batchBody(1, 0, "hello");
      batch.put(20 + 34, (byte) (batch.get(20 + 34) ^ 0x01));
      peer.writeSealed(Wire.BATCH, batch);
      RawPeer.Refusal err = peer.refusal();
      assertThat(err.type()).isEqualTo(Wire.ERROR);
      assertThat(err.code()).isEqualTo(Wire.E_INTEGRITY);
      assertThat(err.text()).contains("fails its check");
    }
    assertThat(b.sink.entries()).isEmpty();
    assertThat(b.log.nextOffset()).isZero();
  }

  @Test
  void aMalformedRewindIsRefusedWithAProtocolErrorAndChangesNothing() throws Exception {
    Backup b = new Backup();
    try (RawPeer peer = RawPeer.connect(b.port())) {
      peer.handshake(SVC, 1);
      // announces two epochs but carries one
      ByteBuffer body = ByteBuffer.allocate(8 + 8 + 4 + 16).putLong(1).putLong(0).putInt(2).putLong(1).putLong(0)
          .flip();
      peer.writeSealed(Wire.REWIND, body);
      RawPeer.Refusal err = peer.refusal();
      assertThat(err.code()).isEqualTo(Wire.E_PROTOCOL);
      assertThat(err.text()).contains("field n announces 2 epochs");
    }
    assertThat(b.log.nextOffset()).isZero();
    assertThat(b.log.quarantineFiles()).isEmpty();
  }

  @Test
  void peerWithUnknownProtocolVersionGetsAClearError() throws Exception {
    Backup b = new Backup();
    TcpTransport t = track(RawPeer.primary(b.port()));
    assertThatThrownBy(() -> t.connect(SVC, 1, new NoopListener(), (short) 99))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("unsupported replication protocol version 99")
        .hasMessageContaining("speaks version 2");
  }

  @Test
  void primaryRefusesABackupAnsweringWithAnotherVersion() throws Exception {
    try (ServerSocketChannel fake = ServerSocketChannel.open()) {
      fake.bind(loopback(0));
      int port = ((InetSocketAddress) fake.getLocalAddress()).getPort();
      Thread server = new Thread(() -> {
        try (SocketChannel c = fake.accept()) {
          Wire.Reader r = new Wire.Reader(c, 1 << 20);
          FrameCodec codec = RawPeer.acceptHandshake(c, r, RawPeer.SECRET);
          ByteBuffer w = ByteBuffer.allocate(26).putShort((short) 7).putLong(1).putLong(0).putLong(-1).flip();
          Wire.writeFully(c, codec.seal(Wire.WELCOME, w));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      server.start();
      TcpTransport t = track(RawPeer.primary(port));
      assertThatThrownBy(() -> t.connect(SVC, 1, new NoopListener())).isInstanceOf(ProtocolException.class)
          .hasMessageContaining("speaks replication protocol version 7");
      server.join(10_000);
    }
  }

  @Test
  void fencedPrimaryIsRefusedWithStaleEpoch() throws Exception {
    Backup b = new Backup();
    b.log.fence(5);
    TcpTransport t = track(RawPeer.primary(b.port()));
    assertThatThrownBy(() -> t.connect(SVC, 3, new NoopListener())).isInstanceOf(StaleEpochException.class)
        .satisfies(e -> assertThat(((StaleEpochException) e).currentEpoch()).isEqualTo(5));
    ReplicationPrimary p = primary(b.port(), ReplicationMode.async(), 3);
    p.append(bytes("never"));
    eventually("primary fenced").until(p::stopped);
    assertThatThrownBy(() -> p.append(bytes("x"))).isInstanceOf(StaleEpochException.class);
    assertThat(events.ofType("replication.fenced")).isNotEmpty();
    assertThat(b.sink.entries()).isEmpty();
  }

  @Test
  void sinkThatThrowsIsRetriedWithoutLosingOrRepeatingRecords() throws Exception {
    Backup b = new Backup();
    b.sink.failNext(3);
    ReplicationPrimary p = primary(b.port(), ReplicationMode.async(), 1);
    for (int i = 0; i < 10; i++) {
      p.append(bytes("r" + i));
    }
    eventually("all applied").until(() -> b.applier.appliedOffset() == 9);
    assertThat(payloads(b.sink)).containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9");
    assertThat(events.ofType("replication.apply.failed")).hasSize(1);
    assertThat(events.ofType("replication.apply.resumed")).hasSize(1);
  }

  @Test
  void sendBlocksWhenTooManyBytesAreUnacknowledged() throws Exception {
    try (ServerSocketChannel silent = ServerSocketChannel.open()) {
      silent.bind(loopback(0));
      int port = ((InetSocketAddress) silent.getLocalAddress()).getPort();
      Thread server = new Thread(() -> {
        try {
          SocketChannel c = silent.accept();
          Wire.Reader r = new Wire.Reader(c, 1 << 20);
          FrameCodec codec = RawPeer.acceptHandshake(c, r, RawPeer.SECRET);
          ByteBuffer w = ByteBuffer.allocate(26).putShort(Wire.VERSION).putLong(1).putLong(0).putLong(-1).flip();
          Wire.writeFully(c, codec.seal(Wire.WELCOME, w));
          // never reads again, never acknowledges
          closeables.track(c);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      server.start();
      TcpTransport t = track(TcpTransport.builder(TcpTransport.Config.connecting(loopback(port))
          .withMaxInflightBytes(64 << 10)).keys(RawPeer.KEYS).build());
      ReplicationSession s = t.connect(SVC, 1, new NoopListener());
      server.join(10_000);
      ByteBuffer frames = ByteBuffer.allocate(16 << 10);
      byte[] payload = new byte[(16 << 10) - Frames.HEADER];
      Frames.encode(frames, 1, 0, 0, payload, 0, payload.length);
      frames.flip();
      AtomicInteger sent = new AtomicInteger();
      Thread sender = new Thread(() -> {
        try {
          for (int i = 0; i < 100; i++) {
            s.send(new ReplicationBatch(SVC, 1, i, 1, frames.duplicate()));
            sent.incrementAndGet();
          }
        } catch (InterruptedException | RuntimeException e) {
          // closed while blocked: expected at the end of the test
        }
      });
      sender.start();
      eventually("sender blocked").until(() -> sent.get() == 4 && (sender.getState() == Thread.State.TIMED_WAITING
          || sender.getState() == Thread.State.WAITING));
      assertThat(sent.get()).isEqualTo(4);
      s.close();
      sender.join(10_000);
      assertThat(sender.isAlive()).isFalse();
      assertThat(sent.get()).isEqualTo(4);
    }
  }

  static final class NoopListener implements ReplicationSession.Listener {
    @Override
    public void onAck(ReplicationAck ack) {}

    @Override
    public void onClosed(@Nullable Throwable cause) {}
  }

  /** Forwards loopback TCP, flipping one payload byte of the first batch it forwards. */
  static final class CorruptingProxy implements AutoCloseable {
    final ServerSocketChannel server;
    final AtomicBoolean corrupted = new AtomicBoolean();
    final List<SocketChannel> open = new ArrayList<>();
    final Thread acceptor;

    CorruptingProxy(int upstream) throws IOException {
      server = ServerSocketChannel.open();
      server.bind(loopback(0));
      acceptor = new Thread(() -> {
        while (server.isOpen()) {
          try {
            SocketChannel down = server.accept();
            SocketChannel up = SocketChannel.open(loopback(upstream));
            synchronized (open) {
              open.add(down);
              open.add(up);
            }
            // HELLO (magic, version, auth, epoch, service, key id, nonce), AUTH (seq, hash, MAC), then
            // the first BATCH's header, seq, meta and frame header: one byte into the first payload
            int hello = 4 + 1 + 4 + 2 + 1 + 8 + 2 + SVC.length() + 2 + RawPeer.KEY_ID.length() + Wire.NONCE;
            int auth = 4 + 1 + 8 + 32 + FrameCodec.TAG;
            int corruptAt = hello + auth + 4 + 1 + 8 + 20 + Frames.HEADER + 1;
            pump(down, up, corrupted.get() ? -1 : corruptAt);
            pump(up, down, -1);
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() throws IOException {
      return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    void pump(SocketChannel from, SocketChannel to, int corruptAt) {
      Thread t = new Thread(() -> {
        ByteBuffer buf = ByteBuffer.allocate(64 << 10);
        long seen = 0;
        try {
          while (true) {
            buf.clear();
            int n = from.read(buf);
            if (n < 0) {
              break;
            }
            buf.flip();
            if (corruptAt >= 0 && seen <= corruptAt && corruptAt < seen + n && corrupted.compareAndSet(false, true)) {
              int i = (int) (corruptAt - seen);
              buf.put(i, (byte) (buf.get(i) ^ 0x20));
            }
            seen += n;
            while (buf.hasRemaining()) {
              to.write(buf);
            }
          }
        } catch (IOException e) {
          // connection closed
        } finally {
          try {
            from.close();
            to.close();
          } catch (IOException e) {
            // ignore
          }
        }
      });
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws IOException {
      server.close();
      synchronized (open) {
        for (SocketChannel c : open) {
          c.close();
        }
      }
    }
  }
}
