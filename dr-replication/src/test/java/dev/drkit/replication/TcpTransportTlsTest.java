package dev.drkit.replication;

import dev.drkit.replication.testing.Closeables;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drkit.core.ConfigException;
import dev.drkit.core.EventBus;
import dev.drkit.replication.internal.FrameCodec;
import dev.drkit.replication.internal.Wire;
import dev.drkit.replication.spi.ReplicationAck;
import dev.drkit.replication.spi.ReplicationSession;
import dev.drkit.replication.testing.ListSink;
import dev.drkit.replication.testing.RecordingListener;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second authentication option: mutual TLS 1.3 from a host-supplied {@link SSLContext}, with
 * PKCS12 key stores made by the JDK's {@code keytool} (real processes). A peer without a trusted
 * certificate is dropped during the TLS handshake and changes nothing on the replica.
 */
class TcpTransportTlsTest {
  static final String SVC = "orders";
  static final char[] PASS = "changeit".toCharArray();
  @TempDir static Path certs;
  static KeyStore backupKeys;
  static KeyStore primaryKeys;
  static KeyStore strangerKeys;
  @TempDir Path dir;
  @RegisterExtension final Closeables closeables = new Closeables();
  ReplicationLog log;
  ListSink sink;
  TcpTransport backup;
  RecordingListener events;

  static KeyStore keytool(String name) throws Exception {
    Path store = certs.resolve(name + ".p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + name, "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12",
        "-storepass", new String(PASS), "-J-Xshare:off").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASS);
    }
    return ks;
  }

  @BeforeAll
  static void makeCertificates() throws Exception {
    backupKeys = keytool("backup");
    primaryKeys = keytool("primary");
    strangerKeys = keytool("stranger");
  }

  /** A TLS context holding {@code own}'s key (or none) and trusting the certificates of {@code trusted}. */
  static SSLContext context(@Nullable KeyStore own, KeyStore... trusted) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    for (KeyStore t : trusted) {
      String alias = t.aliases().nextElement();
      trust.setCertificateEntry(alias, t.getCertificate(alias));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    if (own != null) {
      kmf.init(own, PASS);
    }
    SSLContext c = SSLContext.getInstance("TLSv1.3");
    c.init(own != null ? kmf.getKeyManagers() : null, tmf.getTrustManagers(), null);
    return c;
  }

  <T extends AutoCloseable> T track(T c) {
    return closeables.track(c);
  }

  @BeforeEach
  void startBackup() throws Exception {
    EventBus bus = new EventBus();
    events = new RecordingListener();
    log = track(ReplicationLog.open(dir.resolve("backup"), LogConfig.builder(SVC).eventBus(bus).build()));
    log.fence(1);
    sink = new ListSink();
    backup = track(TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0))
        .withHandshakeTimeout(Duration.ofSeconds(30))).tls(context(backupKeys, primaryKeys))
        .eventBus(EventBus.of(events)).build());
    track(backup.serve(SVC, new ReplicaApplier(SVC, log, sink, bus, Clock.systemUTC())));
  }


  TcpTransport primary(SSLContext c) {
    return track(TcpTransport.builder(TcpTransport.Config.connecting(RawPeer.loopback(backup.boundPort()))).tls(c)
        .build());
  }

  void assertNothingChanged() {
    assertThat(log.currentEpoch()).isEqualTo(1);
    assertThat(log.nextOffset()).isZero();
    assertThat(sink.entries()).isEmpty();
  }

  @Test
  void replicatesOverMutualTls() throws Exception {
    TcpTransport t = primary(context(primaryKeys, backupKeys));
    assertThat(t.authenticated()).isTrue();
    ReplicationLog plog = track(ReplicationLog.open(dir.resolve("primary"), LogConfig.builder(SVC).build()));
    ReplicationPrimary p = track(ReplicationPrimary.builder(SVC, plog, t).mode(ReplicationMode.sync()).epoch(1)
        .eventBus(new EventBus()).heartbeatInterval(Duration.ofMillis(20)).reconnectDelay(Duration.ofMillis(10)).build());
    p.start();
    for (int i = 0; i < 20; i++) {
      p.append(("tls-" + i).getBytes(StandardCharsets.UTF_8)); // synchronous: returns once the backup has it
    }
    assertThat(log.durableOffset()).isEqualTo(19);
    assertThat(p.ackedOffset()).isEqualTo(19);
  }

  @Test
  void aPlainAnonymousClientIsDroppedAtTheTlsHandshakeAndChangesNothing() throws Exception {
    try (RawPeer attacker = RawPeer.connect(backup.boundPort())) {
      attacker.writePlain(Wire.HELLO, RawPeer.helloBody(SVC, 1L << 62, Wire.AUTH_NONE, "", new byte[0]));
      attacker.codec = FrameCodec.insecure();
      attacker.writeSealed(Wire.BATCH, RawPeer.batchBody(1L << 62, 0, "{\"order\":\"INJECTED\"}"));
      // the backup answers with a TLS alert record (content type 21), never a drkit message, and closes
      java.nio.ByteBuffer answer = java.nio.ByteBuffer.allocate(4096);
      try {
        while (attacker.ch.read(answer) >= 0) {
          assertThat(answer.position()).isLessThan(4096);
        }
      } catch (IOException reset) {
        // closed with unread input: a reset is a close too
      }
      if (answer.position() > 0) {
        assertThat(answer.get(0)).as("TLS alert").isEqualTo((byte) 21);
      }
    }
    assertNothingChanged();
  }

  @Test
  void aPrimaryWithoutACertificateIsRefused() throws Exception {
    TcpTransport t = primary(context(null, backupKeys));
    assertThatThrownBy(() -> t.connect(SVC, 1L << 62, new NoopListener())).isInstanceOf(ReplicationException.class);
    assertNothingChanged();
  }

  @Test
  void aPrimaryWithAnUntrustedCertificateIsRefused() throws Exception {
    TcpTransport t = primary(context(strangerKeys, backupKeys));
    assertThatThrownBy(() -> t.connect(SVC, 1L << 62, new NoopListener())).isInstanceOf(ReplicationException.class);
    assertNothingChanged();
  }

  @Test
  void aPrimaryWithAnUntrustedCertificateOrWithAKeyIsPublishedAsATlsFailure() throws Exception {
    TcpTransport stranger = primary(context(strangerKeys, backupKeys));
    assertThatThrownBy(() -> stranger.connect(SVC, 1, new NoopListener())).isInstanceOf(ReplicationException.class);
    dev.drkit.replication.testing.Waits.eventually("the refusal").until(() -> events.ofType(PeerRefusal.TYPE)
        .size() == 1);
    TcpTransport keyed = track(RawPeer.primary(backup.boundPort()));
    assertThatThrownBy(() -> keyed.connect(SVC, 1, new NoopListener())).isInstanceOf(ReplicationException.class);
    dev.drkit.replication.testing.Waits.eventually("the refusals").until(() -> events.ofType(PeerRefusal.TYPE)
        .size() == 2);
    assertThat(events.ofType(PeerRefusal.TYPE)).allSatisfy(e -> {
      PeerRefusal r = PeerRefusal.from(e).orElseThrow();
      assertThat(r.reason()).isEqualTo(PeerRefusal.Reason.TLS_FAILED);
      assertThat(r.remoteHost()).isEqualTo(RawPeer.loopback(0).getAddress().getHostAddress());
      assertThat(r.service()).as("refused before its HELLO").isNull();
      assertThat(r.authenticated()).isFalse();
      assertThat(r.detail()).startsWith("TLS failed: ");
      assertThat(e.attributes()).doesNotContainKey("code");
    });
    assertNothingChanged();
  }

  @Test
  void aPrimaryRefusesABackupItDoesNotTrust() throws Exception {
    TcpTransport t = primary(context(primaryKeys, strangerKeys));
    assertThatThrownBy(() -> t.connect(SVC, 1, new NoopListener())).isInstanceOf(ReplicationException.class);
    assertNothingChanged();
  }

  @Test
  void aKeyedPrimaryIsRefusedByATlsBackup() throws Exception {
    TcpTransport t = track(RawPeer.primary(backup.boundPort()));
    assertThatThrownBy(() -> t.connect(SVC, 1, new NoopListener())).isInstanceOf(ReplicationException.class);
    assertNothingChanged();
  }

  @Test
  void exactlyOneKindOfCredentialsIsAccepted() throws Exception {
    SSLContext c = context(backupKeys, primaryKeys);
    assertThatThrownBy(() -> TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0))).tls(c)
        .keys(RawPeer.KEYS).build()).isInstanceOf(ConfigException.class).hasMessageContaining("exactly one");
    assertThatThrownBy(() -> TcpTransport.builder(TcpTransport.Config.listening(RawPeer.loopback(0))).tls(c)
        .insecure().build()).isInstanceOf(ConfigException.class).hasMessageContaining("exactly one");
  }

  static final class NoopListener implements ReplicationSession.Listener {
    @Override
    public void onAck(ReplicationAck ack) {}

    @Override
    public void onClosed(@Nullable Throwable cause) {}
  }
}
